"""Settings read from the environment."""

from __future__ import annotations

import datetime as dt
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


SMTP_SECURITIES = ("starttls", "tls", "none")
SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def mail_settings() -> dict:
    """E-mail to officers: the SMTP server (none in development: mail goes to the log), the
    sender, the address links in e-mails point to, and how delivery retries."""
    security = os.environ.get("SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITIES:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITIES)}")
    timeout, lease = _int("SMTP_TIMEOUT", 30, 1), _int("MAIL_LEASE_SECONDS", 600, 60)
    if lease < 10 * timeout:
        # A claim must outlast the slowest SMTP conversation, or a second sender could take
        # over an e-mail still being sent.
        raise ConfigError("MAIL_LEASE_SECONDS must be at least ten times SMTP_TIMEOUT")
    return {
        "SMTP_HOST": os.environ.get("SMTP_HOST", "").strip() or None,
        "SMTP_PORT": _int("SMTP_PORT", SMTP_DEFAULT_PORTS[security], 1),
        "SMTP_SECURITY": security,
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_TIMEOUT": timeout,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "").strip() or "LEAD portal <no-reply@localhost>",
        # Where the portal is reached: links in e-mails (else from SERVER_NAME).
        "PUBLIC_URL": (os.environ.get("PUBLIC_URL", "").strip().rstrip("/") or None),
        # A failed e-mail is tried again after 1, 2, 4... minutes, at most this many times.
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8, 1),
        "MAIL_RETRY_SECONDS": _int("MAIL_RETRY_SECONDS", 60, 1),
        # How long a sender holds an e-mail it claimed (far longer than one SMTP conversation).
        "MAIL_LEASE_SECONDS": lease,
    }


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}")


def rate_limit_settings() -> dict:
    """Sign-in rate limits (Flask-Limiter): counted in this process's memory by default; with
    several app servers, in a Redis they share (RATELIMIT_STORAGE_URI=redis://host:6379/0)."""
    return {
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Named drop-in visits one member of provider staff may look up an hour.
        "VISIT_LOOKUPS_PER_HOUR": int(os.environ.get("VISIT_LOOKUPS_PER_HOUR", "60")),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        # Keeps this portal's counters apart from anything else kept in the same Redis.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "").strip() or "lead-portal",
        # A limit holds for a minute back from each attempt, not per calendar minute.
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis unreachable: count in each process's memory meanwhile, rather than refuse sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


def mfa_key_settings(production: bool) -> dict:
    """The key that encrypts authenticators' secrets at rest (portal/encryption.py): required
    in production; elsewhere, when unset, derived from SECRET_KEY."""
    from portal.encryption import parse_keys

    value = os.environ.get("MFA_ENCRYPTION_KEY", "").strip() or None
    if value is None and production:
        raise ConfigError(
            "MFA_ENCRYPTION_KEY must be set when PORTAL_ENV=production "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    if value is not None:
        try:
            parse_keys(value)
        except ValueError:
            raise ConfigError(
                "MFA_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes), "
                "or several separated by commas"
            ) from None
    return {"MFA_ENCRYPTION_KEY": value}


def _evaluation_key(production: bool) -> str | None:
    value = os.environ.get("EVALUATION_ID_KEY", "").strip() or None
    if value is None and production:
        raise ConfigError(
            "EVALUATION_ID_KEY must be set when PORTAL_ENV=production (make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if value is not None and len(value) < 16:
        raise ConfigError("EVALUATION_ID_KEY must be at least 16 characters")
    return value


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
    hsds_max = _int("HSDS_MAX_BYTES", 2 * 1024 * 1024, 1024)
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        # `__Host-` (production, over HTTPS): the browser keeps the cookie only if it is Secure,
        # for path / and no Domain, so no other host (a sibling subdomain) can set or shadow it.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_NAME": "__Host-remember_token" if production else "remember_token",
        "REMEMBER_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_DOMAIN": None,
        # The cookie is a browser session's (not permanent); the server-side session behind it
        # ends 12 hours after sign-in at the latest (portal.models.user_session).
        "PERMANENT_SESSION_LIFETIME": 12 * 60 * 60,
        "SESSION_IDLE_SECONDS": int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,
        # CJIS: every user signs in with a second factor (TOTP). On in production; elsewhere
        # users may still set one up, and whoever has one is always asked for a code.
        "MFA_REQUIRED": _flag("MFA_REQUIRED", production),
        **mfa_key_settings(production),
        # The key of the evaluators' pseudonymous person ids (a keyed hash): the same key gives
        # the same ids in every export; another key, unlinkable ones. Required in production.
        "EVALUATION_ID_KEY": _evaluation_key(production),
        # A sensitive action (confirming non-compliance, changing a consent, a user's role or
        # state, an MFA reset, an export) asks for the password (and code) again when the
        # session's last check is older than this (portal/auth/reauth.py).
        "REAUTH_AFTER": dt.timedelta(minutes=_int("REAUTH_AFTER_MINUTES", 15, 1)),
        "PROGRAM_NAME": os.environ.get("PROGRAM_NAME", "Fayette County LEAD"),
        "PORTAL_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "America/New_York"),
        "PAGE_SIZE": int(os.environ.get("PAGE_SIZE", "20")),
        # Proxies in front of the app (nginx: 1) whose X-Forwarded-* headers are trusted, so the
        # audit trail records the client's address, not the proxy's. 0: none trusted.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        "RAISE_ON_LAZY_LOAD": False,
        # `make bench` only: each response says how many SQL statements it sent (X-Query-Count).
        "COUNT_QUERIES": _flag("PORTAL_COUNT_QUERIES", False),
        # The largest signed consent scan (PDF, PNG or JPEG) the office may attach.
        "CONSENT_SCAN_MAX_BYTES": scan_max,
        # The largest directory file (HSDS JSON) an administrator may import.
        "HSDS_MAX_BYTES": hsds_max,
        # Any body larger than a scan and its form is refused (413) before it is read (the
        # directory file's upload has its own limit: portal/web/guards.py, `limits_body`).
        "MAX_CONTENT_LENGTH": scan_max + 1024 * 1024,
        **mail_settings(),
        **rate_limit_settings(),
    }
