"""Who is told of a case's events: notifications written with the timeline entry, in its
transaction, only as far as the disclosure rule allows; an e-mail queued only for officers who
want each update at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Agency,
    CaseStatus,
    ExitReason,
    Notification,
    NotificationMode,
    OutboxEmail,
    RecipientKind,
    TimelineKind,
)
from portal.services import cases, consents, referrals
from portal.services.errors import NotPermitted
from portal.services.notifications import TOLD_KINDS, notification_mode, set_notification_mode
from portal.services.timeline import add_entry


def _told(case=None, user=None) -> list[tuple[int, TimelineKind]]:
    query = select(Notification.user_id, Notification.kind).order_by(Notification.id)
    if case is not None:
        query = query.where(Notification.case_id == case.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return [tuple(row) for row in db.session.execute(query)]


def _emails(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.user_id == user.id)
    )


def _consent(f, case, **kw):
    return f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1), **kw)


def _whole_life(f, admin, case):
    """Intake, engagement in a service, and completion: every post-screening event."""
    cases.complete_intake(case, admin, local_today())
    service = f.ServiceFactory()
    staff = f.provider(organization=service.organization)
    referral = referrals.assign_service(case, service, admin)
    referrals.accept_service_referral(referral, staff)
    cases.close_case(case, admin, CaseStatus.COMPLETED, local_today(), ExitReason.COMPLETED)


def test_screening_tells_the_referring_officer_without_any_consent(f):
    admin, officer = f.admin(), f.officer()
    accepted = f.CaseFactory(officer=officer)
    declined = f.CaseFactory(officer=officer)
    cases.accept_referral(accepted, admin)
    cases.decline_referral(declined, admin, "Under 18")
    assert _told(user=officer) == [
        (officer.id, TimelineKind.REFERRAL_ACCEPTED),
        (officer.id, TimelineKind.REFERRAL_DECLINED),
    ]
    assert _emails(officer) == 2  # each at once, the default


def test_no_notification_beyond_consent(f):
    """Without a consent the officer hears of screening only: not of intake, engagement or
    completion (nor gets an e-mail of them)."""
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer)
    cases.accept_referral(case, admin)
    _whole_life(f, admin, case)
    assert _told(case) == [(officer.id, TimelineKind.REFERRAL_ACCEPTED)]
    assert _emails(officer) == 1


def test_a_status_consent_tells_progress_but_not_the_outcome(f):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    _consent(f, case)  # the officer's agency, program status
    _whole_life(f, admin, case)
    assert [kind for _, kind in _told(case)] == [
        TimelineKind.INTAKE_COMPLETED,
        TimelineKind.ENGAGED,
    ]


def test_an_outcome_consent_tells_completion(f):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    _consent(f, case, discloses_outcome=True)
    _whole_life(f, admin, case)
    assert [kind for _, kind in _told(case)] == [
        TimelineKind.INTAKE_COMPLETED,
        TimelineKind.ENGAGED,
        TimelineKind.CASE_COMPLETED,
    ]


def test_a_colleague_not_named_gets_nothing(f):
    """A consent naming the agency lets colleagues read the case; it does not send each of them
    its news. Nor does a consent naming someone else tell the colleague."""
    admin, officer = f.admin(), f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    case = f.CaseFactory(officer=officer, accepted=True)
    _consent(f, case, discloses_outcome=True)
    _whole_life(f, admin, case)
    assert _told(user=colleague) == []
    assert _emails(colleague) == 0
    assert len(_told(user=officer)) == 3


def test_an_officer_named_by_a_consent_is_told_and_the_referrer_only_as_far_as_theirs(f):
    admin, referrer, named = f.admin(), f.officer(), f.officer()
    case = f.CaseFactory(officer=referrer, accepted=True)
    _consent(
        f,
        case,
        recipient_kind=RecipientKind.OFFICER,
        recipient_agency_id=None,
        recipient_officer_id=named.id,
    )
    cases.complete_intake(case, admin, local_today())
    assert _told(case) == [(named.id, TimelineKind.INTAKE_COMPLETED)]


@pytest.mark.parametrize(
    ("consent", "told"),
    [
        ({"revoked_on": local_today}, False),
        ({"expires_on": lambda: local_today() - dt.timedelta(days=1)}, False),
        ({"signed_on": None}, False),
        ({}, True),
    ],
    ids=["revoked", "expired", "unsigned", "in-force"],
)
def test_only_a_consent_in_force_tells(f, consent, told):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    values = {"signed_on": local_today() - dt.timedelta(days=5)}
    values.update({key: make() if make else None for key, make in consent.items()})
    f.ConsentFactory(case=case, **values)
    cases.complete_intake(case, admin, local_today())
    assert bool(_told(case)) is told


def _record_consent(case, admin, scopes=("status",), **recipient):
    recipient = recipient or {"recipient_kind": "agency", "recipient_agency_id": case.agency_id}
    return consents.record_consent(
        case,
        admin,
        consents.ConsentData(
            scopes=list(scopes),
            purpose="Keep the officer informed.",
            signed_on=local_today(),
            signature_method="wet",
            expiry_event="Exit from the program",
            **recipient,
        ),
    )


def test_a_consent_signed_at_intake_tells_the_officer_of_the_intake(f):
    """Intake comes first, the consent is recorded at it: the officer hears of the enrolment
    when the consent is recorded, once, with one e-mail."""
    admin, officer = f.admin(), f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    case = f.CaseFactory(officer=officer)
    cases.accept_referral(case, admin)
    cases.complete_intake(case, admin, local_today())
    accepted = (officer.id, TimelineKind.REFERRAL_ACCEPTED)
    assert _told(case) == [accepted]
    _record_consent(case, admin)
    assert _told(case) == [accepted, (officer.id, TimelineKind.INTAKE_COMPLETED)]
    assert _emails(officer) == 2
    _record_consent(case, admin, scopes=("status", "outcome"))  # a second consent
    assert len(_told(case)) == 2 and _emails(officer) == 2
    assert _told(user=colleague) == []


def test_a_consent_naming_an_officer_tells_them_what_they_may_now_know(f):
    admin, referrer, named = f.admin(), f.officer(), f.officer()
    case = f.CaseFactory(officer=referrer, accepted=True)
    cases.complete_intake(case, admin, local_today())
    _record_consent(case, admin, recipient_kind="officer", recipient_officer_id=named.id)
    # The factory's screening entries were never notified: all the named officer may know.
    assert _told(user=named) == [
        (named.id, TimelineKind.REFERRAL_ACCEPTED),
        (named.id, TimelineKind.INTAKE_COMPLETED),
    ]
    assert _told(user=referrer) == [(referrer.id, TimelineKind.REFERRAL_ACCEPTED)]


def test_a_deactivated_officer_is_not_told(f):
    admin, officer = f.admin(), f.officer(active=False)
    case = f.CaseFactory(officer=officer)
    cases.accept_referral(case, admin)
    assert _told(case) == []


def test_events_officers_are_not_told_of_make_nothing(f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer, active=True)
    _consent(f, case, discloses_outcome=True, discloses_attendance=True)
    for kind in set(TimelineKind) - TOLD_KINDS - {TimelineKind.CONSENT_RECORDED}:
        add_entry(case, kind, None)
    db.session.flush()
    assert _told(case) == []
    assert TimelineKind.REFERRAL_RECEIVED not in TOLD_KINDS


def test_the_notification_holds_ids_and_the_kind_only(f):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer)
    cases.accept_referral(case, admin)
    notification = db.session.scalar(select(Notification).where(Notification.case_id == case.id))
    columns = set(Notification.__table__.columns.keys())
    assert columns == {
        "id",
        "user_id",
        "case_id",
        "entry_id",
        "kind",
        "email",
        "digest_id",
        "created_at",
        "read_at",
    }
    assert notification.read_at is None
    assert notification.kind == TimelineKind.REFERRAL_ACCEPTED


def test_a_refused_change_leaves_no_notification(f):
    """Written in the event's transaction: rolled back with it."""
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer)
    savepoint = db.session.begin_nested()
    cases.accept_referral(case, admin)
    assert _told(case)
    savepoint.rollback()
    assert _told(case) == []
    assert _emails(officer) == 0


