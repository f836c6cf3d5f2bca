"""E-mail from the outbox: what it says (nothing personal), the disclosure rule asked again
before sending, what is recorded, retries with backoff, giving up, and the daily digest."""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage

import pytest
import time_machine
from sqlalchemy import func, select

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    CaseStatus,
    Digest,
    Disclosure,
    ExitReason,
    Notification,
    NotificationMode,
    OutboxEmail,
    OutboxStatus,
    TimelineKind,
)
from portal.services import cases, digests, mail
from portal.services.consents import revoke_consent
from portal.services.disclosures import REDISCLOSURE_NOTICE
from portal.services.errors import NotPermitted
from portal.services.mail import Links, MailContext
from portal.services.mail_transport import error_text
from portal.services.notifications import set_notification_mode
from portal.services.timeline import OFFICER_TEXT

CONTEXT = MailContext(
    "Test County LEAD",
    "LEAD portal <no-reply@lead.example.org>",
    Links(
        case=lambda case_id: f"https://portal.example.org/officer/referrals/{case_id}",
        inbox="https://portal.example.org/officer/inbox",
        settings="https://portal.example.org/officer/settings/notifications",
    ),
)
LEASE = 600
ACCEPTED = TimelineKind.REFERRAL_ACCEPTED


def _person_facts(case) -> list[str]:
    person = case.person
    return [
        person.first_name,
        person.last_name,
        person.full_name,
        person.dob.isoformat(),
        f"{person.dob:%m/%d/%Y}",
        f"{person.dob:%b %-d, %Y}",
        case.offences,
    ]


def _text(message: EmailMessage) -> str:
    return message.as_string()


def _send_one(now=None) -> tuple[mail.Claim, mail.Prepared | None]:
    claim = mail.claim_next(LEASE, now)
    assert claim is not None
    return claim, mail.prepare(claim, CONTEXT)


def _outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _accepted(f, officer=None):
    admin = f.admin()
    case = f.CaseFactory(officer=officer or f.officer(), incident_number="INC-778812")
    cases.accept_referral(case, admin)
    return case, admin


def test_the_email_names_the_case_number_the_update_and_where_to_sign_in_only(f):
    case, _ = _accepted(f)
    claim, prepared = _send_one()
    text = _text(prepared.message)
    assert f"case {case.id}" in text
    assert OFFICER_TEXT[ACCEPTED] in text
    assert f"https://portal.example.org/officer/referrals/{case.id}" in text
    assert prepared.message["To"] == case.officer.email
    for fact in [*_person_facts(case), "INC-778812", case.officer.name]:
        assert fact not in text
    # Screening is the referring officer's own business: no consent, no 2.32 notice.
    assert REDISCLOSURE_NOTICE not in text
    assert prepared.message["Message-ID"] == f"<lead-outbox-{claim.email_id}@lead.example.org>"


def test_an_update_disclosed_under_a_consent_carries_the_notice_and_is_recorded_when_sent(f):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1))
    cases.complete_intake(case, admin, local_today())
    claim, prepared = _send_one()
    assert REDISCLOSURE_NOTICE in prepared.message.get_content()
    assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 0  # not yet sent
    assert mail.mark_sent(claim, prepared)
    disclosure = db.session.scalar(select(Disclosure))
    assert (disclosure.recipient_id, disclosure.case_id) == (officer.id, case.id)
    assert disclosure.what == "intake_completed"
    assert _outbox()[0].status == OutboxStatus.SENT


def test_an_update_no_longer_disclosable_is_withheld(f):
    """The consent was revoked between the event and the sending: no e-mail, no disclosure."""
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    consent = f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1))
    cases.complete_intake(case, admin, local_today())
    revoke_consent(consent, admin, local_today(), "In writing")
    claim, prepared = _send_one()
    assert prepared is None
    assert _outbox()[0].status == OutboxStatus.WITHHELD
    assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 0


def test_an_email_to_a_closed_account_is_withheld(f):
    officer = f.officer()
    _accepted(f, officer)
    officer.active = False
    db.session.flush()
    assert _send_one()[1] is None
    assert _outbox()[0].status == OutboxStatus.WITHHELD


def test_a_claimed_email_is_not_claimed_again_until_its_lease_ends(f):
    _accepted(f)
    now = utcnow()
    claim = mail.claim_next(LEASE, now)
    assert claim is not None
    assert mail.claim_next(LEASE, now + dt.timedelta(seconds=LEASE - 1)) is None
    # The sender died mid-send: after the lease another takes it, and the try is counted.
    again = mail.claim_next(LEASE, now + dt.timedelta(seconds=LEASE + 1))
    assert again is not None and again.email_id == claim.email_id
    assert _outbox()[0].attempts == 2
    # The first sender's late outcome no longer applies.
    assert mail.prepare(claim, CONTEXT) is None
    assert _outbox()[0].status == OutboxStatus.PENDING


def test_a_sent_email_is_never_claimed_again(f):
    _accepted(f)
    claim, prepared = _send_one()
    assert mail.mark_sent(claim, prepared)
    assert mail.claim_next(LEASE, utcnow() + dt.timedelta(days=30)) is None


