"""A case manager's review: dismissal needs a reason; confirmation closes the case as
non-compliant once, releases its places and writes the timeline entry; and what the officer
learns follows the disclosure rule (a case returned before intake is the referring officer's to
know; after intake it needs a consent covering outcomes)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    CaseStatus,
    ComplianceFlag,
    ComplianceRule,
    ContactKind,
    ExitReason,
    FlagStatus,
    ReferralStatus,
    RuleCode,
    Service,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
)
from portal.policy import compliance_flag_scope, officer_status
from portal.services import cases, compliance
from portal.services.assessments import record_contact
from portal.services.compliance_review import (
    confirm_flag,
    dismiss_flag,
    open_flag_count,
    review_page,
)
from portal.services.consents import consents_for
from portal.services.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from portal.services.timeline import describe, get_timeline


def _flagged(f, **kw) -> tuple[Case, ComplianceFlag]:
    case = f.CaseFactory(accepted=True, intake_deadline=local_today() - dt.timedelta(days=2), **kw)
    compliance.evaluate_case(case)
    flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))
    return case, flag


def _no_contact_flag(f, case) -> ComplianceFlag:
    rule = db.session.scalar(
        select(ComplianceRule).where(ComplianceRule.code == RuleCode.NO_CONTACT)
    )
    rule.enabled = True
    compliance.evaluate_case(case)
    return db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))


def _kinds(case) -> list[TimelineKind]:
    return list(
        db.session.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.case_id == case.id)
            .order_by(TimelineEntry.created_at, TimelineEntry.id)
        )
    )


# --- dismissal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_dismissal_needs_a_reason(f, reason):
    case, flag = _flagged(f)
    with pytest.raises(ValidationFailed) as error:
        dismiss_flag(flag, f.admin(), reason, flag.version)
    assert error.value.field == "reason"
    assert error.value.message == "Give the reason for dismissing this flag."


def test_a_dismissal_changes_nothing_on_the_case(f):
    case, flag = _flagged(f)
    before = (case.status, case.version, _kinds(case))
    admin = f.admin()
    dismiss_flag(flag, admin, "In hospital; intake rescheduled", flag.version)
    db.session.expire_all()
    assert (flag.status, flag.decided_by_id, flag.reason) == (
        FlagStatus.DISMISSED,
        admin.id,
        "In hospital; intake rescheduled",
    )
    assert (case.status, case.version, _kinds(case)) == before
    assert open_flag_count(admin) == 0


def test_a_flag_decided_meanwhile_is_not_dismissed_again(f):
    case, flag = _flagged(f)
    admin = f.admin()
    version = flag.version
    dismiss_flag(flag, admin, "Rescheduled", version)
    with pytest.raises(Conflict):
        dismiss_flag(flag, admin, "Again", version)
    with pytest.raises(InvalidTransition):
        dismiss_flag(flag, admin, "Again", None)


# --- confirmation -------------------------------------------------------------------------------


def test_confirming_closes_the_case_as_non_compliant_and_writes_the_entry(f):
    case, flag = _flagged(f)
    admin = f.admin()
    confirm_flag(flag, admin, flag.version)
    db.session.expire_all()
    assert flag.status == FlagStatus.CONFIRMED and flag.decided_by_id == admin.id
    assert (case.status, case.closed_on, case.exit_reason) == (
        CaseStatus.NON_COMPLIANT,
        local_today(),
        cases.NON_COMPLIANT_CONFIRMED,
    )
    entry = db.session.scalar(
        select(TimelineEntry).where(
            TimelineEntry.case_id == case.id, TimelineEntry.kind == TimelineKind.CASE_NON_COMPLIANT
        )
    )
    assert entry.payload["rule"] == "intake_deadline"
    assert entry.payload["date"] == local_today().isoformat()
    assert entry.actor_id == admin.id


def test_confirming_releases_the_places_the_participant_held(f):
    case = f.CaseFactory(active=True)
    service = f.ServiceFactory(capacity_max=2, capacity_available=2)
    pending = f.ServiceReferralFactory(case=case, service=service)
    accepted = f.ServiceReferralFactory(case=case, service=service, accepted=True)
    assert service.capacity_available == 0
    flag = _no_contact_flag(f, case)
    confirm_flag(flag, f.admin(), flag.version)
    db.session.expire_all()
    assert db.session.get(Service, service.id).capacity_available == 2
    assert db.session.get(ServiceReferral, pending.id).status == ReferralStatus.DECLINED
    assert db.session.get(ServiceReferral, accepted.id).status == ReferralStatus.ENDED
    assert _kinds(case)[-1] == TimelineKind.CASE_NON_COMPLIANT


def test_a_double_confirm_applies_once(f):
    case, flag = _flagged(f)
    admin = f.admin()
    version = flag.version
    confirm_flag(flag, admin, version)
    with pytest.raises(Conflict):
        confirm_flag(flag, admin, version)  # the second click carries the same version
    with pytest.raises(InvalidTransition):
        confirm_flag(flag, admin)
    assert _kinds(case).count(TimelineKind.CASE_NON_COMPLIANT) == 1


def test_a_flag_of_a_closed_case_cannot_be_confirmed(f):
    case = f.CaseFactory(active=True)
    flag = _no_contact_flag(f, case)
    # An exit resolves the open flags; a flag left open on a closed case is refused too.
    cases.close_case(case, f.admin(), CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    db.session.expire_all()
    assert flag.status == FlagStatus.RESOLVED
    with pytest.raises(InvalidTransition):
        confirm_flag(flag, f.admin(), flag.version)
    flag.status = FlagStatus.OPEN
    db.session.flush()
    with pytest.raises(InvalidTransition, match="cannot be closed as non-compliant"):
        confirm_flag(flag, f.admin(), flag.version)
    assert case.status == CaseStatus.WITHDRAWN


def test_the_exit_form_cannot_close_a_case_as_non_compliant(f):
    case = f.CaseFactory(active=True)
    with pytest.raises(ValidationFailed):
        cases.close_case(case, f.admin(), CaseStatus.NON_COMPLIANT, local_today(), "no shows")


@pytest.mark.parametrize("who", ["officer", "provider"])
def test_only_the_program_office_reviews_flags(f, who):
    case, flag = _flagged(f)
    user = getattr(f, who)()
    with pytest.raises(NotPermitted):
        dismiss_flag(flag, user, "reason", flag.version)
    with pytest.raises(NotPermitted):
        confirm_flag(flag, user, flag.version)
    with pytest.raises(NotPermitted):
        review_page(user, None, 10)
    assert db.session.scalars(compliance_flag_scope(user)).all() == []
    assert open_flag_count(user) == 0


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_is_oldest_first_and_keyset_paged(f):
    admin = f.admin()
    flagged = [_flagged(f)[1] for _ in range(5)]
    for i, flag in enumerate(flagged):
        flag.raised_at = flag.raised_at - dt.timedelta(hours=10 - i)
    db.session.flush()
    seen, cursor = [], None
    while True:
        page = review_page(admin, cursor, 2)
        seen += [item.flag.id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [fl.id for fl in flagged]
    assert open_flag_count(admin) == 5
    assert [i.flag.id for i in review_page(admin, "not-a-cursor", 2).items] == seen[:2]


def test_the_queue_shows_the_recent_timeline_and_contacts(f):
    case, flag = _flagged(f, referred_at=utcnow() - dt.timedelta(days=20))
    admin = f.admin()
    for days in range(7):
        record_contact(
            case, admin, local_today() - dt.timedelta(days=days), ContactKind.OUTREACH_ATTEMPT
        )
    [item] = review_page(admin, None, 10).items
    assert len(item.timeline) == 5 and len(item.contacts) == 5
    assert item.contacts[0][0].contacted_on == local_today()
    assert item.timeline[0].kind == TimelineKind.CONTACT_RECORDED


# --- what the officer learns --------------------------------------------------------------------


def _officer_view(case, officer):
    status = officer_status(officer, case, consents_for([case.id])[case.id])
    entries = get_timeline(case, officer).entries
    return status, [describe(e, officer).title for e in entries]


def test_a_case_returned_before_intake_is_disclosed_to_the_referring_officer(f):
    officer = f.officer()
    case, flag = _flagged(f, officer=officer)
    confirm_flag(flag, f.admin(), flag.version)
    db.session.expire_all()
    status, titles = _officer_view(case, officer)
    assert (status.status, status.confidential, status.consented) == (
        CaseStatus.NON_COMPLIANT,
        False,
        False,
    )
    assert titles[0] == "Returned for non-compliance: intake not completed by the deadline"
    # A colleague of the same agency is told nothing (the case is not theirs, no consent).
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    assert get_timeline(case, colleague).entries == []


def test_an_enrolled_case_returned_needs_an_outcome_consent(f):
    officer = f.officer()
    case = f.CaseFactory(active=True, officer=officer)
    flag = _no_contact_flag(f, case)
    f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=30))  # status only
    confirm_flag(flag, f.admin(), flag.version)
    db.session.expire_all()
    status, titles = _officer_view(case, officer)
    assert (status.status, status.confidential) == (CaseStatus.ACTIVE, True)
    assert not any("non-compliance" in t for t in titles)

    f.ConsentFactory(
        case=case,
        discloses_outcome=True,
        signed_on=local_today() - dt.timedelta(days=30),
    )
    db.session.expire_all()
    status, titles = _officer_view(case, officer)
    assert (status.status, status.confidential, status.consented) == (
        CaseStatus.NON_COMPLIANT,
        False,
        True,
    )
    assert "Returned for non-compliance: no contact or attendance" in titles


def test_an_open_or_dismissed_flag_changes_nothing_the_officer_sees(f):
    officer = f.officer()
    case = f.CaseFactory(accepted=True, officer=officer, intake_deadline=local_today())
    before = _officer_view(case, officer)
    case.intake_deadline = local_today() - dt.timedelta(days=1)
    compliance.evaluate_case(case)
    flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))
    assert flag.status == FlagStatus.OPEN
    assert _officer_view(case, officer) == before
    dismiss_flag(flag, f.admin(), "Intake booked for Monday", flag.version)
    db.session.expire_all()
    assert _officer_view(case, officer) == before
