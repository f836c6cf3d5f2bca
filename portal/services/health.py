"""The health check: can the database be read, and written?"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from portal.clock import utcnow
from portal.database import is_read_only_error
from portal.extensions import db
from portal.models import HEALTH_ROW_ID, HealthCheck

OK, READ_ONLY, UNAVAILABLE = "ok", "read-only", "unavailable"


def check_database() -> str:
    """Read the health row, then rewrite it and commit: "ok", "read-only" (reads work, writes
    are refused) or "unavailable".

    The write is committed for real: SQLite touches the file only at the commit, so a check
    that rolled back (or ran `SELECT 1`) would pass over a file that refuses every write.
    """
    try:
        db.session.scalar(select(HealthCheck.checked_at).where(HealthCheck.id == HEALTH_ROW_ID))
    except SQLAlchemyError:
        db.session.rollback()
        return UNAVAILABLE
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    now = utcnow()
    statement = (
        insert(HealthCheck)
        .values(id=HEALTH_ROW_ID, checked_at=now)
        .on_conflict_do_update(index_elements=[HealthCheck.id], set_={"checked_at": now})
    )
    try:
        db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        return READ_ONLY if is_read_only_error(getattr(error, "orig", None)) else UNAVAILABLE
    return OK
