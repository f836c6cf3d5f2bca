"""E-mail delivered for real, after real commits, through SMTP servers started on loopback: it
arrives (once), a failing server loses nothing, two senders at once send each e-mail once, and
no e-mail holds anything about the person."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.mail_cli import deliver_due, mail_context, queue_digests
from portal.models import (
    Case,
    Digest,
    Disclosure,
    NotificationMode,
    OutboxEmail,
    OutboxStatus,
    User,
)
from portal.services import cases
from portal.services.mail_transport import SmtpTransport
from portal.services.notifications import set_notification_mode
from tests.smtp import free_port, hanging_up_server, smtp_server


@pytest.fixture
def smtp_config(app, monkeypatch):
    """Point the app at a loopback server: `smtp_config(port)`."""

    def configure(port: int, **extra) -> None:
        values = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_SECURITY": "none",
            "SMTP_TIMEOUT": 5,
            "PUBLIC_URL": "https://lead.example.org",
            "MAIL_FROM": "Test LEAD <no-reply@lead.example.org>",
            **extra,
        }
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return configure


def _referrals(f, n: int, officers: int = 1) -> list[Case]:
    """n referrals accepted by the office (committed): n e-mails waiting, officers' names and
    people's names known to the test."""
    admin = f.admin()
    team = [f.officer() for _ in range(officers)]
    made = [
        f.CaseFactory(officer=team[i % officers], incident_number=f"INC-{9000 + i}")
        for i in range(n)
    ]
    for case in made:
        cases.accept_referral(case, admin)
    db.session.commit()
    return made


def _statuses() -> dict[OutboxStatus, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
    ).all()
    return dict(rows)


def _deliver(app) -> object:
    return deliver_due(SmtpTransport.from_config(app.config), mail_context(app))


def _assert_nothing_personal(messages, made: list[Case]) -> None:
    for message in messages:
        text = message.as_string()
        for case in made:
            person = db.session.get(Case, case.id).person
            for fact in (
                person.first_name,
                person.last_name,
                person.dob.isoformat(),
                f"{person.dob:%b %-d, %Y}",
                f"{person.dob:%m/%d/%Y}",
                case.incident_number,
                case.offences,
            ):
                assert not fact or fact not in text, fact


def test_delivery_through_a_real_smtp_server(app, f, runner, smtp_config):
    made = _referrals(f, 3)
    with smtp_server() as (port, mailbox):
        smtp_config(port)
        result = runner.invoke(args=["send-notifications"])
        assert result.exit_code == 0, result.output
        assert "3 sent" in result.output
        again = runner.invoke(args=["send-notifications"])
        assert "0 sent" in again.output  # never twice
    assert len(mailbox.messages) == 3
    officer = db.session.get(User, made[0].officer_id)
    assert all(r == [officer.email] for r in mailbox.recipients)
    subjects = sorted(m["Subject"] for m in mailbox.messages)
    assert subjects == sorted(f"Fayette County LEAD: update on case {c.id}" for c in made)
    for message in mailbox.messages:
        assert message["From"] == "Test LEAD <no-reply@lead.example.org>"
        assert "https://lead.example.org/officer/referrals/" in message.get_payload()
    _assert_nothing_personal(mailbox.messages, made)
    assert _statuses() == {OutboxStatus.SENT: 3}


@pytest.mark.parametrize("failure", ["temporary", "hang-up", "refused"])
def test_a_failing_server_causes_retries_with_backoff_and_no_loss(app, f, smtp_config, failure):
    made = _referrals(f, 2)
    if failure == "temporary":
        # The server refuses each message for now: each is tried, each waits for its next try.
        with smtp_server("451 4.3.0 Try again later") as (port, mailbox):
            smtp_config(port)
            done = _deliver(app)
        assert mailbox.tries == 2 and mailbox.messages == []
        tried = 2
    else:
        # The server is down (hangs up, or nothing listens): the run stops at the first failure
        # and the other e-mail keeps its tries for the next run.
        if failure == "hang-up":
            with hanging_up_server() as (port, accepted):
                smtp_config(port)
                done = _deliver(app)
            assert len(accepted) == 1
        else:
            smtp_config(free_port())
            done = _deliver(app)
        assert done.stopped
        tried = 1
    assert (done.sent, done.retrying) == (0, tried)
    assert _statuses() == {OutboxStatus.PENDING: 2}
    before = utcnow()
    emails = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.attempts.desc())))
    assert [e.attempts for e in emails] == [1] * tried + [0] * (2 - tried)
    for email in emails[:tried]:
        assert email.last_error
        wait = (email.next_attempt_at - before).total_seconds()
        assert 0 < wait <= app.config["MAIL_RETRY_SECONDS"]  # waits before its next try
    with smtp_server() as (port, mailbox):
        smtp_config(port)
        # Not before its time, however often the command runs.
        assert _deliver(app).sent == 2 - tried
        # The wait has passed: the next run sends the rest, once.
        db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert _deliver(app).sent == tried
        assert _deliver(app).sent == 0
    assert len(mailbox.messages) == 2
    assert sorted(m["Subject"] for m in mailbox.messages) == sorted(
        f"Fayette County LEAD: update on case {c.id}" for c in made
    )
    assert _statuses() == {OutboxStatus.SENT: 2}


