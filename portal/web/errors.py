"""Error pages in the portal's look; htmx gets the same page body with the same status."""

from __future__ import annotations

import traceback
from contextlib import suppress
from functools import partial

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.log_safety import safe_path
from portal.logs import describe_database_error
from portal.services.consent_scans import describe_size

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "Your role does not give you access to this page."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Changed meanwhile", "Someone else changed this record. Reload it and try again."),
    410: ("Link no longer valid", "This link no longer works."),
    413: (
        "Too large",
        "What was sent is larger than the portal accepts. A scan of a signed form must be at "
        "most {scan_max}: scan it at a lower resolution, or in black and white, and try again.",
    ),
    415: ("Not a form", "This address accepts the portal's own forms only."),
    422: ("Check your entry", "Some of what was entered could not be accepted."),
    429: ("Too many attempts", "Please wait a few minutes before trying again."),
    500: ("Something went wrong", "The error has been recorded. Please try again shortly."),
    503: (
        "Temporarily unavailable",
        "The portal cannot reach its database just now. Nothing you did caused this. Please try "
        "again in a few minutes; if you were saving something, check afterwards that it was saved.",
    ),
}
# The database server down or unreachable, a connection lost, no connection free in time.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 30


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, ("Error", "Something went wrong."))
    if code == 413:
        scan_max = current_app.config["CONSENT_SCAN_MAX_BYTES"]
        default = default.format(scan_max=describe_size(scan_max))
    return render_template(
        "errors/error.html", code=code, title=title, message=message or default
    ), code


def database_unavailable(error: Exception):
    """503 in the portal's look, drawn without the database (`database_down` leaves out what
    would read it: the signed-in user's name and menus), logged in one line without the
    driver's text."""
    with suppress(SQLAlchemyError):  # the connection went with the server: nothing to undo
        db.session.rollback()
    # For the rest of this request no one is signed in: the after-request hooks that note a
    # session's use then leave the database alone instead of loading the user from it.
    current_app.login_manager._update_request_context_with_user()
    current_app.logger.error(
        "Database unavailable on %s %s: %s",
        request.method,
        request.path,
        describe_database_error(error),
    )
    title, message = MESSAGES[503]
    # Straight from the template environment: context processors (Flask-Login's loads the
    # signed-in user) are not run, so nothing here reads the database.
    body = current_app.jinja_env.get_template("errors/error.html").render(
        code=503, title=title, message=message, database_down=True
    )
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def log_exception(app: Flask, exc_info) -> None:
    """Log an unhandled error's type, request and stack, never its message.

    Messages can quote personal data (a database error lists the row's values), and personal
    data never goes into logs.
    """
    exc_type, _value, tb = exc_info
    app.logger.error(
        "Unhandled %s on %s %s\n%s",
        exc_type.__name__,
        request.method,
        safe_path(request.path),
        "".join(traceback.format_tb(tb)).rstrip(),
    )


def init_app(app: Flask) -> None:
    # Flask logs the full exception (message included) before the 500 handler runs.
    app.log_exception = partial(log_exception, app)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400, "Your form expired or was tampered with. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return render_error(500)
