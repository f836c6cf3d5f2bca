"""Settings read from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not hold a setting the portal cannot run without."""


def _instance_secret(instance_path: Path) -> str:
    """Development only: a secret key generated once and kept under instance/."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_settings(instance_path: Path, secret_key: str | None = None) -> dict:
    """Build the Flask config from environment variables (`secret_key` given by a test wins)."""
    env = os.environ.get("PORTAL_ENV", "development")
    production = env == "production"
    secret = secret_key or os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when PORTAL_ENV=production")
        secret = _instance_secret(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'portal.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    scan_max = int(os.environ.get("CONSENT_SCAN_MAX_BYTES", str(10 * 1024 * 1024)))
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": 30 * 60,
        "SESSION_IDLE_SECONDS": int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,
        "PROGRAM_NAME": os.environ.get("PROGRAM_NAME", "Fayette County LEAD"),
        "PORTAL_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "America/New_York"),
        "PAGE_SIZE": int(os.environ.get("PAGE_SIZE", "20")),
        # Proxies in front of the app (nginx: 1) whose X-Forwarded-* headers are trusted, so the
        # audit trail records the client's address, not the proxy's. 0: none trusted.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        "RAISE_ON_LAZY_LOAD": False,
        # The largest signed consent scan (PDF, PNG or JPEG) the office may attach.
        "CONSENT_SCAN_MAX_BYTES": scan_max,
        # Any body larger than a scan and its form is refused (413) before it is read.
        "MAX_CONTENT_LENGTH": scan_max + 1024 * 1024,
    }
