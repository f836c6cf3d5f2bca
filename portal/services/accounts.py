"""Users: sign-in, sessions, and the administrator's account management."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    Agency,
    AuditAction,
    AuditOutcome,
    Invitation,
    Organization,
    Role,
    StaffRole,
    User,
)
from portal.passwords import (
    DEMO_PASSWORD,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from portal.policy import (
    can_manage_users,
    can_set_own_work_phone,
    holds_duties,
    needs_agency,
    needs_organization,
    require,
)
from portal.services import audit, invitations, user_sessions
from portal.services.errors import ValidationFailed
from portal.services.phones import phone_problem


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_for_session(token: str) -> User | None:
    """The user signed in with this session token (live session, active user and affiliation)."""
    return user_sessions.user_for_token(token)


MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class SignInAttempt:
    """An attempt counted against an account before its password is looked at."""

    email: str
    user_id: int | None
    # The attempt's place in the run of failures: past the limit, the account is locked.
    number: int

    @property
    def locked(self) -> bool:
        return self.number > MAX_FAILED_LOGINS


def count_sign_in_attempt(email: str) -> SignInAttempt:
    """Count an attempt in one atomic UPDATE, before the password is checked (CJIS lockout).

    Attempts counted at the same instant each get their own number, so a burst cannot slip
    past the limit: the fifth in a row locks the account for ten minutes, and any later one
    is refused without its password being tried. An expired lock starts the count again.
    The caller commits it before checking the password (no lock held during the slow hash).
    """
    email, now = normalise_email(email), utcnow()
    expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
    lock = literal(now + LOCKOUT, User.locked_until.type)
    row = db.session.execute(
        update(User)
        .where(User.email == email)
        .values(
            failed_logins=case((expired, 1), else_=User.failed_logins + 1),
            locked_until=case(
                (expired, None),
                (
                    and_(
                        User.locked_until.is_(None),
                        User.failed_logins + 1 >= MAX_FAILED_LOGINS,
                    ),
                    lock,
                ),
                else_=User.locked_until,
            ),
        )
        .returning(User.id, User.failed_logins)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return SignInAttempt(email, None, 0)
    return SignInAttempt(email, row.id, row.failed_logins)


def check_sign_in(
    attempt: SignInAttempt, password: str, *, session_id: int | None = None
) -> User | None:
    """The active user of a counted attempt whose password is right, unless the account is
    locked (same cost either way: an unknown e-mail or a locked account still hashes).

    With `session_id`, the check is a re-authentication within that session: audited on the
    session, and not a new sign-in (the time of the last sign-in stays).
    """
    user = db.session.get(User, attempt.user_id) if attempt.user_id is not None else None
    tried = user.password_hash if user is not None and not attempt.locked else None
    valid = verify_password(tried, password)
    if user is None:
        # Audited without what was typed: a mistyped e-mail is often a password.
        audit.record(AuditAction.SIGN_IN_FAILED, outcome=AuditOutcome.REFUSED)
        return None
    if not valid or not user_sessions.may_sign_in(user):
        _audit_sign_in(AuditAction.SIGN_IN_FAILED, user, AuditOutcome.REFUSED, session_id)
        return None
    # A success ends the run of failures (atomically: other attempts may be counting).
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["failed_logins", "locked_until"])
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if session_id is None:
        user.last_login_at = utcnow()
    _audit_sign_in(AuditAction.SIGN_IN, user, AuditOutcome.OK, session_id)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Count the attempt and check it in one transaction (the sign-in page commits between)."""
    return check_sign_in(count_sign_in_attempt(email), password)


def record_sign_in_limited() -> None:
    """An attempt refused by a rate limit: audited without the e-mail it named."""
    audit.record(AuditAction.SIGN_IN_FAILED, outcome=AuditOutcome.REFUSED)


def _audit_sign_in(
    action: AuditAction, user: User, outcome: AuditOutcome, session_id: int | None = None
) -> None:
    """On the user; a re-authentication on the session it renews (`user_sessions`)."""
    object_type, object_id = (
        (User.__tablename__, user.id) if session_id is None else ("user_sessions", session_id)
    )
    audit.record(action, object_type=object_type, object_id=object_id, outcome=outcome, user=user)


def end_all_sessions(user: User) -> None:
    """Every session of the user ends at once (audited): their cookies stop working."""
    user_sessions.end_user_sessions(user)