def test_a_failure_is_retried_with_doubling_waits_then_given_up(f):
    _accepted(f)
    error = smtplib.SMTPDataError(451, b"Requested action aborted: user@example.org over quota")
    waits = []
    now = utcnow()
    for attempt in range(1, 5):
        claim = mail.claim_next(LEASE, now)
        assert claim is not None, attempt
        with time_machine.travel(now, tick=False):
            status = mail.mark_failed(claim, error, max_attempts=4, retry_seconds=60)
        email = _outbox()[0]
        assert email.attempts == attempt
        assert email.last_error == "SMTPDataError 451"  # never the server's words
        if attempt < 4:
            assert status == OutboxStatus.PENDING
            waits.append((email.next_attempt_at - now).total_seconds())
            assert mail.claim_next(LEASE, now) is None  # not before its time
            now = email.next_attempt_at
        else:
            assert status == OutboxStatus.FAILED
    assert waits == [60, 120, 240]
    assert mail.claim_next(LEASE, now + dt.timedelta(days=30)) is None


def test_backoff_doubles_and_is_capped():
    assert [mail.backoff(n, 60).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert mail.backoff(30, 60) == mail.MAX_BACKOFF


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"No such user x")}), "550"),
        (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefusedError"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "Disconnected"),
    ],
)
def test_an_error_is_recorded_without_the_servers_words(error, text):
    recorded = error_text(error)
    assert text in recorded
    assert "example.org" not in recorded and "user" not in recorded.lower()


def test_administrators_see_failed_email_without_the_person(f):
    case, admin = _accepted(f)
    claim = mail.claim_next(LEASE)
    mail.mark_failed(claim, OSError("unreachable"), max_attempts=1, retry_seconds=60)
    page = mail.failed_mail(admin)
    assert [(r.case_id, r.kind, r.attempts) for r in page.rows] == [
        (case.id, OFFICER_TEXT[ACCEPTED], 1)
    ]
    with pytest.raises(NotPermitted):
        mail.failed_mail(case.officer)
    assert mail.retry_failed(admin, claim.email_id)
    assert not mail.retry_failed(admin, claim.email_id)  # once
    email = _outbox()[0]
    assert (email.status, email.attempts) == (OutboxStatus.PENDING, 0)


def test_failed_email_pages_are_bounded(f):
    officer = f.officer()
    admin = f.admin()
    for _ in range(5):
        cases.accept_referral(f.CaseFactory(officer=officer), admin)
    while claim := mail.claim_next(LEASE):
        mail.mark_failed(claim, OSError("down"), max_attempts=1, retry_seconds=60)
    first = mail.failed_mail(admin, limit=2)
    second = mail.failed_mail(admin, first.next_before, limit=2)
    third = mail.failed_mail(admin, second.next_before, limit=2)
    ids = [r.id for page in (first, second, third) for r in page.rows]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert third.next_before is None


# --- the daily digest ---------------------------------------------------------------------------


def _digest_officer(f, n_cases=3):
    admin, officer = f.admin(), f.officer()
    set_notification_mode(officer, NotificationMode.DIGEST)
    made = [f.CaseFactory(officer=officer) for _ in range(n_cases)]
    for case in made:
        cases.accept_referral(case, admin)
    return officer, admin, made


def test_one_digest_a_day_lists_the_updates_by_case_number(f):
    officer, admin, made = _digest_officer(f)
    someone_else = f.officer()
    set_notification_mode(someone_else, NotificationMode.NONE)
    cases.decline_referral(f.CaseFactory(officer=someone_else), admin, "Under 18")
    assert digests.officers_waiting() == [officer.id]
    email = digests.queue_digest(officer.id)
    assert email is not None
    assert digests.queue_digest(officer.id) is None  # the day has had its digest
    claim, prepared = _send_one()
    text = prepared.message.get_content()
    assert "3 updates on your referrals" in text
    for case in made:
        assert f"Case {case.id}: {OFFICER_TEXT[ACCEPTED]}" in text
        for fact in _person_facts(case):
            assert fact not in text
    assert prepared.message["Subject"].endswith("3 updates on your referrals")


def test_updates_after_the_days_digest_wait_for_the_next_day(f):
    officer, admin, _ = _digest_officer(f, 1)
    assert digests.queue_digest(officer.id) is not None
    cases.accept_referral(f.CaseFactory(officer=officer), admin)
    assert digests.queue_digest(officer.id) is None
    assert digests.officers_waiting() == [officer.id]
    tomorrow = local_today() + dt.timedelta(days=1)
    later = utcnow() + dt.timedelta(days=1)
    assert digests.queue_digest(officer.id, tomorrow, later) is not None
    assert db.session.scalar(select(func.count()).select_from(Digest)) == 2
    assert digests.officers_waiting() == []


def test_no_digest_when_nothing_waits(f):
    officer = f.officer()
    set_notification_mode(officer, NotificationMode.DIGEST)
    assert digests.queue_digest(officer.id) is None
    # No row for the day either: a later run, with updates by then, still sends one.
    assert db.session.scalar(select(func.count()).select_from(Digest)) == 0


def test_a_digest_leaves_out_what_the_officer_may_no_longer_know(f):
    admin, officer = f.admin(), f.officer()
    set_notification_mode(officer, NotificationMode.DIGEST)
    case = f.CaseFactory(officer=officer, accepted=True)
    consent = f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1))
    cases.complete_intake(case, admin, local_today())
    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    digests.queue_digest(officer.id)
    revoke_consent(consent, admin, local_today(), "In writing")
    assert _send_one()[1] is None
    assert _outbox()[0].status == OutboxStatus.WITHHELD
    taken = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.digest_id.is_not(None))
    )
    assert taken == 2
