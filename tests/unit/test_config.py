"""Settings from the environment: the secret key in production and in development."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import ConfigError, load_settings

KEY = Fernet.generate_key().decode()


@pytest.fixture
def env(monkeypatch):
    for name in (
        "SECRET_KEY",
        "PORTAL_ENV",
        "DATABASE_URL",
        "MFA_REQUIRED",
        "MFA_ENCRYPTION_KEY",
        "EVALUATION_ID_KEY",
        "REAUTH_AFTER_MINUTES",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(env, tmp_path):
    env.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(tmp_path)
    with pytest.raises(ConfigError):
        create_app()
    assert not (tmp_path / "secret_key").exists()  # never falls back to a generated key


def test_production_with_a_secret_key_uses_it_and_secure_cookies(env, tmp_path):
    env.setenv("PORTAL_ENV", "production")
    env.setenv("SECRET_KEY", "from-the-environment")
    env.setenv("MFA_ENCRYPTION_KEY", KEY)
    env.setenv("EVALUATION_ID_KEY", "an-evaluation-key-of-32-characters")
    settings = load_settings(tmp_path)
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True


def test_development_generates_a_secret_key_once_under_instance(env, tmp_path):
    instance = tmp_path / "instance"
    first = load_settings(instance)["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # readable by its owner only
    assert load_settings(instance)["SECRET_KEY"] == first  # kept, not regenerated
    assert load_settings(tmp_path / "elsewhere")["SECRET_KEY"] != first


def test_database_url_defaults_to_sqlite_under_instance(env, tmp_path):
    assert load_settings(tmp_path)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/portal.db"


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_postgres_urls_use_psycopg(env, tmp_path, scheme):
    env.setenv("DATABASE_URL", f"{scheme}u@db:5432/lead")
    url = load_settings(tmp_path)["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://u@db:5432/lead"


def test_a_scan_limit_from_the_environment_sets_the_body_limit_above_it(env, tmp_path):
    defaults = load_settings(tmp_path)
    assert defaults["CONSENT_SCAN_MAX_BYTES"] == 10 * 1024 * 1024
    assert defaults["MAX_CONTENT_LENGTH"] > defaults["CONSENT_SCAN_MAX_BYTES"]
    env.setenv("CONSENT_SCAN_MAX_BYTES", "2000000")
    settings = load_settings(tmp_path)
    assert settings["CONSENT_SCAN_MAX_BYTES"] == 2_000_000
    assert settings["MAX_CONTENT_LENGTH"] == 2_000_000 + 1024 * 1024


def test_rate_limits_count_in_memory_unless_a_shared_storage_is_named(env, tmp_path):
    for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "RATELIMIT_KEY_PREFIX"):
        env.delenv(name, raising=False)
    settings = load_settings(tmp_path)
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    env.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    assert load_settings(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    env.setenv("RATELIMIT_ENABLED", "perhaps")
    with pytest.raises(ConfigError, match="RATELIMIT_ENABLED"):
        load_settings(tmp_path)


def test_mfa_is_required_in_production_unless_turned_off(env, tmp_path):
    assert load_settings(tmp_path)["MFA_REQUIRED"] is False
    env.setenv("MFA_REQUIRED", "1")
    assert load_settings(tmp_path)["MFA_REQUIRED"] is True
    env.setenv("PORTAL_ENV", "production")
    env.setenv("SECRET_KEY", "from-the-environment")
    env.setenv("MFA_ENCRYPTION_KEY", KEY)
    env.setenv("EVALUATION_ID_KEY", "an-evaluation-key-of-32-characters")
    env.delenv("MFA_REQUIRED")
    assert load_settings(tmp_path)["MFA_REQUIRED"] is True
    env.setenv("MFA_REQUIRED", "0")
    assert load_settings(tmp_path)["MFA_REQUIRED"] is False
    env.setenv("MFA_REQUIRED", "maybe")
    with pytest.raises(ConfigError, match="MFA_REQUIRED"):
        load_settings(tmp_path)


def test_production_refuses_to_start_without_an_mfa_encryption_key(env, tmp_path):
    env.setenv("PORTAL_ENV", "production")
    env.setenv("SECRET_KEY", "from-the-environment")
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEY must be set"):
        load_settings(tmp_path)
    env.setenv("MFA_ENCRYPTION_KEY", "not-a-key")
    env.setenv("EVALUATION_ID_KEY", "an-evaluation-key-of-32-characters")
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEY must be a Fernet key"):
        load_settings(tmp_path)
    other = Fernet.generate_key().decode()
    env.setenv("MFA_ENCRYPTION_KEY", f"{KEY}, {other}")  # the new key first, the old kept
    assert load_settings(tmp_path)["MFA_ENCRYPTION_KEY"] == f"{KEY}, {other}"


def test_outside_production_the_mfa_key_may_be_left_to_the_secret_key(env, tmp_path):
    assert load_settings(tmp_path)["MFA_ENCRYPTION_KEY"] is None
    env.setenv("MFA_ENCRYPTION_KEY", "not-a-key")
    env.setenv("EVALUATION_ID_KEY", "an-evaluation-key-of-32-characters")
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEY"):
        load_settings(tmp_path)


def test_reauthentication_is_asked_after_15_minutes_unless_set(env, tmp_path):
    assert load_settings(tmp_path)["REAUTH_AFTER"] == dt.timedelta(minutes=15)
    env.setenv("REAUTH_AFTER_MINUTES", "5")
    assert load_settings(tmp_path)["REAUTH_AFTER"] == dt.timedelta(minutes=5)
    env.setenv("REAUTH_AFTER_MINUTES", "0")
    with pytest.raises(ConfigError, match="REAUTH_AFTER_MINUTES"):
        load_settings(tmp_path)


def test_production_refuses_to_start_without_an_evaluation_key(env, tmp_path):
    env.setenv("PORTAL_ENV", "production")
    env.setenv("SECRET_KEY", "from-the-environment")
    env.setenv("MFA_ENCRYPTION_KEY", KEY)
    with pytest.raises(ConfigError, match="EVALUATION_ID_KEY must be set"):
        load_settings(tmp_path)
    env.setenv("EVALUATION_ID_KEY", "short")
    with pytest.raises(ConfigError, match="at least 16 characters"):
        load_settings(tmp_path)
    env.setenv("EVALUATION_ID_KEY", "an-evaluation-key-of-32-characters")
    assert load_settings(tmp_path)["EVALUATION_ID_KEY"] == "an-evaluation-key-of-32-characters"
