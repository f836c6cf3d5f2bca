"""Provider staff keep their own organisation's services' schedule and capacity up to date."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Service
from portal.provider import bp
from portal.services import directory
from portal.web.changes import save_page
from portal.web.directory_forms import AvailabilityForm, schedule_data
from portal.web.htmx import render


def _own_service(service_id: int) -> Service:
    """A service of the user's own organisation; any other answers 404."""
    service = directory.get_service(service_id, organization_id=current_user.organization_id)
    if service is None:
        abort(404)
    return service


@bp.get("/services")
def services():
    """The organisation's services, with their schedules and capacity."""
    rows = db.session.scalars(
        select(Service)
        .where(Service.organization_id == current_user.organization_id)
        .options(selectinload(Service.schedules))
        .order_by(Service.name)
    ).all()
    return render("provider/services.html", services=rows)


def _page(form, service: Service, status: int = 200, error: str | None = None):
    return render(
        "provider/service_form.html",
        status=status,
        form=form,
        service=service,
        held=directory.held_places(service.id),
        error=error,
    )


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
def service_edit(service_id: int):
    """Edit one of the organisation's services' schedule and capacity."""
    service = _own_service(service_id)
    if request.method == "GET":
        form = AvailabilityForm(obj=service, formdata=None, schedule=schedule_data(service))
        return _page(form, service)
    form = AvailabilityForm()
    return save_page(
        form,
        lambda: directory.update_availability(current_user, service, **form.availability()),
        lambda error: _page(form, _own_service(service_id), error=error),
        "Schedule and capacity saved.",
        lambda _: url_for("provider.services"),
    )