@pytest.mark.parametrize("mode", [NotificationMode.DIGEST, NotificationMode.NONE])
def test_no_immediate_email_for_an_officer_who_chose_otherwise(f, mode):
    admin, officer = f.admin(), f.officer()
    set_notification_mode(officer, mode)
    case = f.CaseFactory(officer=officer)
    cases.accept_referral(case, admin)
    notification = db.session.scalar(select(Notification).where(Notification.case_id == case.id))
    assert notification.email == mode  # the inbox has it all the same
    assert _emails(officer) == 0


def test_leaving_the_digest_keeps_waiting_updates_in_the_inbox_only(f):
    admin, officer = f.admin(), f.officer()
    set_notification_mode(officer, NotificationMode.DIGEST)
    cases.accept_referral(f.CaseFactory(officer=officer), admin)
    set_notification_mode(officer, NotificationMode.IMMEDIATE)
    assert notification_mode(officer) == NotificationMode.IMMEDIATE
    notification = db.session.scalar(select(Notification).where(Notification.user_id == officer.id))
    assert notification.email == NotificationMode.NONE
    assert _emails(officer) == 0


def test_the_default_is_an_email_for_each_update(f):
    assert notification_mode(f.officer()) == NotificationMode.IMMEDIATE


@pytest.mark.parametrize("who", ["admin", "provider"])
def test_only_officers_choose_notifications(f, who):
    with pytest.raises(NotPermitted):
        set_notification_mode(getattr(f, who)(), NotificationMode.NONE)
