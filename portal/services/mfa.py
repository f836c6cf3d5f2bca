"""Multi-factor sign-in (CJIS): TOTP authenticators, recovery codes, the administrator's reset.

A code is accepted for the current 30-second time step or one either side (clock drift), and
only once: the step it belongs to must be newer than the last one accepted, which is checked
and recorded in one conditional UPDATE, so two requests carrying the same code cannot both
pass. Recovery codes are used up the same way (`used_at IS NULL` in the UPDATE). The secret is
stored encrypted (portal/encryption.py) and decrypted only to check a code.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal import encryption
from portal.clock import utcnow
from portal.database import begin_write, savepoint
from portal.extensions import db
from portal.models import AuditAction, AuditOutcome, MfaCredential, MfaRecoveryCode, User
from portal.policy import can_manage_users, require
from portal.services import audit, user_sessions
from portal.services.accounts import LOCKOUT, MAX_FAILED_LOGINS
from portal.services.errors import InvalidTransition

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after the current one is accepted too
RECOVERY_CODES = 10
MAX_FAILED_CODES = 5  # wrong codes in a row at sign-in before the account locks


class CodeCheck(enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    LOCKED = "locked"  # the account is locked (now, or by this wrong code)


def credential_of(user: User) -> MfaCredential | None:
    return db.session.get(MfaCredential, user.id)


def has_mfa(user: User) -> bool:
    """Whether the user has a confirmed authenticator (and so is always asked for a code)."""
    return credential_of(user) is not None


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None))
    )


def new_secret() -> str:
    """A fresh authenticator secret (160 bits, base32), held by the set-up page until a first
    code confirms it: nothing is stored before then."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, user: User, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _normalise(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())


def _is_totp(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (current, or one either side) whose code this is, or None."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(utcnow().timestamp()) // STEP_SECONDS
    for step in sorted(range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1), reverse=True):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as the newest accepted, unless it (or a newer one) was accepted already."""
    begin_write(db.session)
    result = db.session.execute(
        update(MfaCredential)
        .where(
            MfaCredential.user_id == user.id,
            (MfaCredential.last_step.is_(None)) | (MfaCredential.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _use_recovery_code(user: User, code: str) -> int | None:
    """Use up one unused recovery code of the user's; its id, or None."""
    begin_write(db.session)
    digest = _digest(code)
    found = db.session.scalar(
        select(MfaRecoveryCode.id).where(
            MfaRecoveryCode.user_id == user.id,
            MfaRecoveryCode.code_hash == digest,
            MfaRecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return None
    result = db.session.execute(
        update(MfaRecoveryCode)
        .where(MfaRecoveryCode.id == found, MfaRecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return found if result.rowcount == 1 else None


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = secrets.token_hex(6)  # 48 random bits
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _audit(action: AuditAction, user: User, outcome: AuditOutcome = AuditOutcome.OK) -> None:
    audit.record(
        action, object_type=User.__tablename__, object_id=user.id, outcome=outcome, user=user
    )


def confirm_enrolment(user: User, secret: str, code: str) -> list[str] | None:
    """Turn on the authenticator holding `secret`, proved by a first code from it; the ten
    recovery codes (to show once), or None when the code is wrong (audited; the caller commits
    either way). Of two confirmations at once, the second finds the first's and is refused."""
    if credential_of(user) is not None:
        raise InvalidTransition("Two-step sign-in is already on for this account.")
    code = _normalise(code)
    step = _matching_step(secret, code) if _is_totp(code) else None
    if step is None:
        _audit(AuditAction.MFA_FAILED, user, AuditOutcome.REFUSED)
        return None
    try:
        with savepoint(db.session):
            db.session.add(
                MfaCredential(
                    user_id=user.id,
                    secret=encryption.encrypt(secret),
                    confirmed_at=utcnow(),
                    last_step=step,
                )
            )
            db.session.flush()
    except IntegrityError:
        raise InvalidTransition("Two-step sign-in is already on for this account.") from None
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(MfaRecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    _audit(AuditAction.MFA_ENROL, user)
    db.session.flush()
    return codes


def check_sign_in_code(user: User, code: str) -> CodeCheck:
    """The second step of signing in: a code from the authenticator, or an unused recovery code.

    A locked account is refused before any code is looked at; five wrong codes in a row lock it
    like five wrong passwords. Every answer is audited; the caller commits whatever it is.
    """
    credential = credential_of(user)
    if credential is None:
        raise InvalidTransition("Two-step sign-in is not on for this account.")
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        _audit(AuditAction.MFA_FAILED, user, AuditOutcome.REFUSED)
        return CodeCheck.LOCKED
    code = _normalise(code)
    if _is_totp(code):
        step = _matching_step(encryption.decrypt(credential.secret), code)
        accepted = step is not None and _claim_step(user, step)
        object_type, object_id = User.__tablename__, user.id
    else:
        object_id = _use_recovery_code(user, code) if len(code) == 12 else None
        accepted, object_type = object_id is not None, MfaRecoveryCode.__tablename__
    if accepted:
        db.session.execute(
            update(MfaCredential)
            .where(MfaCredential.user_id == user.id, MfaCredential.failed_codes != 0)
            .values(failed_codes=0)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            AuditAction.MFA_VERIFIED, object_type=object_type, object_id=object_id, user=user
        )
        return CodeCheck.ACCEPTED
    _audit(AuditAction.MFA_FAILED, user, AuditOutcome.REFUSED)
    return CodeCheck.LOCKED if _count_failed_code(user, now) else CodeCheck.REFUSED


def _count_failed_code(user: User, now) -> bool:
    """Count a wrong code in one UPDATE (parallel guesses all count); whether it locked."""
    failed = db.session.execute(
        update(MfaCredential)
        .where(MfaCredential.user_id == user.id)
        .values(failed_codes=MfaCredential.failed_codes + 1)
        .returning(MfaCredential.failed_codes)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failed < MAX_FAILED_CODES:
        return False
    db.session.execute(
        update(MfaCredential)
        .where(MfaCredential.user_id == user.id)
        .values(failed_codes=0)
        .execution_options(synchronize_session=False)
    )
    # Locked as five wrong passwords lock it: the sign-in count is at its limit until the lock
    # expires, so the password step refuses without trying the password.
    user.locked_until, user.failed_logins = now + LOCKOUT, MAX_FAILED_LOGINS
    db.session.flush()
    return True


def reset_mfa(actor: User, user: User) -> None:
    """An administrator removes a user's authenticator and recovery codes (audited); the user's
    sessions end, and they set up a new authenticator at their next sign-in when it is
    required (else they may)."""
    require(can_manage_users(actor), "Only administrators reset two-step sign-in.")
    credential = credential_of(user)
    if credential is None:
        raise InvalidTransition("This user has no authenticator to reset.")
    db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    db.session.delete(credential)
    user_sessions.end_user_sessions(user)
    audit.record(AuditAction.MFA_RESET, object_type=User.__tablename__, object_id=user.id)
    db.session.flush()
