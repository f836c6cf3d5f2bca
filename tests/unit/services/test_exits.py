"""Coded exits (the reason must fit the status, "other" needs words) and the held charge's
filing date (fixed at referral, from the incident's local date)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Case, CaseStatus, ExitReason, ReferralType, TimelineEntry, TimelineKind
from portal.services import cases
from portal.services.errors import InvalidTransition, ValidationFailed
from portal.services.settings import get_settings, update_settings

# Which status each code closes a case in, written out here independently of the model.
STATUS_OF = {
    ExitReason.COMPLETED: CaseStatus.COMPLETED,
    ExitReason.WITHDREW: CaseStatus.WITHDRAWN,
    ExitReason.MOVED_AWAY: CaseStatus.WITHDRAWN,
    ExitReason.DIED: CaseStatus.WITHDRAWN,
    ExitReason.OTHER: CaseStatus.WITHDRAWN,
    ExitReason.NON_COMPLIANT_CONFIRMED: CaseStatus.NON_COMPLIANT,
}
CLOSING = [CaseStatus.COMPLETED, CaseStatus.WITHDRAWN, CaseStatus.NON_COMPLIANT]
MISFITS = [(s, r) for r in ExitReason for s in CLOSING if STATUS_OF[r] != s]


def _entries(case: Case) -> list[TimelineEntry]:
    return list(db.session.scalars(select(TimelineEntry).where(TimelineEntry.case_id == case.id)))


def _untouched(case: Case, status: CaseStatus) -> None:
    assert (case.status, case.closed_on, case.exit_reason, case.exit_note) == (
        status,
        None,
        None,
        "",
    )
    assert not db.session.is_modified(case)
    assert _entries(case) == []


def test_every_code_has_the_status_it_closes_a_case_in():
    assert {r: r.status for r in ExitReason} == STATUS_OF


@pytest.mark.parametrize("reason", [r for r in ExitReason if r.status != CaseStatus.NON_COMPLIANT])
def test_an_active_case_closes_with_each_fitting_code(f, reason):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    note = "Details" if reason == ExitReason.OTHER else ""
    cases.close_case(case, admin, reason.status, local_today(), reason, note)
    assert (case.status, case.exit_reason, case.exit_note) == (reason.status, reason, note)
    [entry] = _entries(case)
    assert entry.payload["exit_reason"] == reason.value
    assert entry.payload["note"] == note


@pytest.mark.parametrize(("status", "reason"), MISFITS, ids=str)
def test_a_code_that_does_not_fit_the_status_is_refused_beside_the_reason(f, status, reason):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    with pytest.raises(ValidationFailed) as error:
        cases.close_case(case, admin, status, local_today(), reason, "words")
    assert error.value.field == "reason"
    assert reason.label in error.value.message
    _untouched(case, CaseStatus.ACTIVE)


@pytest.mark.parametrize("note", ["", "   \n "])
def test_other_without_words_is_refused_beside_the_note(f, note):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    with pytest.raises(ValidationFailed) as error:
        cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), ExitReason.OTHER, note)
    assert (error.value.field, error.value.message) == ("note", "Describe the reason for the exit.")
    _untouched(case, CaseStatus.ACTIVE)


def test_free_text_is_not_a_reason(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    with pytest.raises(ValidationFailed) as error:
        cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), "Moved away")
    assert error.value.field == "reason"
    _untouched(case, CaseStatus.ACTIVE)


def test_an_overlong_note_is_refused(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    with pytest.raises(ValidationFailed) as error:
        cases.close_case(
            case, admin, CaseStatus.WITHDRAWN, local_today(), ExitReason.OTHER, "x" * 2001
        )
    assert error.value.field == "note"
    _untouched(case, CaseStatus.ACTIVE)


def test_an_open_status_is_not_an_exit(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    with pytest.raises(ValidationFailed) as error:
        cases.close_case(case, admin, CaseStatus.ACTIVE, local_today(), ExitReason.WITHDREW)
    assert error.value.field == "status"
    _untouched(case, CaseStatus.ACTIVE)


@pytest.mark.parametrize("status", [CaseStatus.ACCEPTED, CaseStatus.ACTIVE])
def test_a_confirmed_non_compliance_closes_an_accepted_or_active_case(f, status):
    """What the compliance review calls when a case manager confirms a flag."""
    case, admin = f.CaseFactory(status=status), f.admin()
    cases.close_case(
        case,
        admin,
        CaseStatus.NON_COMPLIANT,
        local_today(),
        ExitReason.NON_COMPLIANT_CONFIRMED,
        "Intake not completed by the deadline",
    )
    assert (case.status, case.exit_reason) == (
        CaseStatus.NON_COMPLIANT,
        ExitReason.NON_COMPLIANT_CONFIRMED,
    )
    [entry] = _entries(case)
    assert entry.kind == TimelineKind.CASE_NON_COMPLIANT
    assert entry.payload["exit_reason"] == "non_compliant_confirmed"


@pytest.mark.parametrize("status", [CaseStatus.REFERRED, CaseStatus.DECLINED])
def test_a_case_not_yet_accepted_cannot_be_non_compliant(f, status):
    case, admin = f.CaseFactory(status=status), f.admin()
    with pytest.raises(InvalidTransition):
        cases.close_case(
            case,
            admin,
            CaseStatus.NON_COMPLIANT,
            local_today(),
            ExitReason.NON_COMPLIANT_CONFIRMED,
        )
    _untouched(case, status)


def test_an_exit_cannot_predate_the_referral(f):
    case, admin = f.CaseFactory(status=CaseStatus.ACTIVE), f.admin()
    before = local_today() - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as error:
        cases.close_case(case, admin, CaseStatus.WITHDRAWN, before, ExitReason.WITHDREW)
    assert error.value.field == "closed_on"
    _untouched(case, CaseStatus.ACTIVE)


# --- the held charge -------------------------------------------------------------------------


def _data(**kw) -> cases.ReferralData:
    values = {
        "first_name": "Ann",
        "last_name": "Smith",
        "dob": dt.date(1990, 1, 2),
        "referral_type": ReferralType.ARREST,
        "incident_number": "2026-00042",
        "offences": "Possession of a controlled substance",
        "statutes": "KRS 218A.1415",
    }
    return cases.ReferralData(**(values | kw))


def _settings(admin, **kw):
    rules = get_settings()
    update_settings(
        admin,
        intake_deadline_days=rules.intake_deadline_days,
        eligibility_items=rules.eligibility_items,
        exclusion_reasons=rules.exclusion_reasons,
        **kw,
    )


def test_the_filing_date_counts_from_the_incidents_local_date(f):
    # 02:30 UTC on March 10 is still the evening of March 9 in Fayette County.
    occurred = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 12, 15, 0, tzinfo=dt.UTC), tick=False):
        case = cases.refer_person(f.officer(), _data(occurred_at=occurred))
    assert case.charge_file_by == dt.date(2026, 3, 9) + dt.timedelta(days=365)
    held = cases.held_charge(case)
    assert held == cases.HeldCharge(
        "2026-00042", "Possession of a controlled substance", "KRS 218A.1415", dt.date(2027, 3, 9)
    )


def test_without_an_incident_time_the_filing_date_counts_from_the_local_referral_date(f):
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC), tick=False):
        case = cases.refer_person(f.officer(), _data())
    assert case.charge_file_by == dt.date(2027, 3, 9)


@pytest.mark.parametrize("kind", [ReferralType.SOCIAL, ReferralType.COMMUNITY])
def test_only_an_arrest_diversion_holds_a_charge(f, kind):
    case = cases.refer_person(f.officer(), _data(referral_type=kind))
    assert case.charge_file_by is None
    assert cases.held_charge(case) is None


def test_a_new_setting_applies_to_new_referrals_only(f):
    admin, officer = f.admin(), f.officer()
    with time_machine.travel(dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        earlier = cases.refer_person(officer, _data())
        _settings(admin, charge_filing_days=90)
        later = cases.refer_person(officer, _data(first_name="Bea"))
    assert get_settings().charge_filing_days == 90
    assert earlier.charge_file_by == dt.date(2027, 6, 1)
    assert later.charge_file_by == dt.date(2026, 8, 30)


@pytest.mark.parametrize("days", [0, -5, 3651, 100000])
def test_a_filing_period_out_of_range_is_refused(f, days):
    with pytest.raises(ValidationFailed) as error:
        _settings(f.admin(), charge_filing_days=days)
    assert error.value.field == "charge_filing_days"
    assert error.value.message == (
        "The charge filing period must be between 1 and 3,650 days after the incident."
    )
    db.session.expire_all()
    assert get_settings().charge_filing_days == 365


@pytest.mark.parametrize("days", [1, 3650])
def test_the_filing_period_bounds_are_accepted(f, days):
    _settings(f.admin(), charge_filing_days=days)
    assert get_settings().charge_filing_days == days


def test_leaving_the_filing_period_out_keeps_it(f):
    _settings(f.admin(), charge_filing_days=500)
    _settings(f.admin())
    assert get_settings().charge_filing_days == 500
