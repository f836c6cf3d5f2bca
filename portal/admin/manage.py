"""Administrators' management screens: users and program settings."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal import policy
from portal.admin import bp
from portal.admin.manage_forms import ActionForm, SettingsForm, UserEditForm, UserForm
from portal.auth.permissions import allowed_for
from portal.auth.reauth import fresh_auth_required
from portal.extensions import db
from portal.models import Agency, Organization, Role, StaffRole, User
from portal.passwords import RULE_HINT
from portal.services import accounts, invitations, mfa
from portal.services.paging import Key, capped_count, keyset_page, search_term
from portal.services.settings import get_settings, update_settings
from portal.web.changes import save_page
from portal.web.forms import choices
from portal.web.htmx import render


def back_to(default: str) -> str:
    """The admin page a button came from (never another site), or `default`."""
    target = request.form.get("next") or ""
    return target if target.startswith("/admin/") else default


def get_or_404(model, object_id: int, *options):
    """A directory or user record by id (administrators see all of them), else 404."""
    obj = db.session.scalar(select(model).where(model.id == object_id).options(*options))
    if obj is None:
        abort(404)
    return obj


# --- users -----------------------------------------------------------------------------------


def affiliation_choices(form: UserForm, user: User | None = None) -> None:
    """Active agencies and organisations, plus the ones the user already belongs to."""
    keep_agency = user.agency_id if user else None
    keep_org = user.organization_id if user else None
    agencies = db.session.scalars(
        select(Agency).where(or_(Agency.active, Agency.id == keep_agency)).order_by(Agency.name)
    )
    organizations = db.session.scalars(
        select(Organization)
        .where(or_(Organization.active, Organization.id == keep_org))
        .order_by(Organization.name)
    )
    form.agency_id.choices = choices([("", "None"), *((a.id, a.name) for a in agencies)])
    form.organization_id.choices = choices([("", "None"), *((o.id, o.name) for o in organizations)])


def _names(users: list[User]) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the agencies and organisations of these users (a page of them)."""
    agency_ids = {u.agency_id for u in users if u.agency_id}
    org_ids = {u.organization_id for u in users if u.organization_id}
    agencies = dict(
        db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all()
    )
    organizations = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
        ).all()
    )
    return agencies, organizations


# The users list's role filter: officers, provider staff, and each office duty.
ROLE_FILTERS = {
    Role.OFFICER.value: Role.OFFICER.label,
    Role.PROVIDER.value: Role.PROVIDER.label,
    **{r.value: r.label for r in StaffRole},
}


USER_KEYS = [Key(func.lower(User.name), str), Key(User.id, int)]


