"""Engine behaviour: SQLite pragmas, connections discarded after a read-only or I/O error, and
lazy loads that raise when testing for N+1 queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g, has_app_context, has_request_context
from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, raiseload


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: write-ahead log, enforced foreign keys and a busy timeout for concurrent writers."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_settings(dbapi_connection, _record) -> None:
    """PostgreSQL: no JIT compilation. Its planner compiles any statement whose estimated cost
    passes `jit_above_cost`, which pays off for long analytic queries, not for a page's: the
    queue's possible-match check (a correlated EXISTS the planner overestimates) spent 30 of its
    40 ms compiling 63 functions, every time."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


# PostgreSQL: a read-only transaction (a standby, `default_transaction_read_only`), an I/O error.
READ_ONLY_SQLSTATES = frozenset({"25006"})
IO_ERROR_SQLSTATES = frozenset({"58030"})


def is_read_only_error(error: BaseException | None) -> bool:
    """The database refused a write because it is read-only (SQLite: the file or connection;
    PostgreSQL: the transaction)."""
    name = getattr(error, "sqlite_errorname", None) or ""
    return name.startswith("SQLITE_READONLY") or (
        getattr(error, "sqlstate", None) in READ_ONLY_SQLSTATES
    )


def is_storage_error(error: BaseException | None) -> bool:
    """A read-only refusal or an I/O error: the connection that hit it is not to be reused."""
    name = getattr(error, "sqlite_errorname", None) or ""
    return (
        is_read_only_error(error)
        or name.startswith("SQLITE_IOERR")
        or getattr(error, "sqlstate", None) in IO_ERROR_SQLSTATES
    )


@event.listens_for(Engine, "handle_error")
def _discard_connections_after_storage_errors(context: ExceptionContext) -> None:
    """Treat a read-only or I/O error as a lost connection: SQLAlchemy then discards it and
    the pool's other connections. An SQLite connection keeps failing after its file is made
    writable again, and a PostgreSQL session keeps its read-only setting; new ones do not."""
    if is_storage_error(context.original_exception):
        context.is_disconnect = True


def analyze(connection: Connection) -> None:
    """Refresh the query planner's statistics (in the caller's transaction, which commits them).
    PostgreSQL's autovacuum does this by itself; an SQLite file has none until asked (its planner
    then guesses between indexes), so run this after a bulk load or an import, and now and then
    (`flask analyze`). On SQLite each index is sampled (`analysis_limit`), so it takes about a
    second whatever the file's size."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
    connection.exec_driver_sql("ANALYZE")


def _raise_on_lazy_load(state: ORMExecuteState) -> None:
    # Every relationship a view needs must be loaded eagerly by its query: a lazy load
    # (one query per row) raises instead of passing silently.
    if (
        state.is_select
        and not state.is_relationship_load
        and has_app_context()
        and current_app.config.get("RAISE_ON_LAZY_LOAD")
    ):
        state.statement = state.statement.options(raiseload("*", sql_only=True))


def _count_query(*_args) -> None:
    if has_request_context() and "query_count" in g:
        g.query_count += 1


def _start_count() -> None:
    g.query_count = 0


def _report_count(response: Response) -> Response:
    response.headers["X-Query-Count"] = str(g.get("query_count", 0))
    return response


def init_app(app: Flask) -> None:
    if app.config.get("RAISE_ON_LAZY_LOAD") and not event.contains(
        Session, "do_orm_execute", _raise_on_lazy_load
    ):
        event.listen(Session, "do_orm_execute", _raise_on_lazy_load)
    if app.config.get("COUNT_QUERIES"):
        # The benchmark's queries per request; off unless asked for (PORTAL_COUNT_QUERIES=1).
        if not event.contains(Engine, "before_cursor_execute", _count_query):
            event.listen(Engine, "before_cursor_execute", _count_query)
        app.before_request(_start_count)
        app.after_request(_report_count)


@contextmanager
def savepoint(session: Session) -> Iterator[SessionTransaction]:
    """A SAVEPOINT inside the caller's transaction, on SQLite too.

    pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT issued first
    would start a transaction of its own, and its RELEASE would commit everything done so far.
    Opening the transaction first keeps the whole request atomic.
    """
    connection = session.connection()
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")
    with session.begin_nested() as nested:
        yield nested


def begin_write(session: Session) -> None:
    """Open the session's transaction as a writer now: on SQLite `BEGIN IMMEDIATE`, so two
    processes writing the same rows queue for the database (busy timeout) instead of one
    failing when it upgrades a read to a write; on PostgreSQL row locks do the queueing."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_row(session: Session, entity, row_id: int, *options) -> None:
    """Serialise changes of one row: the second of two concurrent transactions waits here until
    the first commits, then reads what it wrote (the row itself is refreshed, its relationships
    loaded by `options`).

    PostgreSQL: SELECT .. FOR UPDATE. SQLite has no row locks: the transaction is begun with the
    database's write lock (`begin_write`; pysqlite runs earlier reads outside any transaction, so
    no stale snapshot is held).
    """
    key = entity.__mapper__.primary_key[0]
    begin_write(session)
    session.scalars(
        select(entity)
        .where(key == row_id)
        .options(*options)
        .with_for_update(of=entity)
        .execution_options(populate_existing=True)
    ).all()  # fetched: an ORM result refreshes the objects only as its rows are read
