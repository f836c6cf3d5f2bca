"""E-mail from the outbox (to officers, and invitations to new users): claiming a row, writing
the message, recording the outcome.

The rules:
- an e-mail says only the program's case number, the kind of update and where to sign in;
  never a name, a date of birth or anything clinical (the inbox, behind the sign-in, says more);
- it is claimed before it is sent (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: a conditional
  UPDATE), and the claim holds for a lease far longer than one SMTP conversation, so two
  senders never send one e-mail twice; a sender that dies mid-send leaves it to be retried
  when the lease ends;
- the disclosure rule is asked again before sending: an e-mail whose update the officer may no
  longer know of is withheld; what is sent under a consent is recorded as a disclosure, with
  the section 2.32 notice in the e-mail;
- a failure is tried again after 1, 2, 4... retry periods, up to the set number of tries; then
  the e-mail is failed, and the administrators' page lists it.

The sender's loop, with its commits, is the command's (`portal.mail_cli`); these functions
flush, as every service does. How a message travels is `portal.services.mail_transport`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from portal.clock import local_date, to_local, utcnow
from portal.extensions import db
from portal.models import (
    Consent,
    Notification,
    OutboxEmail,
    OutboxStatus,
    TimelineEntry,
    User,
)
from portal.policy import (
    can_view_mail_failures,
    disclosing_consent,
    notification_scope,
    receives_notifications,
    require,
)
from portal.services.consents import consents_for
from portal.services.disclosures import REDISCLOSURE_NOTICE, record_disclosures_of
from portal.services.invitations import token_for
from portal.services.mail_transport import error_text
from portal.services.timeline import OFFICER_TEXT

MAX_BACKOFF = dt.timedelta(hours=6)
DIGEST_LINES = 50  # a digest lists this many updates, then says how many more


# --- claiming -----------------------------------------------------------------------------------


def _due(now: dt.datetime):
    return and_(
        OutboxEmail.status == OutboxStatus.PENDING,
        OutboxEmail.next_attempt_at <= now,
        or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
    )


@dataclass(frozen=True)
class Claim:
    email_id: int
    until: dt.datetime  # the lease, and the token that proves the claim is still ours


def claim_next(lease_seconds: int, now: dt.datetime | None = None) -> Claim | None:
    """Claim the next due e-mail for this sender, counting the try (commit at once: the claim
    must be seen by other senders before the e-mail is sent)."""
    now = now or utcnow()
    until = now + dt.timedelta(seconds=lease_seconds)
    claim = {"claimed_until": until, "attempts": OutboxEmail.attempts + 1}
    order = (OutboxEmail.next_attempt_at, OutboxEmail.id)
    if db.session.get_bind().dialect.name == "postgresql":
        email_id = db.session.scalar(
            select(OutboxEmail.id)
            .where(_due(now))
            .order_by(*order)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if email_id is None:
            return None
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id)
            .values(**claim)
            .execution_options(synchronize_session=False)
        )
    else:
        # One statement under SQLite's single writer lock: pick and claim, or nothing.
        pick = select(OutboxEmail.id).where(_due(now)).order_by(*order).limit(1).scalar_subquery()
        email_id = db.session.scalar(
            update(OutboxEmail)
            .where(OutboxEmail.id == pick, _due(now))
            .values(**claim)
            .returning(OutboxEmail.id)
            .execution_options(synchronize_session=False)
        )
        if email_id is None:
            return None
    return Claim(email_id, until)


def _still_ours(claim: Claim):
    return and_(
        OutboxEmail.id == claim.email_id,
        OutboxEmail.status == OutboxStatus.PENDING,
        OutboxEmail.claimed_until == claim.until,
    )


# --- writing the e-mail -------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Where an e-mail points: the sign-in address of a case, of the inbox, of the settings, and
    an invitation's link (from its token)."""

    case: Callable[[int], str]
    inbox: str
    settings: str
    invitation: Callable[[str], str] | None = None


@dataclass(frozen=True)
class MailContext:
    program: str
    sender: str
    links: Links
    # The app's secret key: an invitation's token is derived from it when its e-mail is written.
    secret_key: str | None = None


@dataclass(frozen=True)
class Prepared:
    """An e-mail ready to send, and what sending it discloses (recorded once it is sent)."""

    message: EmailMessage
    user: User
    entries: list[TimelineEntry]
    consents: dict[int, list[Consent]]


