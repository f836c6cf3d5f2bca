"""E-mail commands: `flask --app portal send-notifications` and `send-digests`.

Run them from cron (every minute, and once a day after the working day, say) on any number of
hosts: each e-mail is claimed before it is sent, so none goes twice, and a failed one waits
for its next try. Each step commits on its own: the claim (seen by every other sender) before
the SMTP conversation, the outcome after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import Flask, current_app, url_for
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models import OutboxStatus
from portal.services import digests, mail
from portal.services.mail import Links, MailContext
from portal.services.mail_transport import (
    LogTransport,
    SmtpTransport,
    Transport,
    error_text,
    is_server_failure,
)

DEVELOPMENT_URL = "http://localhost:5000"  # `make run`


class MailNotConfigured(click.ClickException):
    """Production needs an SMTP server and the portal's public address."""


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withheld: int = 0
    stopped: bool = False  # the server failed: the rest waits for the next run

    def __str__(self) -> str:
        line = (
            f"{self.sent} sent, {self.retrying} to try again, {self.failed} given up, "
            f"{self.withheld} withheld."
        )
        if self.stopped:
            line += " The mail server failed: the rest waits for the next run."
        return line


def make_transport(app: Flask) -> Transport:
    """SMTP when SMTP_HOST is set; in development the log (production refuses to run without)."""
    if app.config.get("SMTP_HOST"):
        return SmtpTransport.from_config(app.config)
    if app.config["PORTAL_ENV"] == "production":
        raise MailNotConfigured("SMTP_HOST is not set: no e-mail can be sent.")
    return LogTransport(app.logger.warning)


def public_url(app: Flask) -> str:
    if app.config.get("PUBLIC_URL"):
        return app.config["PUBLIC_URL"]
    if app.config.get("SERVER_NAME"):
        return f"{app.config.get('PREFERRED_URL_SCHEME', 'http')}://{app.config['SERVER_NAME']}"
    if app.config["PORTAL_ENV"] == "production":
        raise MailNotConfigured("Set PUBLIC_URL (https://...): e-mails link to the portal.")
    return DEVELOPMENT_URL


def mail_context(app: Flask) -> MailContext:
    """The program's name, the sender, and the portal's addresses e-mails link to."""
    base = public_url(app)
    with app.test_request_context("/", base_url=base):
        template = url_for("officer.case_detail", case_id=0, _external=True)
        inbox = url_for("officer.inbox", _external=True)
        settings = url_for("officer.notification_settings", _external=True)
        invite = url_for("auth.invitation", token="0", _external=True)  # noqa: S106
    prefix, invite_prefix = template[: -len("0")], invite[: -len("0")]
    links = Links(
        case=lambda case_id: f"{prefix}{case_id}",
        inbox=inbox,
        settings=settings,
        invitation=lambda token: f"{invite_prefix}{token}",
    )
    return MailContext(
        app.config["PROGRAM_NAME"], app.config["MAIL_FROM"], links, app.config["SECRET_KEY"]
    )


def deliver_due(transport: Transport, context: MailContext, limit: int = 500) -> Delivery:
    """Send the e-mails that are due, one claim at a time, until none is left (or `limit`, or
    the server fails: then the others keep their tries for the next run)."""
    config = current_app.config
    done = Delivery()
    try:
        for _ in range(limit):
            claim = mail.claim_next(config["MAIL_LEASE_SECONDS"])
            db.session.commit()
            if claim is None:
                break
            prepared = mail.prepare(claim, context)
            if prepared is None:
                db.session.commit()
                done.withheld += 1
                continue
            try:
                transport.send(prepared.message)
            except OSError as error:  # smtplib's errors, the network's and TLS's
                status = mail.mark_failed(
                    claim, error, config["MAIL_MAX_ATTEMPTS"], config["MAIL_RETRY_SECONDS"]
                )
                db.session.commit()
                if status == OutboxStatus.FAILED:
                    done.failed += 1
                    current_app.logger.error(
                        "E-mail %s given up after %s tries (%s)",
                        claim.email_id,
                        config["MAIL_MAX_ATTEMPTS"],
                        error_text(error),
                    )
                else:
                    done.retrying += 1
                if is_server_failure(error):
                    done.stopped = True
                    break
                continue
            mail.mark_sent(claim, prepared)
            db.session.commit()
            done.sent += 1
    finally:
        transport.close()
    return done


def queue_digests() -> int:
    """Today's digest for each officer who has updates waiting for one; returns how many."""
    queued, after = 0, 0
    while officers := digests.officers_waiting(after):
        for user_id in officers:
            if digests.queue_digest(user_id) is not None:
                queued += 1
            db.session.commit()
        after = officers[-1]
    return queued


def init_app(app: Flask) -> None:
    @app.cli.command("send-notifications")
    @click.option("--limit", default=500, show_default=True, help="At most this many e-mails.")
    def send_notifications(limit: int) -> None:
        """Send the e-mails that are due: officers' updates and invitations (safe to run often,
        on several hosts)."""
        try:
            done = deliver_due(make_transport(app), mail_context(app), limit)
        except SQLAlchemyError as error:
            db.session.rollback()
            raise click.ClickException(f"Database error: {type(error).__name__}") from error
        click.echo(str(done))

    @app.cli.command("send-digests")
    @click.option("--limit", default=500, show_default=True, help="At most this many e-mails.")
    def send_digests(limit: int) -> None:
        """Write today's digest for each officer who chose one, then send what is due (at most
        one digest an officer a day, however often it runs)."""
        transport, context = make_transport(app), mail_context(app)
        queued = queue_digests()
        click.echo(f"{queued} digest{'' if queued == 1 else 's'} written.")
        click.echo(str(deliver_due(transport, context, limit)))
