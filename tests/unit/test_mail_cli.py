"""The e-mail commands and settings: the log in development, refusals in production, SMTP
security that never falls back to plain text, credentials, and the digest command."""

from __future__ import annotations

import logging
import smtplib

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from portal.config import ConfigError, mail_settings
from portal.extensions import db
from portal.models import NotificationMode, OutboxEmail, OutboxStatus
from portal.services import cases
from portal.services.notifications import set_notification_mode
from tests.smtp import Mailbox, free_port, smtp_server


def _statuses() -> list[OutboxStatus]:
    db.session.expire_all()
    return [e.status for e in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))]


def _one_waiting(f, officer=None):
    case = f.CaseFactory(officer=officer or f.officer())
    cases.accept_referral(case, f.admin())
    return case


@pytest.fixture
def configure(app, monkeypatch):
    def set_(**values) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return set_


def test_development_without_smtp_writes_the_email_to_the_log(f, runner, configure, caplog):
    case = _one_waiting(f)
    configure(SMTP_HOST=None, PORTAL_ENV="development", PUBLIC_URL=None)
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"Subject: Fayette County LEAD: update on case {case.id}" in logged
    assert f"http://localhost:5000/officer/referrals/{case.id}" in logged
    for secret in (case.person.first_name, case.person.dob.isoformat(), case.officer.email):
        assert secret not in logged  # subject and body only: no person, no address
    assert _statuses() == [OutboxStatus.SENT]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SMTP_HOST": None, "PUBLIC_URL": "https://lead.example.org"}, "SMTP_HOST"),
        ({"SMTP_HOST": "127.0.0.1", "PUBLIC_URL": None, "SERVER_NAME": None}, "PUBLIC_URL"),
    ],
)
def test_production_refuses_to_send_without_its_settings(f, runner, configure, values, message):
    _one_waiting(f)
    configure(PORTAL_ENV="production", **values)
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code != 0
    assert message in result.output
    assert _statuses() == [OutboxStatus.PENDING]  # nothing lost, nothing claimed


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_secure_setting_never_falls_back_to_plain_text(f, runner, configure, security):
    """A server without TLS: the e-mail waits for its next try rather than going in clear."""
    _one_waiting(f)
    with smtp_server() as (port, mailbox):
        configure(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY=security, SMTP_TIMEOUT=5)
        result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    assert "1 to try again" in result.output
    assert mailbox.messages == []
    assert _statuses() == [OutboxStatus.PENDING]


class _Accounts:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"portal" and auth_data.password == b"right"
        return AuthResult(success=ok)


# Loopback only, and no TLS to test with: AUTH in clear is this test server's choice.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize(("password", "sent"), [("right", True), ("wrong", False)])
def test_credentials_are_used(f, runner, configure, password, sent):
    _one_waiting(f)
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_Accounts(),
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        configure(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=controller.port,
            SMTP_SECURITY="none",
            SMTP_USERNAME="portal",
            SMTP_PASSWORD=password,
            SMTP_TIMEOUT=5,
        )
        result = runner.invoke(args=["send-notifications"])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == (1 if sent else 0)
    email = db.session.scalar(select(OutboxEmail))
    db.session.refresh(email)
    assert email.status == (OutboxStatus.SENT if sent else OutboxStatus.PENDING)
    if not sent:
        # Refused (smtplib tries each mechanism; the server may hang up after the refusals).
        assert email.last_error in ("SMTPAuthenticationError 535", "SMTPServerDisconnected")


def test_send_digests_writes_one_a_day_and_sends_it(f, runner, configure):
    officer = f.officer()
    set_notification_mode(officer, NotificationMode.DIGEST)
    _one_waiting(f, officer)
    _one_waiting(f, officer)
    with smtp_server() as (port, mailbox):
        configure(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none", SMTP_TIMEOUT=5)
        first = runner.invoke(args=["send-digests"])
        second = runner.invoke(args=["send-digests"])
    assert first.exit_code == 0, first.output
    assert "1 digest written." in first.output and "1 sent" in first.output
    assert "0 digests written." in second.output and "0 sent" in second.output
    assert len(mailbox.messages) == 1
    assert "2 updates on your referrals" in mailbox.messages[0]["Subject"]


# --- settings -----------------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch):
    for name in (
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_SECURITY",
        "SMTP_TIMEOUT",
        "MAIL_LEASE_SECONDS",
        "MAIL_MAX_ATTEMPTS",
        "PUBLIC_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_each_security_has_its_usual_port(env, security, port):
    env.setenv("SMTP_SECURITY", security)
    assert mail_settings()["SMTP_PORT"] == port


def test_mail_settings_come_from_the_environment(env):
    env.setenv("SMTP_HOST", " smtp.example.org ")
    env.setenv("SMTP_PORT", "2525")
    env.setenv("PUBLIC_URL", "https://lead.example.org/")
    settings = mail_settings()
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"]) == ("smtp.example.org", 2525)
    assert settings["PUBLIC_URL"] == "https://lead.example.org"
    assert settings["MAIL_MAX_ATTEMPTS"] == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMTP_SECURITY", "ssl3"),
        ("SMTP_PORT", "smtp"),
        ("SMTP_PORT", "0"),
        ("MAIL_MAX_ATTEMPTS", "0"),
        ("MAIL_LEASE_SECONDS", "100"),  # shorter than ten SMTP timeouts: two could send it
    ],
)
def test_bad_mail_settings_stop_the_start(env, name, value):
    env.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        mail_settings()


def test_smtplib_errors_are_os_errors():
    """The sender catches OSError: smtplib's errors, the network's and TLS's are all one."""
    assert issubclass(smtplib.SMTPException, OSError)