def _message(context: MailContext, email: OutboxEmail, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = context.sender
    message["To"] = Address(addr_spec=email.user.email)
    message["Date"] = format_datetime(utcnow())
    # One id per outbox row: should a message ever be sent again (a sender dying between the
    # send and its record), mail systems see the same message.
    domain = parseaddr(context.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<lead-outbox-{email.id}@{domain}>"
    message.set_content(body)
    return message


def _notice(consented: bool) -> list[str]:
    if not consented:
        return []
    return ["", "Disclosed with the participant's written consent. " + REDISCLOSURE_NOTICE]


def _footer(context: MailContext, what: str) -> list[str]:
    return [
        "",
        "This e-mail holds no personal information: sign in to the portal to read the referral.",
        f"You receive {what}. To change this, sign in and open Notification settings: "
        f"{context.links.settings}",
    ]


def _one(context: MailContext, email: OutboxEmail, consented: bool) -> EmailMessage:
    notification = email.notification
    case_id, words = notification.case_id, OFFICER_TEXT[notification.kind]
    body = [
        f"There is an update on case {case_id} in the {context.program} portal:",
        f"{words}.",
        "",
        f"Sign in to see it: {context.links.case(case_id)}",
        *_notice(consented),
        *_footer(context, "an e-mail for each update on your referrals"),
    ]
    subject = f"{context.program}: update on case {case_id}"
    return _message(context, email, subject, "\n".join(body))


def _digest(
    context: MailContext, email: OutboxEmail, items: list[Notification], consented: bool
) -> EmailMessage:
    count = len(items)
    updates = "1 update" if count == 1 else f"{count} updates"
    day = f"{email.digest.day:%B} {email.digest.day.day}, {email.digest.day.year}"
    lines = [f"- Case {n.case_id}: {OFFICER_TEXT[n.kind]}" for n in items[:DIGEST_LINES]]
    if count > DIGEST_LINES:
        lines.append(f"- and {count - DIGEST_LINES} more")
    body = [
        f"{updates} on your referrals in the {context.program} portal ({day}):",
        *lines,
        "",
        f"Sign in to see them: {context.links.inbox}",
        *_notice(consented),
        *_footer(context, "one e-mail a day listing the day's updates"),
    ]
    subject = f"{context.program}: {updates} on your referrals"
    return _message(context, email, subject, "\n".join(body))


def _invitation(context: MailContext, email: OutboxEmail, token: str) -> EmailMessage:
    expires = to_local(email.invitation.expires_at)
    when = f"{expires:%B} {expires.day}, {expires.year} at {expires:%H:%M}"
    body = [
        f"You are invited to the {context.program} portal.",
        "",
        f"Choose your password here: {context.links.invitation(token)}",
        "",
        f"The link works once, until {when} ({expires:%Z}). Once your password is set, sign in "
        "with this e-mail address.",
        "If you did not expect this e-mail, ignore it: without the link nothing happens.",
    ]
    subject = f"{context.program}: your invitation to the portal"
    return _message(context, email, subject, "\n".join(body))


def _prepare_invitation(claim: Claim, context: MailContext, email: OutboxEmail) -> Prepared | None:
    """An invitation's e-mail, with its link: withheld when the link no longer works (used,
    revoked, expired) or could not work (the secret key changed since it was made)."""
    invitation = email.invitation
    if context.links.invitation is None or context.secret_key is None:
        raise ValueError("Invitation e-mails need the invitation link and the secret key.")
    token = token_for(invitation, context.secret_key) if invitation.is_pending(utcnow()) else None
    if token is None:
        _finish(claim, OutboxStatus.WITHHELD)
        return None
    return Prepared(_invitation(context, email, token), email.user, [], {})


def prepare(claim: Claim, context: MailContext) -> Prepared | None:
    """The claimed e-mail, written now from what the officer may know now; None (and the
    e-mail withheld) when that is nothing: the consent ended, or the account was closed.
    An invitation's e-mail is written with its link while the link works."""
    email = db.session.scalar(
        select(OutboxEmail)
        .where(_still_ours(claim))
        .options(
            joinedload(OutboxEmail.user),
            joinedload(OutboxEmail.notification).joinedload(Notification.entry),
            joinedload(OutboxEmail.digest),
            joinedload(OutboxEmail.invitation),
        )
    )
    if email is None:
        return None
    if email.invitation_id is not None:
        return _prepare_invitation(claim, context, email)
    user = email.user
    items: list[Notification] = []
    if receives_notifications(user):
        if email.notification_id is not None:
            which = Notification.id == email.notification_id
        else:
            which = Notification.digest_id == email.digest_id
        items = list(
            db.session.scalars(
                notification_scope(user)
                .where(which)
                .options(joinedload(Notification.entry))
                .order_by(Notification.id)
            )
        )
    if not items:
        _finish(claim, OutboxStatus.WITHHELD)
        return None
    consents = consents_for(sorted({n.case_id for n in items}))
    consented = any(disclosing_consent(user, n.kind, consents[n.case_id]) for n in items)
    if email.notification_id is not None:
        message = _one(context, email, consented)
    else:
        message = _digest(context, email, items, consented)
    return Prepared(message, user, [n.entry for n in items], consents)


# --- the outcome --------------------------------------------------------------------------------


def _finish(claim: Claim, status: OutboxStatus, **values) -> bool:
    result = db.session.execute(
        update(OutboxEmail)
        .where(_still_ours(claim))
        .values(status=status, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount == 1


def mark_sent(claim: Claim, prepared: Prepared) -> bool:
    """Sent: recorded, and so is each update it disclosed under a consent (once)."""
    if not _finish(claim, OutboxStatus.SENT, sent_at=utcnow(), last_error=None):
        return False
    record_disclosures_of(prepared.user, prepared.entries, prepared.consents)
    return True


def backoff(attempts: int, retry_seconds: int) -> dt.timedelta:
    """The wait before the next try: the retry period, doubled after each failed try."""
    return min(dt.timedelta(seconds=retry_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def mark_failed(
    claim: Claim, error: BaseException, max_attempts: int, retry_seconds: int
) -> OutboxStatus | None:
    """A try failed: tried again later, or given up after `max_attempts` tries (failed, for an
    administrator to see). Returns the status it is left in."""
    attempts = db.session.scalar(
        select(OutboxEmail.attempts).where(OutboxEmail.id == claim.email_id)
    )
    if attempts is None:
        return None
    if attempts >= max_attempts:
        status, values = OutboxStatus.FAILED, {}
    else:
        status = OutboxStatus.PENDING
        values = {"next_attempt_at": utcnow() + backoff(attempts, retry_seconds)}
    if not _finish(claim, status, last_error=error_text(error), **values):
        return None
    return status


# --- what administrators see --------------------------------------------------------------------


@dataclass(frozen=True)
class FailedMail:
    id: int
    case_id: int | None  # None: a digest or an invitation
    kind: str
    officer_id: int
    officer_name: str
    attempts: int
    last_error: str | None
    created_on: dt.date


@dataclass(frozen=True)
class FailedPage:
    rows: list[FailedMail]
    next_before: int | None


def _kind(email: OutboxEmail) -> str:
    if email.notification is not None:
        return OFFICER_TEXT[email.notification.kind]
    return "Invitation to the portal" if email.invitation_id is not None else "Daily digest"


def failed_mail(actor: User, before: int | None = None, limit: int = 20) -> FailedPage:
    """E-mail given up on, newest first (keyset on the id): case numbers and kinds of update,
    the officer's account to check, never a participant."""
    require(can_view_mail_failures(actor), "Only the program office sees undelivered e-mail.")
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.FAILED)
        .options(joinedload(OutboxEmail.user), joinedload(OutboxEmail.notification))
        .order_by(OutboxEmail.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(OutboxEmail.id < before)
    emails = list(db.session.scalars(query))
    more = len(emails) > limit
    emails = emails[:limit]
    rows = [
        FailedMail(
            id=e.id,
            case_id=e.notification.case_id if e.notification else None,
            kind=_kind(e),
            officer_id=e.user_id,
            officer_name=e.user.name,
            attempts=e.attempts,
            last_error=e.last_error,
            created_on=local_date(e.created_at),
        )
        for e in emails
    ]
    return FailedPage(rows, emails[-1].id if more and emails else None)


def retry_failed(actor: User, email_id: int) -> bool:
    """Try a failed e-mail again from the start (after the officer's address was put right);
    False when it is no longer failed (already retried)."""
    require(can_view_mail_failures(actor), "Only the program office retries e-mail.")
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == OutboxStatus.FAILED)
        .values(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow(), claimed_until=None
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount == 1
