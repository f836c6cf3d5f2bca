"""Referrals the office enters (one set of rules with an officer's), a second open referral of
one person at screening, and the merge of two person records (reversible until confirmed)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseStatus,
    Notification,
    Person,
    ReferralType,
    TimelineEntry,
    TimelineKind,
)
from portal.services import cases, person_matches
from portal.services.errors import NotPermitted, ValidationFailed
from portal.services.same_person import other_open_referrals, with_other_open_referrals

DOB = dt.date(1986, 2, 3)


def _data(**kw) -> cases.ReferralData:
    values = {
        "first_name": "Dana",
        "last_name": "Price",
        "dob": DOB,
        "referral_type": ReferralType.FAMILY,
        "source_name": "Ruth Price, mother",
        "source_contact": "304-555-0100",
    }
    return cases.ReferralData(**{**values, **kw})


def _entries(case: Case) -> list[TimelineEntry]:
    return list(db.session.scalars(select(TimelineEntry).where(TimelineEntry.case_id == case.id)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _referral(f, first="Dana", last="Price", dob=DOB, **kw) -> Case:
    person = f.PersonFactory(first_name=first, last_name=last, dob=dob)
    return f.CaseFactory(person=person, **kw)


# --- entering a referral ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["community", "family", "self", "phone_call"])
def test_a_case_manager_enters_each_office_type_with_its_source(f, kind):
    manager = f.case_manager()
    case = cases.refer_person(
        manager, _data(referral_type=ReferralType(kind), source_note="  Called on Monday. ")
    )
    assert case.status == CaseStatus.REFERRED
    assert (case.officer_id, case.agency_id, case.entered_by_id) == (None, None, manager.id)
    assert (case.source_name, case.source_contact, case.source_note) == (
        "Ruth Price, mother",
        "304-555-0100",
        "Called on Monday.",
    )
    [entry] = _entries(case)
    assert entry.kind == TimelineKind.REFERRAL_RECEIVED
    assert entry.payload["entered_by_office"] is True
    assert _count(Notification) == 0  # no officer to tell


def test_an_office_referral_needs_its_source_and_an_office_type(f):
    manager = f.case_manager()
    with pytest.raises(ValidationFailed) as missing:
        cases.refer_person(manager, _data(source_name="   "))
    assert missing.value.field == "source_name"
    with pytest.raises(ValidationFailed) as long_note:
        cases.refer_person(manager, _data(source_note="x" * 501))
    assert long_note.value.field == "source_note"
    with pytest.raises(ValidationFailed) as arrest:
        cases.refer_person(manager, _data(referral_type=ReferralType.ARREST))
    assert arrest.value.field == "referral_type"
    assert (_count(Case), _count(Person)) == (0, 0)


def test_an_officer_keeps_the_officers_types_and_records_no_source(f):
    officer = f.officer()
    with pytest.raises(ValidationFailed):
        cases.refer_person(officer, _data(referral_type=ReferralType.FAMILY))
    case = cases.refer_person(officer, _data(referral_type=ReferralType.COMMUNITY))
    assert (case.officer_id, case.entered_by_id, case.source_name) == (officer.id, None, None)


def test_the_office_is_asked_for_a_known_person_as_an_officer_is(f):
    """The same rule: a name and birth date referred before must be chosen or declared new
    (the office sees every officer's referrals)."""
    earlier = _referral(f, completed=True)
    manager = f.case_manager()
    with pytest.raises(ValidationFailed) as undecided:
        cases.refer_person(manager, _data())
    assert undecided.value.field == "person_choice"
    assert _count(Case) == 1

    case = cases.refer_person(manager, _data(), known_referral_id=earlier.id)
    assert case.person_id == earlier.person_id
    other = cases.refer_person(manager, _data(), new_person=True)
    assert other.person_id != earlier.person_id


def test_one_office_submission_makes_one_case(f):
    manager = f.case_manager()
    key = "6f1c2a4e-8b1d-4c55-9a55-0c2b8f1e7d10"
    first = cases.refer_person(manager, _data(), submission_key=key)
    again = cases.refer_person(manager, _data(), submission_key=key, new_person=True)
    assert again.id == first.id
    assert _count(Case) == 1


def test_provider_staff_enter_no_referral(f):
    with pytest.raises(NotPermitted):
        cases.refer_person(f.provider(), _data())


# --- a second open referral ---------------------------------------------------------------


def test_a_second_open_referral_on_the_same_record_needs_a_decision(f):
    manager = f.case_manager()
    first = _referral(f, accepted=True)
    second = f.CaseFactory(person=first.person)
    db.session.commit()
    version = second.version

    with pytest.raises(ValidationFailed) as refused:
        cases.accept_referral(second, manager)
    assert refused.value.field == "confirm_duplicate"
    assert "another open referral" in refused.value.message
    db.session.rollback()
    second = db.session.get(Case, second.id)
    assert (second.status, second.version, _entries(second)) == (CaseStatus.REFERRED, version, [])

    cases.accept_referral(second, manager, duplicate_confirmed=True)
    assert second.status == CaseStatus.ACCEPTED
    accepted = [e for e in _entries(second) if e.kind == TimelineKind.REFERRAL_ACCEPTED]
    assert accepted[0].payload["accepted_beside"] == [first.id]


def test_a_duplicate_is_declined_with_its_coded_reason(f):
    manager = f.case_manager()
    first = _referral(f, active=True)
    second = f.CaseFactory(person=first.person)
    assert cases.DUPLICATE_REASON in cases.decline_reasons(second)

    cases.decline_referral(second, manager, cases.DUPLICATE_REASON)

    assert (second.status, second.decline_reason) == (CaseStatus.DECLINED, cases.DUPLICATE_REASON)
    assert _entries(second)[-1].payload["duplicate_of"] == [first.id]


def test_the_duplicate_reason_is_refused_without_another_open_referral(f):
    manager = f.case_manager()
    earlier = _referral(f, completed=True)  # closed: no duplicate
    case = f.CaseFactory(person=earlier.person)
    assert other_open_referrals(case) == []
    assert cases.DUPLICATE_REASON not in cases.decline_reasons(case)
    with pytest.raises(ValidationFailed) as refused:
        cases.decline_referral(case, manager, cases.DUPLICATE_REASON)
    assert refused.value.field == "reason"
    cases.accept_referral(case, manager)  # no decision needed
    assert case.status == CaseStatus.ACCEPTED


def test_a_possible_match_with_an_open_referral_counts_unless_kept_apart(f):
    manager = f.case_manager()
    first = _referral(f, "Dana", "Price", accepted=True)
    second = _referral(f, "D.", "Price")  # another record, the same birth date and last name
    stranger = _referral(f, "Dana", "Price", dob=DOB + dt.timedelta(days=1))
    assert [c.id for c in other_open_referrals(second)] == [first.id]
    assert with_other_open_referrals([first.id, second.id, stranger.id]) == {first.id, second.id}

    person_matches.keep_apart(second, manager, first.person_id)
    assert other_open_referrals(second) == []
    cases.accept_referral(second, manager)


# --- merging two records ------------------------------------------------------------------


@pytest.fixture
def twins(f):
    """Dana Price (a completed referral) and D. Price (a new one): a possible match."""
    earlier = _referral(f, "Dana", "Price", completed=True)
    newer = _referral(f, "D.", "Price")
    return earlier, newer


def test_a_merge_waits_for_its_confirmation_and_undo_restores(f, twins):
    earlier, newer = twins
    manager = f.case_manager()
    person_matches.merge_person(manager, newer.person_id, earlier.person_id)
    db.session.commit()

    merged = db.session.get(Person, newer.person_id)
    assert (merged.merged_into_id, merged.merged_by_id) == (earlier.person_id, manager.id)
    assert newer.person_id == merged.id  # nothing moved
    assert other_open_referrals(newer) == []  # the earlier one is closed
    changes = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "persons",
            AuditEvent.object_id == merged.id,
            AuditEvent.action == AuditAction.CHANGE,
        )
    ).all()
    assert changes  # the merge is audited

    person_matches.undo_merge(manager, merged.id)
    db.session.commit()
    assert db.session.get(Person, merged.id).merged_into_id is None
    with pytest.raises(ValidationFailed, match="not waiting"):
        person_matches.confirm_merge(manager, merged.id)


