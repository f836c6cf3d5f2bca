"""Administrators' directory screens: agencies, provider organisations and their services."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import policy
from portal.admin import bp
from portal.admin.manage import back_to, get_or_404
from portal.admin.manage_forms import ActionForm, AgencyForm, OrganizationForm, ServiceForm
from portal.auth.permissions import allowed_for
from portal.extensions import db
from portal.models import Agency, Organization, Service
from portal.services import directory
from portal.services.organizations import (
    create_agency,
    create_organization,
    set_agency_active,
    set_organization_active,
    update_agency,
    update_organization,
)
from portal.services.paging import Key, keyset_page
from portal.web.changes import run_change, save_page
from portal.web.directory_forms import schedule_data
from portal.web.forms import choices
from portal.web.htmx import render

ORG_SERVICES = selectinload(Organization.services).selectinload(Service.schedules)
AGENCY_KEYS = [Key(func.lower(Agency.name), str), Key(Agency.id, int)]
ORGANIZATION_KEYS = [Key(func.lower(Organization.name), str), Key(Organization.id, int)]


# --- agencies --------------------------------------------------------------------------------


@bp.get("/agencies")
@allowed_for(policy.can_manage_directory)
def agencies():
    """The law-enforcement agencies, by name, a page at a time."""
    page = keyset_page(
        select(Agency), AGENCY_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"]
    )
    return render("admin/agencies.html", agencies=page.rows, page=page, action_form=ActionForm())


@bp.route("/agencies/new", methods=["GET", "POST"])
@allowed_for(policy.can_manage_directory)
def agency_new():
    """Add an agency."""
    form = AgencyForm()
    if request.method == "GET":
        return render("admin/agency_form.html", form=form, agency=None)
    return save_page(
        form,
        lambda: create_agency(current_user, name=form.name.data, short_name=form.short_name.data),
        lambda error: render(
            "admin/agency_form.html", status=422, form=form, agency=None, error=error
        ),
        "Agency added.",
        lambda _: url_for("admin.agencies"),
    )


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@allowed_for(policy.can_manage_directory)
def agency_edit(agency_id: int):
    """Rename an agency."""
    agency = get_or_404(Agency, agency_id)
    if request.method == "GET":
        form = AgencyForm(obj=agency, formdata=None)
        return render("admin/agency_form.html", form=form, agency=agency)
    form = AgencyForm()
    return save_page(
        form,
        lambda: update_agency(
            current_user, agency, name=form.name.data, short_name=form.short_name.data
        ),
        lambda error: render(
            "admin/agency_form.html",
            status=422,
            form=form,
            agency=get_or_404(Agency, agency_id),
            error=error,
        ),
        "Agency saved.",
        lambda _: url_for("admin.agencies"),
    )


@bp.post("/agencies/<int:agency_id>/<any(deactivate, reactivate):action>")
@allowed_for(policy.can_manage_directory)
def agency_active(agency_id: int, action: str):
    """Deactivate or reactivate an agency."""
    agency = get_or_404(Agency, agency_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _switch(
        agency.name,
        action,
        lambda: set_agency_active(current_user, agency, action == "reactivate"),
        "admin.agencies",
    )


def _switch(name: str, action: str, change, back_endpoint: str):
    """Deactivate or reactivate from a list; the outcome is flashed on the page it came from."""
    default = url_for(back_endpoint)

    def back(message: str, category: str):
        flash(message, category)
        return redirect(back_to(default))

    return run_change(
        None,
        change,
        refused=lambda status, error: back(f"{name} was not {action}d: {error}", "error"),
        done=lambda _: back(f"{name} {action}d.", "success"),
    )


# --- organisations ---------------------------------------------------------------------------


@bp.get("/organizations")
@allowed_for(policy.can_manage_directory)
def organizations():
    """Provider organisations with their services, by name, a page at a time."""
    page = keyset_page(
        select(Organization).options(ORG_SERVICES),
        ORGANIZATION_KEYS,
        request.args.get("after"),
        current_app.config["PAGE_SIZE"],
    )
    return render(
        "admin/organizations.html", organizations=page.rows, page=page, action_form=ActionForm()
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@allowed_for(policy.can_manage_directory)
def organization_new():
    """Add a provider organisation."""
    form = OrganizationForm()
    if request.method == "GET":
        return render("admin/organization_form.html", form=form, organization=None)
    return save_page(
        form,
        lambda: create_organization(current_user, **form.values()),
        lambda error: render(
            "admin/organization_form.html",
            status=422,
            form=form,
            organization=None,
            error=error,
        ),
        "Organisation added.",
        lambda org: url_for("admin.organization_edit", organization_id=org.id),
    )


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
@allowed_for(policy.can_manage_directory)
def organization_edit(organization_id: int):
    """Change a provider organisation's details; its services are listed below."""
    organization = get_or_404(Organization, organization_id, ORG_SERVICES)
    if request.method == "GET":
        form = OrganizationForm(obj=organization, formdata=None)
        return _organization_page(form, organization)
    form = OrganizationForm()
    return save_page(
        form,
        lambda: update_organization(current_user, organization, **form.values()),
        lambda error: _organization_page(
            form, get_or_404(Organization, organization_id, ORG_SERVICES), 422, error
        ),
        "Organisation saved.",
        lambda org: url_for("admin.organization_edit", organization_id=org.id),
    )


