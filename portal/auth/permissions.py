"""Who may see what: role gates, object policies and list scopes."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from portal.extensions import db, login_manager
from portal.models import Case, Role, Service, ServiceReferral, User

HOME = {
    Role.OFFICER: "officer.referrals",
    Role.PROVIDER: "provider.roster",
    Role.ADMIN: "admin.queue",
}


def home_endpoint(user: User) -> str:
    return HOME[user.role]


def role_gate(role: Role) -> Callable[[], None]:
    """A blueprint before_request hook: signed-in users of `role` only (others get 403)."""

    def gate():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != role:
            abort(403)
        return None

    return gate


def _provider_case_ids(organization_id: int):
    return (
        select(ServiceReferral.case_id)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(Service.organization_id == organization_id)
    )


def case_scope(user: User) -> Select:
    """Cases a user may see: all (admin), own agency's (officer), referred to them (provider)."""
    query = select(Case)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.OFFICER:
        return query.where(Case.agency_id == user.agency_id)
    if user.role == Role.PROVIDER:
        return query.where(Case.id.in_(_provider_case_ids(user.organization_id)))
    return query.where(False)


def get_case_or_404(case_id: int, user: User, *options) -> Case:
    """Load a case the user may see; anything else is 404 (its existence is not revealed)."""
    case = db.session.scalar(case_scope(user).where(Case.id == case_id).options(*options))
    if case is None:
        abort(404)
    return case
