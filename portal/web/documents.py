"""Documents of a participant's record served as files: the signed scan of a consent.

Not behind a role's front door: who may read a scan is the policy's answer
(`can_view_consent_scans`, the case's scope), and everyone else gets the 404 of a scan that
does not exist. The bytes leave with headers that keep them out of every cache, stop the
browser from guessing another type, and keep anything in the file from running.
"""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user
from sqlalchemy.orm import undefer

from portal.auth.permissions import get_consent_scan_or_404
from portal.extensions import login_manager
from portal.models import ConsentDocument

bp = Blueprint("documents", __name__, url_prefix="/documents")

# An image is shown by the browser, as an image document that may run and load nothing else.
IMAGE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


@bp.before_request
def signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.get("/consent-scans/<int:scan_id>")
def consent_scan(scan_id: int):
    """The signed scan of a consent, to the program office only (the reading audited): a PDF
    is downloaded, an image shown."""
    scan = get_consent_scan_or_404(scan_id, current_user, undefer(ConsentDocument.data))
    response = Response(scan.data, mimetype=scan.content_type)
    disposition = "inline" if scan.is_image else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{scan.download_name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    return response