def test_a_confirmed_merge_moves_every_referral_and_removes_the_record(f, twins):
    earlier, newer = twins
    manager = f.case_manager()
    source_id = newer.person_id
    person_matches.merge_person(manager, source_id, earlier.person_id)
    kept = person_matches.confirm_merge(manager, source_id)
    db.session.commit()

    assert kept.id == earlier.person_id
    assert db.session.get(Person, source_id) is None
    assert db.session.get(Case, newer.id).person_id == kept.id
    assert "D. Price" in kept.aliases  # the merged record's name is kept as an alias
    [entry] = [e for e in _entries(newer) if e.kind == TimelineKind.PERSON_LINKED]
    assert entry.payload["merged"] is True and entry.payload["previous_person_id"] == source_id


def test_bad_merges_are_refused_and_change_nothing(f, twins):
    earlier, newer = twins
    third = _referral(f, "Dee", "Price")
    stranger = _referral(f, "Sam", "Other")
    manager = f.case_manager()

    with pytest.raises(ValidationFailed, match="into itself"):
        person_matches.merge_person(manager, earlier.person_id, earlier.person_id)
    with pytest.raises(ValidationFailed, match="possible match"):
        person_matches.merge_person(manager, stranger.person_id, earlier.person_id)

    person_matches.merge_person(manager, newer.person_id, earlier.person_id)
    with pytest.raises(ValidationFailed, match="itself merged"):
        person_matches.merge_person(manager, third.person_id, newer.person_id)
    with pytest.raises(ValidationFailed, match="already merged"):
        person_matches.merge_person(manager, newer.person_id, third.person_id)
    with pytest.raises(ValidationFailed, match="wait to be merged"):
        person_matches.merge_person(manager, earlier.person_id, third.person_id)
    # The same merge again is no change.
    assert person_matches.merge_person(manager, newer.person_id, earlier.person_id).merged_into_id
    assert db.session.get(Person, third.person_id).merged_into_id is None
    assert db.session.get(Person, earlier.person_id).merged_into_id is None


def test_only_case_managers_merge(f, twins):
    earlier, newer = twins
    with pytest.raises(NotPermitted):
        person_matches.merge_person(f.program_admin(), newer.person_id, earlier.person_id)


def test_a_record_merged_in_counts_for_the_open_referral_check(f):
    manager = f.case_manager()
    first = _referral(f, "Dana", "Price", accepted=True)
    # Kept apart as a possible match, but then merged by the office (it decided otherwise).
    second = _referral(f, "Dana", "Pryce")  # not a possible match by name
    assert other_open_referrals(second) == []
    db.session.get(Person, second.person_id).merged_into_id = first.person_id
    db.session.flush()
    assert [c.id for c in other_open_referrals(second)] == [first.id]
    with pytest.raises(ValidationFailed):
        cases.accept_referral(second, manager)
