"""Routes outside any role: the public program page (signed-in users are sent to their home),
robots.txt and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for
from flask_login import current_user

from portal.i18n import LANGUAGES
from portal.policy import home_endpoint
from portal.services.health import OK, check_database
from portal.services.program_page import directory_page, get_program_page
from portal.web.htmx import render

bp = Blueprint("web", __name__)

# Search engines may read the program page, and nothing else: every other page of the portal is
# behind a sign-in and answers `X-Robots-Tag: noindex` (portal/web/security.py).
ROBOTS = "User-agent: *\nAllow: /$\nAllow: /?\nDisallow: /\n"


@bp.get("/")
def index():
    """For visitors: the program, its contact and the directory of services (nothing about any
    participant). Signed-in users go to their home."""
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    services = directory_page(request.args.get("after"))
    response = render(
        "public/index.html", program=get_program_page(), services=services, languages=LANGUAGES
    )
    response.vary.add("Accept-Language")  # the page's language may come from the browser's
    return response


@bp.get("/robots.txt")
def robots():
    return Response(ROBOTS, mimetype="text/plain")


@bp.get("/healthz")
def healthz():
    """For the proxy and monitoring: 200 when the database can be read and written, else 503
    saying which ("read-only" or "unavailable")."""
    state = check_database()
    if state != OK:
        current_app.logger.warning("Health check: the database is %s", state)
        return jsonify(status="error", database=state), 503
    return jsonify(status="ok", database=OK)