def test_after_the_set_number_of_tries_the_email_is_given_up_and_shown(
    app, f, client, login_as, smtp_config
):
    made = _referrals(f, 1)
    smtp_config(free_port(), MAIL_MAX_ATTEMPTS=2)
    assert _deliver(app).retrying == 1
    db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert _deliver(app).failed == 1
    assert _statuses() == {OutboxStatus.FAILED: 1}
    login_as(f.admin())
    page = client.get("/admin/mail").get_data(as_text=True)
    assert f"Case {made[0].id}" in page and "ConnectionRefusedError" in page
    person = db.session.get(Case, made[0].id).person
    assert person.last_name not in page and person.first_name not in page


def test_two_senders_at_once_deliver_each_email_once(app, f, smtp_config):
    made = _referrals(f, 12, officers=3)
    with smtp_server() as (port, mailbox):
        smtp_config(port)
        barrier = threading.Barrier(2)
        results: list[object] = []

        def sender() -> None:
            with app.app_context():
                try:
                    transport = SmtpTransport.from_config(app.config)
                    context = mail_context(app)
                    barrier.wait()
                    results.append(deliver_due(transport, context))
                except Exception as exc:  # noqa: BLE001 - reported to the assertion
                    results.append(f"{type(exc).__name__}: {exc}")
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert all(not isinstance(r, str) for r in results), results
    assert sum(r.sent for r in results) == 12, results
    assert len(mailbox.messages) == 12
    ids = {m["Message-ID"] for m in mailbox.messages}
    assert len(ids) == 12  # each e-mail once
    subjects = sorted(m["Subject"] for m in mailbox.messages)
    assert subjects == sorted(f"Fayette County LEAD: update on case {c.id}" for c in made)
    assert _statuses() == {OutboxStatus.SENT: 12}
    _assert_nothing_personal(mailbox.messages, made)


def test_digests_from_two_runs_at_once_make_one_a_day(app, f, smtp_config):
    admin = f.admin()
    officers = [f.officer() for _ in range(3)]
    for officer in officers:
        set_notification_mode(officer, NotificationMode.DIGEST)
    made = []
    for officer in officers:
        for _ in range(2):
            case = f.CaseFactory(officer=officer)
            cases.accept_referral(case, admin)
            made.append(case)
    db.session.commit()
    barrier = threading.Barrier(2)
    counts: list[object] = []

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                counts.append(queue_digests())
            except Exception as exc:  # noqa: BLE001 - reported to the assertion
                counts.append(f"{type(exc).__name__}: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(c for c in counts if isinstance(c, int)) in ([0, 3], [1, 2]), counts
    assert sum(counts) == 3, counts
    assert queue_digests() == 0  # and a third run, later the same day, makes none
    days = db.session.execute(select(Digest.user_id, Digest.day)).all()
    assert sorted(days) == sorted((o.id, local_today()) for o in officers)
    with smtp_server() as (port, mailbox):
        smtp_config(port)
        assert _deliver(app).sent == 3
    assert len(mailbox.messages) == 3
    for message in mailbox.messages:
        assert "2 updates on your referrals" in message.get_payload()
    _assert_nothing_personal(mailbox.messages, made)


def test_a_sent_update_disclosed_under_consent_is_recorded_once(app, f, smtp_config):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1))
    cases.complete_intake(case, admin, local_today())
    db.session.commit()
    with smtp_server() as (port, mailbox):
        smtp_config(port)
        assert _deliver(app).sent == 1
    assert "42 CFR part 2" in mailbox.messages[0].get_payload()
    assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 1