@bp.get("/users")
@allowed_for(policy.can_manage_users)
def users():
    """All users, by name, filterable by role, state and a name or email search; a page at a
    time (keyset on the lowered name and the id)."""
    role = request.args.get("role") or None
    if role not in ROLE_FILTERS:
        role = None
    state = request.args.get("state") or None
    if state not in {"active", "inactive"}:
        state = None
    q, searching = search_term(request.args.get("q"))
    query = select(User)
    if role in StaffRole.__members__.values():
        query = query.where(getattr(User, role).is_(True))
    elif role:
        query = query.where(User.role == Role(role))
    if state:
        query = query.where(User.active.is_(state == "active"))
    if searching:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    page = keyset_page(query, USER_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"])
    agencies, organizations = _names(page.rows)
    return render(
        "admin/users.html",
        block="results",
        page=page,
        total=capped_count(query, User.id),
        searching=searching,
        roles=ROLE_FILTERS,
        role_filter=role,
        state_filter=state,
        q=q,
        agencies=agencies,
        organizations=organizations,
        invited=invitations.open_invitations([u.id for u in page.rows]),
        action_form=ActionForm(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@allowed_for(policy.can_manage_users)
@fresh_auth_required(methods=["POST"])
def user_new():
    """Add a user with a role and, for officers and provider staff, an affiliation."""
    form = UserForm()
    affiliation_choices(form)
    if request.method == "GET":
        return render("admin/user_form.html", form=form, user=None, password_rule=RULE_HINT)

    def failed(error):
        affiliation_choices(form)
        return render(
            "admin/user_form.html", form=form, user=None, error=error, password_rule=RULE_HINT
        )

    return save_page(
        form,
        lambda: accounts.create_user(**form.values(), password=form.password.data),
        failed,
        "User created.",
        lambda user: url_for("admin.users"),
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allowed_for(policy.can_manage_users)
@fresh_auth_required(methods=["POST"])
def user_edit(user_id: int):
    """Change a user's details, role, affiliation or password."""
    user = get_or_404(User, user_id)
    if request.method == "GET":
        form = UserEditForm(obj=user, formdata=None)
        form.agency_id.data = str(user.agency_id or "")
        form.organization_id.data = str(user.organization_id or "")
        affiliation_choices(form, user)
        return _user_page(form, user)
    form = UserEditForm()
    affiliation_choices(form, user)

    def failed(error):
        fresh = get_or_404(User, user_id)
        affiliation_choices(form, fresh)
        return _user_page(form, fresh, error=error)

    return save_page(
        form,
        lambda: accounts.update_user(
            user,
            **form.values(),
            active=form.active.data,
            password=form.password.data or None,
            actor=current_user,
        ),
        failed,
        "User saved.",
        lambda saved: url_for("admin.user_edit", user_id=saved.id),
    )


def _user_page(form, user: User, status: int = 200, error: str | None = None):
    return render(
        "admin/user_form.html",
        status=status,
        form=form,
        user=user,
        error=error,
        action_form=ActionForm(),
        password_rule=RULE_HINT,
        mfa_on=mfa.has_mfa(user),
        invitation=invitations.open_invitations([user.id]).get(user.id),
    )


def user_page_failed(user_id: int):
    """The user's page again, with the refusal of a button on it (deactivate, reset MFA)."""

    def failed(error: str | None):
        fresh = get_or_404(User, user_id)
        edit = UserEditForm(obj=fresh, formdata=None)
        affiliation_choices(edit, fresh)
        return _user_page(edit, fresh, error=error)

    return failed


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
@allowed_for(policy.can_manage_users)
@fresh_auth_required
def user_active(user_id: int, action: str):
    """Deactivating signs the user out everywhere at once."""
    user = get_or_404(User, user_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)

    return save_page(
        None,
        lambda: accounts.set_user_active(current_user, user, action == "reactivate"),
        user_page_failed(user_id),
        f"{user.name} {action}d.",
        lambda _: back_to(url_for("admin.users")),
    )


# --- program settings ------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@allowed_for(policy.can_manage_settings)
def settings():
    """The program's rules: intake deadline, charge filing period, checklist, exclusion reasons,
    audit retention, caseload guidance."""
    if request.method == "GET":
        current = get_settings()
        form = SettingsForm(
            formdata=None,
            intake_deadline_days=current.intake_deadline_days,
            charge_filing_days=current.charge_filing_days,
            eligibility_items="\n".join(current.eligibility_items),
            exclusion_reasons="\n".join(current.exclusion_reasons),
            audit_retention_days=current.audit_retention_days,
            caseload_guidance=current.caseload_guidance,
            caseload_flag_over=current.caseload_flag_over,
            drop_in_visits_engage=current.drop_in_visits_engage,
        )
        return render("admin/settings.html", form=form)
    form = SettingsForm()
    return save_page(
        form,
        lambda: update_settings(
            current_user,
            intake_deadline_days=form.intake_deadline_days.data,
            charge_filing_days=form.charge_filing_days.data,
            eligibility_items=form.lines(form.eligibility_items.data),
            exclusion_reasons=form.lines(form.exclusion_reasons.data),
            audit_retention_days=form.audit_retention_days.data,
            caseload_guidance=form.caseload_guidance.data,
            caseload_flag_over=form.caseload_flag_over.data,
            drop_in_visits_engage=form.drop_in_visits_engage.data,
        ),
        lambda error: render("admin/settings.html", form=form, error=error),
        "Settings saved. Cases already referred keep their intake deadline and charge filing date.",
        lambda _: url_for("admin.settings"),
    )
