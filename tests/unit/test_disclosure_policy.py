"""The officer's disclosure rule (42 CFR Part 2): screening always; after it, only what a consent
in force names the officer (or their agency) for; and the accounting of what was disclosed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.clock import local_today, program_tz, utcnow
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    CaseStatus,
    Consent,
    Disclosure,
    RecipientKind,
    TimelineEntry,
    TimelineKind,
)
from portal.policy import case_scope, disclosing_consent, officer_status
from portal.services.consents import consents_for, revoke_consent
from portal.services.disclosures import accounting, record_disclosures
from portal.services.timeline import add_entry, get_timeline

SCREENING = {TimelineKind.REFERRAL_RECEIVED, TimelineKind.REFERRAL_ACCEPTED}
STATUS = {TimelineKind.INTAKE_COMPLETED, TimelineKind.ENGAGED}
OUTCOME = {TimelineKind.CASE_COMPLETED}


def _completed(f, officer) -> Case:
    """A case that went all the way: screening, intake, an assessment, a service, attendance,
    engagement, completion (with every timeline entry those steps write)."""
    case = f.CaseFactory(completed=True, officer=officer)
    referral = f.ServiceReferralFactory(case=case, accepted=True)
    f.AttendanceFactory(service_referral=referral)
    f.AssessmentFactory(case=case)
    return case


def _seen(case, user) -> set[TimelineKind]:
    return {e.kind for e in get_timeline(case, user).entries}


def _status(case, user):
    return officer_status(user, case, consents_for([case.id])[case.id])


def _consent(f, case, **kw) -> Consent:
    return f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=10), **kw)


@pytest.fixture
def officer(f):
    return f.officer()


def test_everything_is_on_the_case_for_the_office(f, officer):
    """What the officer is refused below is there (so those tests can fail)."""
    case = _completed(f, officer)
    seen = _seen(case, f.admin())
    assert seen >= SCREENING | STATUS | OUTCOME
    assert {TimelineKind.ATTENDANCE_RECORDED, TimelineKind.ASSESSMENT_RECORDED} <= seen


def test_without_a_consent_the_officer_sees_screening_only(f, officer):
    case = _completed(f, officer)
    assert _seen(case, officer) == SCREENING
    status = _status(case, officer)
    assert (status.status, status.confidential, status.consented) == (
        CaseStatus.ACCEPTED,
        True,
        False,
    )


def test_a_declined_referral_is_the_officers_to_know(f, officer):
    case = f.CaseFactory(declined=True, officer=officer)
    assert _seen(case, officer) == {TimelineKind.REFERRAL_RECEIVED, TimelineKind.REFERRAL_DECLINED}
    status = _status(case, officer)
    assert (status.status, status.confidential) == (CaseStatus.DECLINED, False)


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ({"discloses_status": True}, SCREENING | STATUS),
        ({"discloses_status": False, "discloses_outcome": True}, SCREENING | OUTCOME),
        (
            {"discloses_status": True, "discloses_attendance": True, "discloses_outcome": True},
            SCREENING | STATUS | OUTCOME,
        ),
    ],
    ids=["status", "outcome", "everything"],
)
def test_a_consent_discloses_its_scopes_and_nothing_clinical(f, officer, scopes, expected):
    case = _completed(f, officer)
    _consent(f, case, **scopes)
    assert _seen(case, officer) == expected  # never attendance, services nor assessments


def test_a_status_consent_shows_enrolment_but_not_the_outcome(f, officer):
    active = f.CaseFactory(active=True, officer=officer)
    _consent(f, active)
    status = _status(active, officer)
    assert (status.status, status.confidential, status.consented) == (
        CaseStatus.ACTIVE,
        False,
        True,
    )
    completed = _completed(f, officer)
    _consent(f, completed)
    status = _status(completed, officer)
    # Enrolment was disclosed (the timeline shows it); the outcome stays confidential.
    assert (status.status, status.confidential, status.consented, status.stage) == (
        CaseStatus.ACTIVE,
        True,
        True,
        "Enrolled in the program",
    )


def test_an_outcome_consent_shows_completion(f, officer):
    case = _completed(f, officer)
    _consent(f, case, discloses_status=False, discloses_outcome=True)
    status = _status(case, officer)
    assert (status.status, status.confidential) == (CaseStatus.COMPLETED, False)


def test_a_consent_naming_the_officer_discloses_to_them(f, officer):
    case = _completed(f, officer)
    _consent(
        f,
        case,
        recipient_kind=RecipientKind.OFFICER,
        recipient_agency_id=None,
        recipient_officer_id=officer.id,
    )
    assert _seen(case, officer) == SCREENING | STATUS


def _not_in_force(f, case, officer) -> dict:
    """Consents that must give the referring officer nothing beyond screening."""
    yesterday = local_today() - dt.timedelta(days=1)
    return {
        "another agency": {"recipient_agency_id": f.AgencyFactory().id},
        "another officer": {
            "recipient_kind": RecipientKind.OFFICER,
            "recipient_agency_id": None,
            "recipient_officer_id": f.officer(agency=db.session.get(Agency, officer.agency_id)).id,
        },
        "the prosecutor": {
            "recipient_kind": RecipientKind.PROSECUTOR,
            "recipient_agency_id": None,
            "recipient_name": "Fayette County Prosecutor",
        },
        "revoked": {"revoked_on": yesterday, "revocation_received": "By letter"},
        "expired": {"expires_on": yesterday},
        "signed tomorrow": {"signed_on": local_today() + dt.timedelta(days=1)},
        "legacy": {"legacy": True},
    }


@pytest.mark.parametrize(
    "kind",
    [
        "another agency",
        "another officer",
        "the prosecutor",
        "revoked",
        "expired",
        "signed tomorrow",
        "legacy",
    ],
)
def test_a_consent_that_does_not_hold_for_the_officer_gives_nothing(f, officer, kind):
    case = _completed(f, officer)
    values = _not_in_force(f, case, officer)[kind]
    consent = f.ConsentFactory(
        case=case,
        discloses_outcome=True,
        **{"signed_on": local_today() - dt.timedelta(days=10), **values},
    )
    assert _seen(case, officer) == SCREENING
    consents = consents_for([case.id])[case.id]
    assert consents == [consent]
    assert _status(case, officer).confidential
    for kind_ in STATUS | OUTCOME:
        assert disclosing_consent(officer, kind_, consents) is None


def test_disclosing_consent_is_the_one_that_covers_the_event(f, officer):
    case = _completed(f, officer)
    status = _consent(f, case)
    outcome = _consent(f, case, discloses_status=False, discloses_outcome=True)
    consents = consents_for([case.id])[case.id]
    assert disclosing_consent(officer, TimelineKind.ENGAGED, consents) == status
    assert disclosing_consent(officer, TimelineKind.CASE_COMPLETED, consents) == outcome
    for kind in (*SCREENING, TimelineKind.ATTENDANCE_RECORDED, TimelineKind.CONSENT_RECORDED):
        assert disclosing_consent(officer, kind, consents) is None


def test_after_revocation_nothing_after_screening_at_once(f, officer):
    case = _completed(f, officer)
    consent = _consent(f, case)
    assert _seen(case, officer) == SCREENING | STATUS
    revoke_consent(consent, f.admin(), local_today(), "By telephone")
    assert _seen(case, officer) == SCREENING
    assert _status(case, officer).confidential


def test_after_expiry_nothing_after_screening_from_local_midnight(f, officer):
    day = dt.date(2027, 1, 31)  # EST: local midnight is 05:00 UTC
    local = lambda *a: dt.datetime.combine(day, dt.time(*a), tzinfo=program_tz())  # noqa: E731
    with time_machine.travel(local(12), tick=False) as clock:
        case = _completed(f, officer)
        _consent(f, case, expires_on=day)
        clock.move_to(local(23, 59, 59))
        assert _seen(case, officer) == SCREENING | STATUS
        clock.move_to(local(23, 59, 59) + dt.timedelta(seconds=1))
        assert _seen(case, officer) == SCREENING
        assert _status(case, officer).confidential


# --- which cases an officer may open ---------------------------------------------------------


def _visible(user, case) -> bool:
    return db.session.scalar(case_scope(user).where(Case.id == case.id)) is not None


def test_a_colleague_sees_the_case_only_when_a_consent_names_their_agency(f, officer):
    case = _completed(f, officer)
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    elsewhere = f.officer()
    assert _visible(officer, case)
    assert not _visible(colleague, case) and not _visible(elsewhere, case)

    _consent(
        f,
        case,
        recipient_kind=RecipientKind.OFFICER,
        recipient_agency_id=None,
        recipient_officer_id=officer.id,
    )
    assert not _visible(colleague, case)  # naming the referring officer names no one else

    agency_consent = _consent(f, case)
    assert _visible(colleague, case)
    assert _seen(case, colleague) == SCREENING | STATUS
    assert not _visible(elsewhere, case)

    revoke_consent(agency_consent, f.admin(), local_today(), "In person")
    assert not _visible(colleague, case)


def test_another_agency_named_by_a_consent_sees_what_it_covers(f, officer):
    case = _completed(f, officer)
    elsewhere = f.officer()
    _consent(f, case, recipient_agency_id=elsewhere.agency_id)
    assert _visible(elsewhere, case)
    assert _seen(case, elsewhere) == SCREENING | STATUS
    assert _seen(case, officer) == SCREENING  # the referring agency is not named


# --- disclosures and their accounting -----------------------------------------------------------


def _disclosures(case) -> list[Disclosure]:
    return list(
        db.session.scalars(
            select(Disclosure).where(Disclosure.case_id == case.id).order_by(Disclosure.id)
        )
    )


def test_each_event_is_recorded_once_per_officer(f, officer):
    case = _completed(f, officer)
    consent = _consent(f, case)
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    consents = consents_for([case.id])[case.id]
    # Intake and engagement are new to each officer once; a repeat records (and returns) none.
    for user, new in ((officer, 2), (officer, 0), (colleague, 2), (officer, 0), (colleague, 0)):
        entries = get_timeline(case, user).entries
        assert record_disclosures(user, case, entries, consents) == new
    rows = _disclosures(case)
    assert sorted((r.recipient_id, r.what) for r in rows) == sorted(
        (user.id, kind.value) for user in (officer, colleague) for kind in STATUS
    )
    for row in rows:
        assert row.consent_id == consent.id
        assert row.recipient_agency_id == officer.agency_id
        assert row.purpose == consent.purpose


def test_screening_is_never_recorded_as_a_disclosure(f, officer):
    case = f.CaseFactory(accepted=True, officer=officer)
    entries = get_timeline(case, officer).entries
    assert {e.kind for e in entries} == SCREENING
    assert record_disclosures(officer, case, entries, []) == 0
    assert _disclosures(case) == []


def test_the_accounting_lists_the_past_three_years_oldest_first(f, officer):
    case = f.CaseFactory(active=True, officer=officer)
    consent = _consent(f, case)
    now = utcnow()
    ages = {"four years": 4 * 365, "thirty-five months": 35 * 30, "last week": 7, "today": 0}
    made = {}
    for label, days in ages.items():
        entry = add_entry(case, TimelineKind.ENGAGED, None)
        db.session.flush()
        made[label] = Disclosure(
            case_id=case.id,
            consent_id=consent.id,
            recipient_id=officer.id,
            recipient_agency_id=officer.agency_id,
            entry_id=entry.id,
            what=entry.kind.value,
            purpose=consent.purpose,
            disclosed_at=now - dt.timedelta(days=days),
        )
        db.session.add(made[label])
    other = f.CaseFactory(active=True, officer=officer)
    entry = add_entry(other, TimelineKind.ENGAGED, None)
    db.session.flush()
    db.session.add(
        Disclosure(
            case_id=other.id,
            consent_id=_consent(f, other).id,
            recipient_id=officer.id,
            entry_id=entry.id,
            what=entry.kind.value,
        )
    )
    db.session.flush()

    listed = accounting(case)

    assert [d.id for d in listed] == [
        made[label].id for label in ("thirty-five months", "last week", "today")
    ]
    assert {d.recipient.name for d in listed} == {officer.name}  # loaded with the rows
    assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 5


CONSENT_VARIANTS = {
    "none": None,
    "status, agency": {"discloses_status": True, "discloses_outcome": False},
    "outcome, agency": {"discloses_status": False, "discloses_outcome": True},
    "both, officer": {"recipient_kind": RecipientKind.OFFICER},
    "revoked": {"revoked_on": "today"},
    "expired": {"expires_on": "yesterday"},
    "legacy": {"legacy": True},
}


@pytest.mark.parametrize("variant", list(CONSENT_VARIANTS))
@pytest.mark.parametrize("who", ["referrer", "colleague", "other agency"])
def test_the_one_case_rule_in_python_agrees_with_the_query_rule(f, officer, who, variant):
    """An officer's case page decides the rule on the case's loaded consents (officer_may_see,
    officer_kinds); lists decide it in SQL (case_scope, officer_disclosure). Both give the same
    answer for every officer and consent."""
    from portal.policy import officer_disclosure, officer_kinds, officer_may_see

    case = _completed(f, officer)
    viewer = {
        "referrer": officer,
        "colleague": f.officer(agency=db.session.get(Agency, officer.agency_id)),
        "other agency": f.officer(),
    }[who]
    spec = CONSENT_VARIANTS[variant]
    if spec is not None:
        values = dict(spec)
        if values.pop("revoked_on", None):
            values["revoked_on"] = local_today()
        if values.pop("expires_on", None):
            values["expires_on"] = local_today() - dt.timedelta(days=1)
        if values.get("recipient_kind") == RecipientKind.OFFICER:
            values["recipient_officer_id"] = viewer.id
        _consent(f, case, **values)
    db.session.flush()
    in_sql = db.session.scalar(case_scope(viewer).where(Case.id == case.id)) is not None
    kinds_in_sql = set(
        db.session.scalars(
            select(TimelineEntry.kind).where(
                TimelineEntry.case_id == case.id, officer_disclosure(viewer)
            )
        )
    )
    loaded = db.session.scalar(
        select(Case).where(Case.id == case.id).options(selectinload(Case.consents))
    )
    assert officer_may_see(viewer, loaded) == in_sql
    present = set(
        db.session.scalars(select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id))
    )
    assert officer_kinds(viewer, loaded) & present == kinds_in_sql
