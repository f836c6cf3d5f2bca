"""The officer's front door: phone-first referral and status of their own referrals."""

from flask import Blueprint

from portal.auth.permissions import role_gate
from portal.models import Role

bp = Blueprint("officer", __name__, url_prefix="/officer")
bp.before_request(role_gate(Role.OFFICER))
