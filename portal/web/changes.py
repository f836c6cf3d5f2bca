"""One way to run a change and answer the request.

Every form that changes something goes the same way: validate; call one service; on a domain
error roll back (nothing is half-saved) and show the message beside its field, or above the
form; otherwise commit, then redirect (a page) or answer the changed fragment with its
`HX-Trigger` events (htmx).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, redirect, request
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.models import AuditAction, AuditOutcome
from portal.services import audit
from portal.services.errors import Conflict, DomainError, NotPermitted
from portal.web.htmx import is_htmx, trigger

CONFLICT_MESSAGE = (
    "This record was changed by someone else while you were working on it. "
    "The page now shows the latest version; check it and try again."
)


def place_error(form, error: DomainError) -> str | None:
    """Put a service's refusal beside the field it names; else return it, to show above the form.

    A form may name its own fields for a service's keys with `field_for(name)` (for example a
    schedule row inside a list).
    """
    if form is None or not error.field:
        return error.message
    finder = getattr(form, "field_for", None)
    field = finder(error.field) if finder else getattr(form, error.field, None)
    if field is None:
        return error.message
    field.errors = [*field.errors, error.message]
    return None


def run_change(
    form,
    change: Callable[[], Any],
    *,
    refused: Callable[[int, str | None], Response],
    done: Callable[[Any], Response],
    conflict: Callable[[Conflict | StaleDataError], Response] | None = None,
) -> Response:
    """Validate `form` (if any), apply `change` in this request's one transaction, and answer.

    - invalid form: `refused(422, None)` (its fields carry their messages);
    - a domain error: rolled back, then `refused(422, message)`, where message is None when it
      was placed beside its field;
    - a concurrent change (`Conflict`, or a stale version at flush): rolled back, then
      `conflict(error)` if given, else `refused(409, message)`;
    - success: committed, then `done(result)`.
    """
    if form is not None and not form.validate_on_submit():
        return refused(422, None)
    try:
        result = change()
        db.session.flush()
    except (Conflict, StaleDataError) as error:
        db.session.rollback()
        if conflict is not None:
            return conflict(error)
        message = error.message if isinstance(error, Conflict) else CONFLICT_MESSAGE
        return refused(409, message)
    except NotPermitted as error:
        db.session.rollback()
        case_id = (request.view_args or {}).get("case_id")
        audit.record(
            AuditAction.CHANGE,
            object_type="cases" if case_id else None,
            object_id=case_id,
            case_id=case_id,
            outcome=AuditOutcome.REFUSED,
        )
        db.session.commit()  # the refusal alone: nothing of the change was kept
        return refused(422, place_error(form, error))
    except DomainError as error:
        db.session.rollback()
        return refused(422, place_error(form, error))
    db.session.commit()
    return done(result)


def answer(
    message: str,
    page_url: str,
    fragment: Callable[[], Response],
    *events: str,
) -> Response:
    """After a committed change: flash and redirect a page request, or answer htmx with the
    changed fragment and the events other parts of the page listen for."""
    if not is_htmx():
        flash(message, "success")
        return redirect(page_url)
    return trigger(fragment(), *events) if events else fragment()


def save_page(
    form,
    change: Callable[[], Any],
    failed: Callable[[str | None], Response],
    success: str,
    next_url: Callable[[Any], str],
) -> Response:
    """A full-page form: `run_change`, then flash and redirect to `next_url(result)`; refused,
    the page `failed(error)` renders is answered with the refusal's status (422 or 409)."""

    def refused(status: int, error: str | None) -> Response:
        response = failed(error)
        response.status_code = status
        return response

    def done(result) -> Response:
        flash(success, "success")
        return redirect(next_url(result))

    return run_change(form, change, refused=refused, done=done)
