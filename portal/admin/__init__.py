"""The program office's front door: screening, intake, matching, management, reports."""

from flask import Blueprint

from portal.auth.permissions import role_gate
from portal.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(role_gate(Role.ADMIN))
