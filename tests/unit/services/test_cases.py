"""The life of a case: every status transition, allowed and refused, and the referral rules."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    CaseStatus,
    ExitReason,
    Person,
    ReferralType,
    TimelineEntry,
    TimelineKind,
)
from portal.services import cases
from portal.services.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from portal.services.settings import get_settings, update_settings

# The life of a case as issue 2 states it, written out here independently of the service's table.
ALLOWED = {
    (CaseStatus.REFERRED, CaseStatus.ACCEPTED): TimelineKind.REFERRAL_ACCEPTED,
    (CaseStatus.REFERRED, CaseStatus.DECLINED): TimelineKind.REFERRAL_DECLINED,
    (CaseStatus.ACCEPTED, CaseStatus.ACTIVE): TimelineKind.INTAKE_COMPLETED,
    (CaseStatus.ACCEPTED, CaseStatus.NON_COMPLIANT): TimelineKind.CASE_NON_COMPLIANT,
    (CaseStatus.ACTIVE, CaseStatus.COMPLETED): TimelineKind.CASE_COMPLETED,
    (CaseStatus.ACTIVE, CaseStatus.WITHDRAWN): TimelineKind.CASE_WITHDRAWN,
    (CaseStatus.ACTIVE, CaseStatus.NON_COMPLIANT): TimelineKind.CASE_NON_COMPLIANT,
}
REFUSED = [pair for pair in itertools.product(CaseStatus, CaseStatus) if pair not in ALLOWED]


def _entries(case: Case) -> list[TimelineEntry]:
    return list(db.session.scalars(select(TimelineEntry).where(TimelineEntry.case_id == case.id)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("current", "target"), list(ALLOWED), ids=lambda s: s.value)
def test_allowed_transition_moves_and_writes_one_entry(f, current, target):
    case = f.CaseFactory(status=current)
    admin = f.admin()

    cases.transition(case, target, admin)

    assert case.status == target
    entries = _entries(case)
    assert len(entries) == 1
    assert entries[0].kind == ALLOWED[(current, target)]
    assert entries[0].actor_id == admin.id
    assert entries[0].payload["from"] == current.value
    assert entries[0].payload["to"] == target.value
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == target


@pytest.mark.parametrize(("current", "target"), REFUSED, ids=lambda s: s.value)
def test_refused_transition_raises_and_changes_nothing(f, current, target):
    case = f.CaseFactory(status=current)
    version = case.version

    with pytest.raises(InvalidTransition):
        cases.transition(case, target, f.admin())

    assert case.status == current
    assert not db.session.is_modified(case)
    db.session.flush()
    assert case.version == version
    assert _entries(case) == []


def test_every_pair_of_statuses_is_covered():
    assert len(ALLOWED) + len(REFUSED) == len(CaseStatus) ** 2


# --- the verbs views call --------------------------------------------------------------------


def test_accept_referral_records_the_screener(f):
    case, admin = f.CaseFactory(), f.admin()
    cases.accept_referral(case, admin, version=case.version, note="Meets criteria")
    assert case.status == CaseStatus.ACCEPTED
    assert case.screened_by_id == admin.id
    [entry, assigned] = sorted(_entries(case), key=lambda e: e.id)
    assert entry.kind == TimelineKind.REFERRAL_ACCEPTED
    assert entry.payload["note"] == "Meets criteria"
    # The accepting case manager takes the referral, which had none.
    assert case.case_manager_id == admin.id
    assert assigned.kind == TimelineKind.CASE_MANAGER_CHANGED
    assert assigned.payload["case_manager_id"] == admin.id


def test_decline_referral_needs_one_of_the_exclusion_reasons(f):
    case, admin = f.CaseFactory(), f.admin()
    with pytest.raises(ValidationFailed) as error:
        cases.decline_referral(case, admin, "Looked at me funny")
    assert error.value.field == "reason"
    assert case.status == CaseStatus.REFERRED
    assert case.decline_reason is None
    assert _entries(case) == []

    reason = get_settings().exclusion_reasons[0]
    cases.decline_referral(case, admin, reason, note="7 g found")
    assert case.status == CaseStatus.DECLINED
    assert case.decline_reason == reason
    [entry] = _entries(case)
    assert entry.kind == TimelineKind.REFERRAL_DECLINED
    assert entry.payload["reason"] == reason


def test_complete_intake_activates_the_case(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACCEPTED), f.admin()
    cases.complete_intake(case, admin, local_today())
    assert case.status == CaseStatus.ACTIVE
    [entry] = _entries(case)
    assert entry.kind == TimelineKind.INTAKE_COMPLETED


def test_intake_date_in_the_future_is_refused(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACCEPTED), f.admin()
    today = dt.datetime(2026, 5, 1, 16, 0, tzinfo=dt.UTC)
    with time_machine.travel(today, tick=False), pytest.raises(ValidationFailed) as error:
        cases.complete_intake(case, admin, dt.date(2026, 5, 2))
    assert error.value.field == "completed_on"
    assert case.status == CaseStatus.ACCEPTED
    assert case.intake_completed_on is None
    assert _entries(case) == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [(CaseStatus.COMPLETED, ExitReason.COMPLETED), (CaseStatus.WITHDRAWN, ExitReason.WITHDREW)],
)
def test_close_case_exits_an_active_case(f, status, reason):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    cases.close_case(case, admin, status, local_today(), reason)
    assert case.status == status
    assert [e.kind for e in _entries(case)] == [ALLOWED[(CaseStatus.ACTIVE, status)]]


def _snapshot(case: Case) -> dict:
    keys = ["status", "screened_by_id", "screened_at", "decline_reason"]
    keys += ["intake_completed_on", "closed_on", "exit_reason"]
    return {k: getattr(case, k) for k in keys}


VERBS = {
    "accept": lambda case, admin: cases.accept_referral(case, admin),
    "decline": lambda case, admin: cases.decline_referral(
        case, admin, get_settings().exclusion_reasons[0]
    ),
    "intake": lambda case, admin: cases.complete_intake(case, admin, local_today()),
    "complete": lambda case, admin: cases.close_case(
        case, admin, CaseStatus.COMPLETED, local_today(), ExitReason.COMPLETED
    ),
}
# The states from which each verb is refused.
VERB_REFUSED = [
    ("accept", CaseStatus.ACCEPTED),
    ("accept", CaseStatus.DECLINED),
    ("accept", CaseStatus.ACTIVE),
    ("decline", CaseStatus.ACCEPTED),
    ("decline", CaseStatus.COMPLETED),
    ("intake", CaseStatus.REFERRED),
    ("intake", CaseStatus.ACTIVE),
    ("intake", CaseStatus.DECLINED),
    ("complete", CaseStatus.REFERRED),
    ("complete", CaseStatus.ACCEPTED),
    ("complete", CaseStatus.WITHDRAWN),
]


@pytest.mark.parametrize(("verb", "status"), VERB_REFUSED, ids=str)
def test_a_refused_verb_leaves_the_case_untouched(f, verb, status):
    case, admin = f.CaseFactory(status=status), f.admin()
    before = _snapshot(case)

    with pytest.raises(InvalidTransition):
        VERBS[verb](case, admin)

    # Not even in memory: a caller that flushed anyway would save nothing.
    assert _snapshot(case) == before
    assert not db.session.is_modified(case)
    assert _entries(case) == []


@pytest.mark.parametrize("verb", list(VERBS))
def test_only_the_program_office_screens(f, verb):
    officer = f.officer()
    case = f.CaseFactory(officer=officer, status=CaseStatus.REFERRED)
    with pytest.raises(NotPermitted):
        VERBS[verb](case, officer)
    assert _entries(case) == []


# --- versions ------------------------------------------------------------------------------


def test_check_version_refuses_a_stale_copy(f):
    case = f.CaseFactory()
    cases.check_version(case, case.version)  # the current version passes
    cases.check_version(case, None)  # no version given: nothing to compare
    with pytest.raises(Conflict):
        cases.check_version(case, case.version - 1)


def test_a_stale_accept_raises_conflict_and_changes_nothing(f):
    case, admin = f.CaseFactory(), f.admin()
    stale = case.version
    case.notes = "edited by someone else"
    db.session.flush()
    assert case.version == stale + 1

    with pytest.raises(Conflict):
        cases.accept_referral(case, admin, version=stale)
    assert case.status == CaseStatus.REFERRED
    assert case.screened_by_id is None
    assert _entries(case) == []


# --- referral ------------------------------------------------------------------------------


def _data(**kw) -> cases.ReferralData:
    values = {
        "first_name": "Ann",
        "last_name": "Smith",
        "dob": dt.date(1990, 1, 2),
        "referral_type": ReferralType.SOCIAL,
    }
    return cases.ReferralData(**{**values, **kw})


def test_refer_person_creates_person_case_and_first_entry(f):
    officer = f.officer()
    case = cases.refer_person(officer, _data(first_name="  Ann ", aliases="Annie"))
    assert case.status == CaseStatus.REFERRED
    assert case.agency_id == officer.agency_id
    person = db.session.get(Person, case.person_id)
    assert (person.first_name, person.aliases) == ("Ann", "Annie")
    [entry] = _entries(case)
    assert entry.kind == TimelineKind.REFERRAL_RECEIVED
    assert entry.actor_id == officer.id


def test_refer_person_reuses_the_same_person_ignoring_case(f):
    officer = f.officer()
    first = cases.refer_person(officer, _data(aliases="Annie"))
    matches = cases.matching_persons(officer, "ANN", " smith ", dt.date(1990, 1, 2))
    assert [(k.referral_id, k.person.id, k.name) for k in matches] == [
        (first.id, first.person_id, "Ann Smith")
    ]

    second = cases.refer_person(
        officer, _data(first_name="ANN", last_name="sMiTh", aliases="A.S."), matches[0].referral_id
    )

    assert second.person_id == first.person_id
    assert _count(Person) == 1
    assert db.session.get(Person, first.person_id).aliases == "Annie, A.S."
    assert [e.payload["reused_person"] for e in _entries(second)] == [True]


def test_a_known_person_is_never_silently_duplicated(f):
    officer = f.officer()
    cases.refer_person(officer, _data())
    with pytest.raises(ValidationFailed) as refused:
        cases.refer_person(officer, _data(first_name="ann"))
    assert refused.value.field == "person_choice"
    assert _count(Person) == 1 and _count(Case) == 1
    cases.refer_person(officer, _data(), new_person=True)
    assert _count(Person) == 2 and _count(Case) == 2


def test_a_different_date_of_birth_is_a_different_person(f):
    officer = f.officer()
    cases.refer_person(officer, _data())
    assert cases.matching_persons(officer, "Ann", "Smith", dt.date(1990, 1, 3)) == []


def test_only_people_the_officer_referred_are_matched(f):
    referrer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, referrer.agency_id))
    elsewhere = f.officer()
    first = cases.refer_person(referrer, _data(aliases="Annie"))
    f.PersonFactory(first_name="Ann", last_name="Smith", dob=dt.date(1990, 1, 2))  # no case

    assert [k.person.id for k in cases.matching_persons(referrer, "Ann", "Smith", _data().dob)] == [
        first.person_id
    ]
    for officer in (colleague, elsewhere):
        assert cases.matching_persons(officer, "Ann", "Smith", _data().dob) == []
        # Nothing to choose: a new record, and naming theirs is refused with nothing written.
        with pytest.raises(ValidationFailed):
            cases.refer_person(officer, _data(aliases="Red"), known_referral_id=first.id)
        case = cases.refer_person(officer, _data(aliases="Red", phone="555-0100"))
        assert case.person_id != first.person_id
        assert [e.payload["reused_person"] for e in _entries(case)] == [False]
    known = db.session.get(Person, first.person_id)
    assert (known.aliases, known.phone) == ("Annie", None)
    assert _count(Person) == 4


def test_a_person_referred_twice_by_the_officer_is_offered_once(f):
    officer = f.officer()
    first = cases.refer_person(officer, _data())
    second = cases.refer_person(officer, _data(), first.id)
    matches = cases.matching_persons(officer, "Ann", "Smith", _data().dob)
    # Offered by their latest referral of the person.
    assert [(k.referral_id, k.person.id) for k in matches] == [(second.id, first.person_id)]


def test_refer_person_refuses_a_referral_that_does_not_match(f):
    officer = f.officer()
    other = f.CaseFactory(
        officer=officer, person=f.PersonFactory(first_name="Bob", last_name="Jones")
    )
    with pytest.raises(ValidationFailed):
        cases.refer_person(officer, _data(), known_referral_id=other.id)
    assert _count(Case) == 1
    assert _count(Person) == 1


@pytest.mark.parametrize("who", ["program_admin", "evaluator", "provider"])
def test_only_officers_and_case_managers_refer(f, who):
    with pytest.raises(NotPermitted):
        cases.refer_person(getattr(f, who)(), _data(source_name="A neighbour"))
    assert _count(Case) == 0


# --- deadlines -----------------------------------------------------------------------------


def test_intake_deadline_counts_from_the_local_referral_date(f):
    update_settings(
        f.admin(),
        intake_deadline_days=14,
        eligibility_items=["Adult"],
        exclusion_reasons=["Under 18"],
    )
    # 02:30 UTC on March 10 is still the evening of March 9 in Fayette County (America/New_York).
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC), tick=False):
        case = cases.refer_person(f.officer(), _data())
    assert case.intake_deadline == dt.date(2026, 3, 9) + dt.timedelta(days=14)


def test_default_intake_deadline_is_thirty_days(f):
    with time_machine.travel(dt.datetime(2026, 7, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        case = cases.refer_person(f.officer(), _data())
    assert case.intake_deadline == dt.date(2026, 7, 31)


def test_days_left_counts_down_and_goes_negative_when_overdue(f):
    case = f.CaseFactory(intake_deadline=dt.date(2026, 4, 10))
    assert cases.days_left(case, today=dt.date(2026, 4, 1)) == 9
    assert cases.days_left(case, today=dt.date(2026, 4, 10)) == 0
    assert cases.days_left(case, today=dt.date(2026, 4, 13)) == -3
    # Without a date it counts from the program's local today.
    with time_machine.travel(dt.datetime(2026, 4, 16, 3, 0, tzinfo=dt.UTC), tick=False):
        assert cases.days_left(case) == -5  # April 15 in America/New_York


@pytest.mark.real_commits  # a second connection writes meanwhile
def test_a_change_committed_meanwhile_is_caught_when_writing(f):
    # Two admins load version N; the other one saves first. The version column makes our
    # UPDATE match no row instead of silently overwriting (the view answers 409).
    case, admin = f.CaseFactory(), f.admin()
    db.session.commit()
    loaded = case.version
    with db.engine.begin() as other:
        other.execute(
            update(Case).where(Case.id == case.id).values(version=loaded + 1, notes="theirs")
        )
    with pytest.raises(StaleDataError):
        cases.accept_referral(case, admin, version=loaded)
    db.session.rollback()
    assert db.session.get(Case, case.id).status == CaseStatus.REFERRED
    assert _entries(case) == []


def test_intake_cannot_predate_the_referral(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACCEPTED), f.admin()
    before = case.referred_at.date() - dt.timedelta(days=3)
    with pytest.raises(ValidationFailed) as error:
        cases.complete_intake(case, admin, before)
    assert error.value.field == "completed_on"
    assert case.status == CaseStatus.ACCEPTED
