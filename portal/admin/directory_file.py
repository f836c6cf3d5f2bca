"""The directory as a file (Open Referral HSDS 3.0): download it, or import one that creates
and updates organisations and services by their identifiers."""

from __future__ import annotations

from flask import Response, current_app
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.manage_forms import DirectoryFileForm
from portal.auth.permissions import allowed_for
from portal.extensions import db
from portal.models import AuditAction
from portal.services import audit, hsds
from portal.services.hsds_import import ImportRefused, import_directory, parse
from portal.services.hsds_schema import HSDS_VERSION
from portal.web.guards import limits_body, takes_files
from portal.web.htmx import render

TOO_LARGE = "The directory file is larger than {limit}: nothing was read or changed."


def _page(form, status: int = 200, **context) -> Response:
    return render(
        "admin/directory_file.html",
        status=status,
        form=form,
        version=HSDS_VERSION,
        limit=current_app.config["HSDS_MAX_BYTES"],
        **context,
    )


@bp.get("/directory/file")
@allowed_for(policy.can_manage_directory)
def directory_file():
    """Download the directory file, or choose one to import."""
    return _page(DirectoryFileForm(formdata=None))


@bp.get("/directory/hsds.json")
@allowed_for(policy.can_manage_directory)
def directory_export():
    """The whole directory as HSDS 3.0 JSON (a download); audited."""
    text = hsds.dumps(hsds.export_directory())
    audit.record(AuditAction.EXPORT, object_type="directory")
    db.session.commit()
    response = Response(text, mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename={hsds.file_name()}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/directory/file")
@allowed_for(policy.can_manage_directory)
@limits_body("HSDS_MAX_BYTES", TOO_LARGE)
@takes_files
def directory_import():
    """Import a directory file: all of it, or (any problem listed) none of it."""
    form = DirectoryFileForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    limit = current_app.config["HSDS_MAX_BYTES"]
    # One byte past the limit is enough to refuse it; more is never read into memory.
    content = form.file.data.stream.read(limit + 1)
    try:
        result = import_directory(current_user, parse(content, limit))
    except ImportRefused as refused:
        db.session.rollback()
        return _page(DirectoryFileForm(formdata=None), 422, problems=refused.problems)
    db.session.commit()
    return _page(DirectoryFileForm(formdata=None), changes=result.changes, imported=True)