def _check_affiliation(
    role: Role, agency_id: int | None, organization_id: int | None, current: User | None = None
):
    """Officers need an agency, provider staff an organisation: existing, and active unless kept."""
    if needs_agency(role):
        agency = db.session.get(Agency, agency_id) if agency_id else None
        if agency is None:
            raise ValidationFailed("Choose the officer's agency.", field="agency_id")
        if not agency.active and (current is None or current.agency_id != agency.id):
            raise ValidationFailed("This agency is inactive; choose another.", field="agency_id")
        return agency.id, None
    if needs_organization(role):
        organization = db.session.get(Organization, organization_id) if organization_id else None
        if organization is None:
            raise ValidationFailed(
                "Choose the staff member's organisation.", field="organization_id"
            )
        if not organization.active and (
            current is None or current.organization_id != organization.id
        ):
            raise ValidationFailed(
                "This organisation is inactive; choose another.", field="organization_id"
            )
        return None, organization.id
    return None, None


def _check_staff_roles(role: Role, staff_roles) -> frozenset[StaffRole]:
    """Program office staff hold one duty or more; officers and provider staff hold none."""
    staff_roles = frozenset(staff_roles or ())
    if holds_duties(role) and not staff_roles:
        raise ValidationFailed(
            "Choose at least one duty for program office staff.", field="staff_roles"
        )
    if not holds_duties(role) and staff_roles:
        raise ValidationFailed(
            "Only program office staff hold these duties; clear them or choose Program office.",
            field="staff_roles",
        )
    return staff_roles


def _check_work_phone(work_phone: str | None) -> str | None:
    """A work phone is optional; given, it must be a phone number. Returns it tidied."""
    problem = phone_problem(work_phone or "")
    if problem:
        raise ValidationFailed(problem, field="work_phone")
    return (work_phone or "").strip() or None


def _check_identity(email: str, name: str, badge: str | None) -> None:
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 255 or any(c.isspace() for c in email):
        raise ValidationFailed("Enter an email address such as name@example.org.", field="email")
    if not name.strip():
        raise ValidationFailed("Enter the person's name.", field="name")
    if len(name.strip()) > 120:
        raise ValidationFailed("Use at most 120 characters.", field="name")
    if len(badge or "") > 40:
        raise ValidationFailed("Use at most 40 characters.", field="badge_number")


def _check_email_free(email: str, user_id: int | None = None) -> None:
    query = select(func.count()).select_from(User).where(User.email == email)
    if user_id is not None:
        query = query.where(User.id != user_id)
    if db.session.scalar(query):
        raise ValidationFailed("A user with this email already exists.", field="email")


def create_user(
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    staff_roles: frozenset[StaffRole] = frozenset(),
    agency_id: int | None = None,
    organization_id: int | None = None,
    badge_number: str | None = None,
    work_phone: str | None = None,
    must_change_password: bool = True,
) -> User:
    """Create a user; officers need an agency, provider staff an organisation. The password
    follows the password rule; one chosen by an administrator is changed at the first sign-in."""
    return _new_user(
        email=email,
        name=name,
        role=role,
        staff_roles=staff_roles,
        agency_id=agency_id,
        organization_id=organization_id,
        badge_number=badge_number,
        work_phone=work_phone,
        password=password,
        must_change_password=must_change_password,
    )


def invite_user(
    actor: User,
    *,
    email: str,
    name: str,
    role: Role,
    staff_roles: frozenset[StaffRole] = frozenset(),
    agency_id: int | None = None,
    organization_id: int | None = None,
    badge_number: str | None = None,
    work_phone: str | None = None,
) -> Invitation:
    """Create a user as `create_user` does (same checks), but inactive and with the hash of a
    random password nobody knows, and e-mail them a one-time link to choose their own: no
    password signs them in before they accept."""
    require(can_manage_users(actor), "Only administrators invite users.")
    user = _new_user(
        email=email,
        name=name,
        role=role,
        staff_roles=staff_roles,
        agency_id=agency_id,
        organization_id=organization_id,
        badge_number=badge_number,
        work_phone=work_phone,
        password=None,
        active=False,
    )
    return invitations.issue_invitation(actor, user)


def _new_user(
    *,
    email: str,
    name: str,
    role: Role,
    staff_roles: frozenset[StaffRole],
    agency_id: int | None,
    organization_id: int | None,
    badge_number: str | None,
    password: str | None,
    must_change_password: bool = False,
    active: bool = True,
    work_phone: str | None = None,
) -> User:
    """The checks every new account passes, in the order their messages come: identity, a free
    e-mail, the password rule (`password` None: a random one nobody knows, never checked),
    affiliation and office duties."""
    email = normalise_email(email)
    _check_identity(email, name, badge_number)
    work_phone = _check_work_phone(work_phone)
    _check_email_free(email)
    if password is not None:
        check_new_password(password, email=email, name=name)
    agency_id, organization_id = _check_affiliation(role, agency_id, organization_id)
    return _add_user(
        email,
        name,
        role,
        agency_id,
        organization_id,
        badge_number,
        secrets.token_urlsafe(32) if password is None else password,
        must_change_password,
        staff_roles=_check_staff_roles(role, staff_roles),
        active=active,
        work_phone=work_phone,
    )