def _organization_page(form, organization, status: int = 200, error: str | None = None):
    return render(
        "admin/organization_form.html",
        status=status,
        form=form,
        organization=organization,
        error=error,
        action_form=ActionForm(),
    )


@bp.post("/organizations/<int:organization_id>/<any(deactivate, reactivate):action>")
@allowed_for(policy.can_manage_directory)
def organization_active(organization_id: int, action: str):
    """Deactivate (if it serves no one) or reactivate a provider organisation."""
    organization = get_or_404(Organization, organization_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _switch(
        organization.name,
        action,
        lambda: set_organization_active(current_user, organization, action == "reactivate"),
        "admin.organizations",
    )


# --- services --------------------------------------------------------------------------------


def _organization_choices(form: ServiceForm, keep_id: int | None = None) -> None:
    rows = db.session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.active | (Organization.id == keep_id))
        .order_by(func.lower(Organization.name))
    ).all()
    form.organization_id.choices = choices([("", "Choose an organisation"), *rows])


def _service_page(form, service: Service | None, status: int = 200, error: str | None = None):
    return render(
        "admin/service_form.html",
        status=status,
        form=form,
        service=service,
        held=directory.held_places(service.id if service else None),
        error=error,
    )


@bp.route("/organizations/<int:organization_id>/services/new", methods=["GET", "POST"])
@allowed_for(policy.can_manage_directory)
def service_new(organization_id: int):
    """Add a service to an organisation, with its schedule and capacity."""
    organization = get_or_404(Organization, organization_id)
    form = ServiceForm()
    _organization_choices(form, organization.id)
    if request.method == "GET":
        form = ServiceForm(formdata=None, organization_id=str(organization.id))
        _organization_choices(form, organization.id)
        return _service_page(form, None)

    def failed(error):
        _organization_choices(form, organization_id)
        return _service_page(form, None, 422, error)

    return save_page(
        form,
        lambda: directory.create_service(current_user, **form.values()),
        failed,
        "Service added.",
        lambda s: url_for("admin.organization_edit", organization_id=s.organization_id),
    )


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@allowed_for(policy.can_manage_directory)
def service_edit(service_id: int):
    """Change a service, its schedule and capacity."""
    service = directory.get_service(service_id) or abort(404)
    if request.method == "GET":
        form = ServiceForm(
            obj=service,
            formdata=None,
            organization_id=str(service.organization_id),
            schedule=schedule_data(service),
        )
        # One criterion a line (the column holds a list, which the form would print as one).
        form.admission_criteria.data = "\n".join(service.admission_criteria or [])
        _organization_choices(form, service.organization_id)
        return _service_page(form, service)
    form = ServiceForm()
    _organization_choices(form, service.organization_id)

    def failed(error):
        fresh = directory.get_service(service_id)
        _organization_choices(form, fresh.organization_id)
        return _service_page(form, fresh, 422, error)

    return save_page(
        form,
        lambda: directory.update_service(current_user, service, **form.values()),
        failed,
        "Service saved.",
        lambda s: url_for("admin.organization_edit", organization_id=s.organization_id),
    )
