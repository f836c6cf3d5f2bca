"""Backup and restore: `flask --app portal backup PATH` and `flask --app portal restore PATH`.

SQLite: SQLite's online backup API, a consistent copy while the portal runs (a file copy is not:
the last writes sit in the write-ahead log beside the file). PostgreSQL: `pg_dump` in its custom
format, read back by `pg_restore`; the password, if the database URL holds one, goes to them in
the environment (PGPASSWORD), never on the command line where `ps` would show it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from portal.extensions import db

# The libpq connection settings a database URL's query string may carry on to pg_dump.
LIBPQ_OPTIONS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
)


class BackupError(click.ClickException):
    """The backup or restore could not be done; nothing was changed."""


def database_holds_data() -> bool:
    """Whether restoring would overwrite someone's records: users, agencies, organisations or
    cases (a freshly migrated database holds only the default settings and rules)."""
    from portal.demo.program import database_is_empty

    if not inspect(db.engine).has_table("users"):
        return False
    empty = database_is_empty()
    db.session.rollback()
    return not empty


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """All pages in one step: the copy is the database as of one moment."""
    source.backup(target, pages=-1)


def _partial_file(path: Path) -> Path:
    """An empty file beside PATH, readable by its owner only (a backup holds personal data),
    renamed to PATH once complete: PATH is never a half-written backup."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    return Path(name)


def backup_sqlite(path: Path) -> None:
    partial = _partial_file(path)
    try:
        target = sqlite3.connect(partial)
        try:
            with db.engine.connect() as connection:
                _sqlite_copy(connection.connection.driver_connection, target)
        finally:
            target.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore_sqlite(path: Path) -> None:
    """Into the live file through the backup API, so every connection (other app processes'
    too) sees the restored database as a whole."""
    source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        # Refuses a file that is not SQLite, or not the portal's.
        source.execute("SELECT version_num FROM alembic_version").fetchall()
        db.session.remove()
        db.engine.dispose()
        with db.engine.connect() as connection:
            _sqlite_copy(source, connection.connection.driver_connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a backup of the portal's SQLite database.") from error
    finally:
        source.close()
        db.engine.dispose()


# --- PostgreSQL ---------------------------------------------------------------------------------


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The URL as a libpq connection string without the password, and the environment that
    carries the password (PGPASSWORD) when the URL has one."""
    parts = {
        "host": url.host,
        "port": str(url.port) if url.port else None,
        "user": url.username,
        "dbname": url.database,
    }
    for option in LIBPQ_OPTIONS:
        value = url.query.get(option)
        if isinstance(value, str):
            parts[option] = value
    conninfo = " ".join(f"{key}={_conninfo_value(v)}" for key, v in parts.items() if v)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def _run_pg_tool(name: str, arguments: list[str], url: URL) -> None:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    conninfo, env = libpq_connection(url)
    result = subprocess.run(  # noqa: S603 (a fixed tool; no shell, no password in argv)
        [tool, f"--dbname={conninfo}", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # pg_dump's and pg_restore's messages name objects, never rows: shown to the operator.
        raise BackupError(f"{name} failed:\n{result.stderr.strip()}")


def backup_postgresql(path: Path, url: URL) -> None:
    partial = _partial_file(path)
    try:
        _run_pg_tool("pg_dump", ["--format=custom", f"--file={partial}"], url)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore_postgresql(path: Path, url: URL) -> None:
    """Everything in one transaction: a restore that fails leaves the database as it was."""
    db.session.remove()
    db.engine.dispose()
    _run_pg_tool(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(path)],
        url,
    )


# --- commands -----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def backup(path: Path) -> None:
        """Write a consistent copy of the database to PATH while the portal runs (SQLite: the
        backup API; PostgreSQL: pg_dump's custom format)."""
        path = path.resolve()
        if not path.parent.is_dir():
            raise BackupError(f"{path.parent} is not a directory.")
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            backup_sqlite(path)
        elif url.get_backend_name() == "postgresql":
            backup_postgresql(path, url)
        else:
            raise BackupError(f"No backup for {url.get_backend_name()} databases.")
        click.echo(f"Backup written to {path} ({path.stat().st_size:,} bytes).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Overwrite a database that holds data.")
    def restore(path: Path, force: bool) -> None:
        """Replace the database with the backup at PATH. Refuses a database that holds data
        unless --force. Stop the app servers first, then run `db upgrade` if the backup is
        older than the code."""
        url = db.engine.url
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise BackupError(f"No restore for {url.get_backend_name()} databases.")
        if database_holds_data() and not force:
            raise BackupError(
                "The database holds data; restoring would replace it. Take a backup of it "
                "first, then run restore again with --force."
            )
        if url.get_backend_name() == "sqlite":
            restore_sqlite(path.resolve())
        else:
            restore_postgresql(path.resolve(), url)
        click.echo(f"Database restored from {path}.")
