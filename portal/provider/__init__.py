"""Provider staff's front door: their organisation's participants, referrals and attendance."""

from flask import Blueprint

from portal.auth.permissions import role_gate
from portal.models import Role

bp = Blueprint("provider", __name__, url_prefix="/provider")
bp.before_request(role_gate(Role.PROVIDER))