def create_demo_user(
    *,
    email: str,
    name: str,
    role: Role,
    staff_roles: frozenset[StaffRole] = frozenset(),
    agency_id: int | None = None,
    organization_id: int | None = None,
    work_phone: str | None = None,
) -> User:
    """A demo user with the demo's published password, which the password rule refuses for any
    other account; not made to change it, so the demo signs in directly."""
    email = normalise_email(email)
    _check_identity(email, name, None)
    _check_email_free(email)
    agency_id, organization_id = _check_affiliation(role, agency_id, organization_id)
    return _add_user(
        email,
        name,
        role,
        agency_id,
        organization_id,
        None,
        DEMO_PASSWORD,
        staff_roles=_check_staff_roles(role, staff_roles),
        work_phone=_check_work_phone(work_phone),
    )


def check_new_password(password: str, *, email: str, name: str) -> None:
    """The password rule (portal/passwords.py), as a refusal beside the password field."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ValidationFailed(problem, field="password")


def _add_user(
    email: str,
    name: str,
    role: Role,
    agency_id: int | None,
    organization_id: int | None,
    badge_number: str | None,
    password: str,
    must_change_password: bool = False,
    *,
    staff_roles: frozenset[StaffRole] = frozenset(),
    active: bool = True,
    work_phone: str | None = None,
) -> User:
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        agency_id=agency_id,
        organization_id=organization_id,
        badge_number=(badge_number or "").strip() or None,
        work_phone=work_phone,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        active=active,
    )
    user.staff_roles = staff_roles
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    email: str,
    name: str,
    role: Role,
    agency_id: int | None,
    organization_id: int | None,
    badge_number: str | None,
    active: bool,
    staff_roles: frozenset[StaffRole] = frozenset(),
    password: str | None = None,
    actor: User | None = None,
    work_phone: str | None = None,
) -> User:
    """Edit a user; a role, password or deactivation change ends their sessions.

    An administrator cannot take away their own role or deactivate themselves (no lock-out).
    """
    email = normalise_email(email)
    _check_identity(email, name, badge_number)
    work_phone = _check_work_phone(work_phone)
    _check_email_free(email, user.id)
    agency_id, organization_id = _check_affiliation(role, agency_id, organization_id, user)
    staff_roles = _check_staff_roles(role, staff_roles)
    role_changed = role != user.role or staff_roles != user.staff_roles
    if actor is not None and actor.id == user.id:
        if role != user.role:
            raise ValidationFailed("You cannot change your own role.", field="role")
        if staff_roles != user.staff_roles:
            raise ValidationFailed(
                "You cannot change your own duties; another administrator can.",
                field="staff_roles",
            )
        if not active:
            raise ValidationFailed("You cannot deactivate your own account.", field="active")
    if password:
        check_new_password(password, email=email, name=name)
    sensitive = role_changed or active != user.active or bool(password)
    user.email, user.name, user.role = email, name.strip(), role
    user.staff_roles = staff_roles
    user.agency_id, user.organization_id = agency_id, organization_id
    user.badge_number = (badge_number or "").strip() or None
    user.work_phone = work_phone
    user.active = active
    if password:
        user.password_hash = hash_password(password)
        # Set by an administrator for someone else, it is changed at that user's next sign-in.
        user.must_change_password = actor is None or actor.id != user.id
        # A password given another way replaces the invitation: its link stops working.
        invitations.revoke_open(user)
    db.session.flush()
    if sensitive and actor is not None and actor.id == user.id:
        # Changing one's own password: the other sessions end, this one gets a new token.
        user_sessions.end_user_sessions(user, keep_current=True)
        user_sessions.rotate_session(user)
    elif sensitive:
        user_sessions.end_user_sessions(user)
    return user


def set_own_work_phone(user: User, work_phone: str) -> User:
    """Program office staff set (or clear) their own work phone."""
    require(can_set_own_work_phone(user), "Only program office staff keep a work phone here.")
    user.work_phone = _check_work_phone(work_phone)
    db.session.flush()
    return user


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Deactivate (ending every session at once) or reactivate a user; never oneself."""
    require(can_manage_users(actor), "Only administrators manage users.")
    if actor.id == user.id and not active:
        raise ValidationFailed("You cannot deactivate your own account.", field="active")
    if user.active != active:
        user.active = active
        if not active:
            user_sessions.end_user_sessions(user)
    db.session.flush()
    return user
