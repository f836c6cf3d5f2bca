"""The program office's front door: screening, intake, matching, management, reports."""

from flask import Blueprint

from portal.auth.permissions import may_open, office_gate

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Office staff only, and each view only for the duty it declares (`allowed_for`).
bp.before_request(office_gate)
bp.add_app_template_global(may_open, "may_open")
