"""The program's figures: what evaluators (the reports role) and the office read; counts only."""

from __future__ import annotations

from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.auth.permissions import allowed_for
from portal.services.reports import program_summary
from portal.web.htmx import render


@bp.get("/reports")
@allowed_for(policy.can_view_reports)
def reports():
    """Cases by status and the last twelve months' referrals and intakes."""
    return render("admin/reports.html", summary=program_summary(current_user))
