"""The web side of the policy: role gates for the front doors, and scoped loaders for views.

Every decision is made in `portal.policy`; these only turn its answers into 404s and 403s.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, request
from flask_login import current_user

from portal import policy
from portal.auth.idle import is_poll
from portal.extensions import db, login_manager
from portal.models import Case, Notification, Role, ServiceReferral, User
from portal.services import audit


def role_gate(role: Role) -> Callable[[], None]:
    """A blueprint before_request hook: signed-in users of `role` only (others get 403)."""

    def gate():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not policy.has_role(current_user, role):
            abort(403)
        return None

    return gate


def get_case_or_404(case_id: int, user: User, *options) -> Case:
    """Load a case the user may see (the view audited); anything else is 404 (its existence
    is not revealed)."""
    case = db.session.scalar(policy.case_scope(user).where(Case.id == case_id).options(*options))
    if case is None:
        abort(404)
    _audit_view(Case.__tablename__, case.id, case.id)
    return case


def get_service_referral_or_404(referral_id: int, user: User, *options) -> ServiceReferral:
    """Load a service referral the user may see; anything else is 404."""
    referral = db.session.scalar(
        policy.service_referral_scope(user)
        .where(ServiceReferral.id == referral_id)
        .options(*options)
    )
    if referral is None:
        abort(404)
    _audit_view(ServiceReferral.__tablename__, referral.id, referral.case_id)
    return referral


def get_notification_or_404(notification_id: int, user: User, *options) -> Notification:
    """Load one of the user's own notifications that they may see; anything else is 404."""
    notification = db.session.scalar(
        policy.notification_scope(user).where(Notification.id == notification_id).options(*options)
    )
    if notification is None:
        abort(404)
    return notification


def _audit_view(object_type: str, object_id: int, case_id: int) -> None:
    """A page or fragment showing a participant's record is audited; a change is audited as
    what it changed, and a poll (the page refreshing itself) is not a new view."""
    if request.method == "GET" and not is_poll():
        audit.record_view(object_type, object_id, case_id)
