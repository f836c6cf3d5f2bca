"""Sign-in and sign-out; signing out users idle too long, on every request."""

from flask import Blueprint

from portal.auth.idle import enforce_idle_timeout

bp = Blueprint("auth", __name__)
bp.before_app_request(enforce_idle_timeout)
