"""Provider staff: a drop-in service's day of visits (named and an anonymous count)."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, request, url_for
from flask_login import current_user

from portal.clock import local_today
from portal.extensions import limiter
from portal.models import MAX_DAILY_VISITORS, Service
from portal.policy import can_record_attendance
from portal.provider import bp
from portal.provider.forms import NamedVisitForm, VisitorCountForm
from portal.services import directory
from portal.services import visits as visit_service
from portal.web.changes import save_page
from portal.web.htmx import render

VISITS = "provider/visits.html"
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


def _drop_in(service_id: int) -> Service:
    """A drop-in service of the user's own organisation; any other answers 404."""
    service = directory.get_service(service_id, organization_id=current_user.organization_id)
    if (
        service is None
        or not service.is_drop_in
        or not can_record_attendance(current_user, service)
    ):
        abort(404)
    return service


def _day(text: str | None) -> dt.date:
    try:
        day = dt.date.fromisoformat(text or "")
    except ValueError:
        return local_today()
    return day if FIRST_DAY <= day <= LAST_DAY else local_today()


def _page(service: Service, day: dt.date, named=None, count_form=None, error=None, status=200):
    count = visit_service.day_count(service.id, day)
    page = visit_service.named_visits(
        service.id, day, request.args.get("after"), current_app.config["PAGE_SIZE"]
    )
    return render(
        VISITS,
        status=status,
        service=service,
        day=day,
        today=local_today(),
        previous_day=day - dt.timedelta(days=1),
        next_day=day + dt.timedelta(days=1),
        visits_page=page,
        count=count,
        cap=MAX_DAILY_VISITORS,
        named_form=named or NamedVisitForm(formdata=None, prefix="named"),
        count_form=count_form
        or VisitorCountForm(
            formdata=None, prefix="count", visitors=count.visitors if count else None
        ),
        error=error,
    )


def _url(service: Service, day: dt.date) -> str:
    return url_for("provider.visits", service_id=service.id, day=day.isoformat())


@bp.get("/services/<int:service_id>/visits")
def visits(service_id: int):
    """The day's visits of a drop-in service: named ones, and the anonymous count."""
    return _page(_drop_in(service_id), _day(request.args.get("day")))


def _lookup_limit() -> str:
    return f"{current_app.config['VISIT_LOOKUPS_PER_HOUR']} per hour"


def _lookup_key() -> str:
    return f"visit-lookup:{current_user.get_id()}"


@bp.post("/services/<int:service_id>/visits/<day>/named")
# A named visit is found by a name and a birth date, so the form could be used to ask whether
# someone is in the program: each member of staff may look up a bounded number an hour (a
# clinic afternoon's named visitors), shared by every app server (the limiter's storage).
@limiter.limit(_lookup_limit, key_func=_lookup_key)
def record_named_visit(service_id: int, day: str):
    """A participant walked in: recorded once a day, found by the name and birth date given."""
    service, visit_date = _drop_in(service_id), _posted_day(day)
    form = NamedVisitForm(prefix="named")

    return save_page(
        form,
        lambda: visit_service.record_named_visit(
            service,
            visit_date,
            current_user,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            dob=form.dob.data,
        ),
        lambda error: _page(service, visit_date, named=form, error=error),
        "Visit recorded.",
        lambda _: _url(service, visit_date),
    )


@bp.post("/services/<int:service_id>/visits/<day>/count")
def record_visitor_count(service_id: int, day: str):
    """The day's anonymous visitors (0 to the cap); entering it again replaces it."""
    service, visit_date = _drop_in(service_id), _posted_day(day)
    form = VisitorCountForm(prefix="count")
    return save_page(
        form,
        lambda: visit_service.record_visitor_count(
            service, visit_date, form.visitors.data, current_user
        ),
        lambda error: _page(service, visit_date, count_form=form, error=error),
        "Anonymous visitors saved.",
        lambda _: _url(service, visit_date),
    )


def _posted_day(day: str) -> dt.date:
    try:
        visit_date = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not FIRST_DAY <= visit_date <= LAST_DAY:
        abort(404)
    return visit_date
