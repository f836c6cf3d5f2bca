"""The web side of the audit trail: who is acting in this request, and page views committed.

Rows wait in the session until its commit (see `portal.services.audit`). A change commits in
its view; a GET commits nothing else, so the rows of what it showed (a participant's record,
the audit trail) are committed here, after the view, before the page leaves.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.log_safety import safe_path
from portal.services import audit
from portal.web.errors import render_error

READS = frozenset({"GET", "HEAD"})


def init_app(app: Flask) -> None:
    audit.install()

    @app.before_request
    def audit_actor() -> None:
        if request.endpoint == "static":
            return
        user = current_user if current_user.is_authenticated else None
        g.audit_token = audit.set_actor(user, request.remote_addr)

    @app.after_request
    def commit_view_rows(response: Response) -> Response:
        if request.method not in READS or not audit.has_pending():
            return response
        try:
            if db.session.get_bind().dialect.name == "postgresql":
                # Only the rows of what was shown wait here (a change commits in its view):
                # the page need not wait for the WAL flush. A crash of the database server
                # within its WAL writer delay could lose such a row; never a change, nor a
                # disclosure (committed with its page), nor a row without its transaction.
                db.session.execute(text("SET LOCAL synchronous_commit TO off"))
            db.session.commit()
        except SQLAlchemyError:
            # No audit row, no record: the page is not sent without its row.
            db.session.rollback()
            app.logger.error(
                "Audit rows of %s %s could not be written", request.method, safe_path(request.path)
            )
            body, status = render_error(500)
            return Response(body, status)
        return response

    @app.teardown_request
    def forget_actor(_error) -> None:
        token = g.pop("audit_token", None)
        if token is not None:
            audit.reset_actor(token)
