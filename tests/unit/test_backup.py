"""The restore drill, on both engines: backup, a change, restore, and the data is as it was at
the backup; restore refuses to overwrite a database that holds data unless forced."""

from __future__ import annotations

import os
import sqlite3
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.backup import libpq_connection
from portal.extensions import db
from portal.models import Agency


def _portal(monkeypatch, url: str):
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    return create_app({"TESTING": True, "SECRET_KEY": "unit-test", "SQLALCHEMY_DATABASE_URI": url})


def _agencies() -> list[str]:
    names = sorted(db.session.scalars(select(Agency.name)))
    db.session.rollback()
    return names


def _add_agency(name: str) -> None:
    db.session.add(Agency(name=name))
    db.session.commit()


def _drill(app, backup_file) -> None:
    """Backup, change, a refused restore, a forced one: the data as at the backup."""
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        _add_agency("Before the backup")

        result = runner.invoke(args=["backup", str(backup_file)])
        assert result.exit_code == 0, result.output
        assert backup_file.stat().st_size > 0
        assert oct(backup_file.stat().st_mode & 0o777) == oct(0o600)  # personal data inside

        _add_agency("After the backup")
        refused = runner.invoke(args=["restore", str(backup_file)])
        assert refused.exit_code != 0
        assert "holds data" in refused.output
        assert _agencies() == ["After the backup", "Before the backup"]

        result = runner.invoke(args=["restore", str(backup_file), "--force"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        assert _agencies() == ["Before the backup"]
        _add_agency("After the restore")  # the restored database takes writes
        assert _agencies() == ["After the restore", "Before the backup"]
        db.session.remove()
        db.engine.dispose()


def test_sqlite_backup_and_restore_drill(tmp_path, monkeypatch):
    app = _portal(monkeypatch, f"sqlite:///{tmp_path}/portal.db")
    _drill(app, tmp_path / "portal.backup")


def test_a_sqlite_backup_is_consistent_while_others_write(tmp_path, monkeypatch):
    """Online: committed rows still in the write-ahead log are in; another connection's
    uncommitted ones are not."""
    database = tmp_path / "portal.db"
    app = _portal(monkeypatch, f"sqlite:///{database}")
    backup_file = tmp_path / "copy.db"
    with app.app_context():
        upgrade()
        _add_agency("Committed")
        writer = sqlite3.connect(database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO agencies (name, active, created_at) "
            "VALUES ('Uncommitted', 1, '2026-01-01')"
        )
        try:
            result = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    copy = sqlite3.connect(backup_file)
    try:
        assert [name for (name,) in copy.execute("SELECT name FROM agencies")] == ["Committed"]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


def test_sqlite_restore_into_a_new_database_needs_no_force(tmp_path, monkeypatch):
    """The drill's other half: a backup restored on a fresh machine (an empty file)."""
    source = _portal(monkeypatch, f"sqlite:///{tmp_path}/portal.db")
    backup_file = tmp_path / "portal.backup"
    with source.app_context():
        upgrade()
        _add_agency("Kept")
        assert source.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
        db.engine.dispose()
    fresh = _portal(monkeypatch, f"sqlite:///{tmp_path}/fresh.db")
    with fresh.app_context():
        result = fresh.test_cli_runner().invoke(args=["restore", str(backup_file)])
        assert result.exit_code == 0, result.output
        assert _agencies() == ["Kept"]
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, monkeypatch):
    app = _portal(monkeypatch, f"sqlite:///{tmp_path}/portal.db")
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("Ann Smith " * 1000)
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["restore", str(not_a_backup)])
        assert result.exit_code != 0
        assert "is not a backup" in result.output
        assert _agencies() == []  # unchanged, still usable
        db.engine.dispose()


def test_the_password_goes_in_the_environment_never_the_command_line(monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = make_url("postgresql+psycopg://lead:s3cret@db.internal:5433/lead?sslmode=require")
    conninfo, env = libpq_connection(url)
    assert "s3cret" not in conninfo
    assert env["PGPASSWORD"] == "s3cret"
    assert conninfo == "host='db.internal' port='5433' user='lead' dbname='lead' sslmode='require'"
    assert "PGPASSWORD" not in libpq_connection(make_url("postgresql://lead@db/lead"))[1]


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture
def scratch_postgresql():
    """A database of the test's own beside the suite's, dropped afterwards."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL")
    base = make_url(TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_backup_and_restore_drill(scratch_postgresql, tmp_path, monkeypatch):
    app = _portal(monkeypatch, scratch_postgresql)
    _drill(app, tmp_path / "portal.dump")
