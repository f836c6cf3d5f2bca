"""The web side of the policy: role gates for the front doors, and scoped loaders for views.

Every decision is made in `portal.policy`; these only turn its answers into 404s and 403s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import policy
from portal.auth.idle import is_poll
from portal.extensions import db, login_manager
from portal.models import (
    AuditAction,
    AuditOutcome,
    Case,
    ComplianceFlag,
    Consent,
    ConsentDocument,
    Notification,
    Person,
    Role,
    ServiceReferral,
    User,
)
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


def allowed_for(predicate: Callable[[User], bool]) -> Callable:
    """Declare who a program office view serves, as a policy predicate (`policy.can_manage_case`,
    `policy.can_manage_users`, ...); the office's gate refuses everyone else."""

    def declare(view):
        view.allowed_for = predicate
        return view

    return declare


def office_gate() -> None:
    """The program office's before_request hook: signed-in office staff, then the duty the view
    declares with `allowed_for`. A view that declares none is refused to all (denied by
    default), so no view can forget it."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    view = current_app.view_functions.get(request.endpoint or "")
    predicate = getattr(view, "allowed_for", None)
    if not policy.is_program_staff(current_user) or predicate is None:
        abort(403)
    if not predicate(current_user):
        abort(403)
    return None


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user passes the gate of an office view (its menu link is shown)."""
    predicate = getattr(current_app.view_functions.get(endpoint), "allowed_for", None)
    return predicate is not None and current_user.is_authenticated and predicate(current_user)


def get_case_or_404(case_id: int, user: User, *options) -> Case:
    """Load a case the user may see (the view audited); anything else is 404 (its existence
    is not revealed)."""
    if policy.is_officer(user):
        # One case: the disclosure rule is decided on its consents, loaded with it.
        case = db.session.scalar(
            select(Case).where(Case.id == case_id).options(selectinload(Case.consents), *options)
        )
        if case is None or not policy.officer_may_see(user, case):
            _refused(Case.__tablename__, case_id)
    else:
        case = db.session.scalar(policy.one_case_scope(user, case_id).options(*options))
        if case is None:
            _refused(Case.__tablename__, case_id)
    _audit_view(Case.__tablename__, case.id, case.id)
    return case


def get_person_or_404(person_id: int, user: User) -> Person:
    """Load a person record the user may see (the view audited); anything else is 404."""
    person = db.session.scalar(policy.person_scope(user).where(Person.id == person_id))
    if person is None:
        _refused(Person.__tablename__, person_id)
    _audit_view(Person.__tablename__, person.id, None)
    return person


def get_service_referral_or_404(referral_id: int, user: User, *options) -> ServiceReferral:
    """Load a service referral the user may see; anything else is 404."""
    referral = db.session.scalar(
        policy.service_referral_scope(user)
        .where(ServiceReferral.id == referral_id)
        .options(*options)
    )
    if referral is None:
        _refused(ServiceReferral.__tablename__, referral_id)
    _audit_view(ServiceReferral.__tablename__, referral.id, referral.case_id)
    return referral


def _refused(object_type: str, object_id: int) -> NoReturn:
    """Not there, or not the user's to see: 404 either way, and the attempt is audited as
    refused (a poll excepted: a page left open is not a new attempt). A change refused here has
    done nothing yet; its refusal is committed alone."""
    if is_poll():
        abort(404)
    reading = request.method in ("GET", "HEAD")
    if not reading:
        db.session.rollback()
    audit.record(
        AuditAction.VIEW_RECORD if reading else AuditAction.CHANGE,
        object_type=object_type,
        object_id=object_id,
        outcome=AuditOutcome.REFUSED,
    )
    if not reading:
        db.session.commit()
    abort(404)


def get_consent_scan_or_404(scan_id: int, user: User, *options) -> ConsentDocument:
    """Load a consent's signed scan the user may read (the reading audited); anything else,
    and anyone else (officers, provider staff), is 404."""
    if not policy.can_view_consent_scans(user):
        abort(404)  # no query for those who may never read one
    found = db.session.execute(
        policy.consent_scan_scope(user)
        .add_columns(Consent.case_id)
        .where(ConsentDocument.id == scan_id)
        .options(*options)
    ).first()
    if found is None:
        _refused(ConsentDocument.__tablename__, scan_id)
    scan, case_id = found
    _audit_view(ConsentDocument.__tablename__, scan.id, case_id)
    return scan


def get_flag_or_404(flag_id: int, user: User, *options) -> ComplianceFlag:
    """Load a compliance flag the user may review; anything else is 404."""
    flag = db.session.scalar(
        policy.compliance_flag_scope(user).where(ComplianceFlag.id == flag_id).options(*options)
    )
    if flag is None:
        _refused(ComplianceFlag.__tablename__, flag_id)
    return flag


def get_notification_or_404(notification_id: int, user: User, *options) -> Notification:
    """Load one of the user's own notifications that they may see; anything else is 404."""
    notification = db.session.scalar(
        policy.notification_scope(user).where(Notification.id == notification_id).options(*options)
    )
    if notification is None:
        _refused(Notification.__tablename__, notification_id)
    return notification


def _audit_view(object_type: str, object_id: int, case_id: int | None) -> None:
    """A page or fragment showing a participant's record is audited; a change is audited as
    what it changed, and a poll (the page refreshing itself) is not a new view."""
    if request.method == "GET" and not is_poll():
        audit.record_view(object_type, object_id, case_id)
