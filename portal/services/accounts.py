"""Users: sign-in, sessions, and the administrator's account management."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.extensions import db
from portal.models import Agency, Organization, Role, User, utcnow
from portal.models.user import new_session_token
from portal.services.errors import ValidationFailed


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_for_session(token: str) -> User | None:
    """The active user whose current session token this is."""
    return db.session.scalar(select(User).where(User.session_token == token, User.active))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Server-side sign-out: every cookie issued for the old token stops working."""
    user.session_token = new_session_token()
    db.session.flush()


def _check_affiliation(role: Role, agency_id: int | None, organization_id: int | None):
    if role == Role.OFFICER:
        if not agency_id or db.session.get(Agency, agency_id) is None:
            raise ValidationFailed("Choose the officer's agency.", field="agency_id")
        return agency_id, None
    if role == Role.PROVIDER:
        if not organization_id or db.session.get(Organization, organization_id) is None:
            raise ValidationFailed(
                "Choose the staff member's organisation.", field="organization_id"
            )
        return None, organization_id
    return None, None


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
    agency_id: int | None = None,
    organization_id: int | None = None,
    badge_number: str | None = None,
) -> User:
    """Create a user; officers need an agency, provider staff an organisation."""
    email = normalise_email(email)
    _check_email_free(email)
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, field="password")
    agency_id, organization_id = _check_affiliation(role, agency_id, organization_id)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        agency_id=agency_id,
        organization_id=organization_id,
        badge_number=badge_number or None,
        password_hash=hash_password(password),
    )
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
    password: str | None = None,
) -> User:
    """Edit a user; a role, password or deactivation change ends their sessions."""
    email = normalise_email(email)
    _check_email_free(email, user.id)
    agency_id, organization_id = _check_affiliation(role, agency_id, organization_id)
    sensitive = role != user.role or active != user.active
    user.email, user.name, user.role = email, name.strip(), role
    user.agency_id, user.organization_id = agency_id, organization_id
    user.badge_number = badge_number or None
    user.active = active
    if password:
        problem = password_problem(password)
        if problem:
            raise ValidationFailed(problem, field="password")
        user.password_hash = hash_password(password)
        sensitive = True
    if sensitive:
        user.session_token = new_session_token()
    db.session.flush()
    return user
