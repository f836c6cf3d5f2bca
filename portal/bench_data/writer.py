"""Bulk inserts for the benchmark data: rows buffered per table and written in batches with
SQLAlchemy Core (one executemany per batch), parents always before their children.

Ids are given here, from each table's current maximum, so rows can point at each other
before anything is written; PostgreSQL's sequences are moved past them at the end.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table, func, insert, select

from portal.extensions import db

BATCH = 5000
COMMIT_EVERY = 40  # batches: keeps SQLite's write-ahead log and PostgreSQL's snapshot small


class Writer:
    def __init__(self, progress: Callable[[int], None] | None = None) -> None:
        self.order = list(db.metadata.sorted_tables)
        self.buffers: dict[str, list[dict]] = {}
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.progress = progress
        self.tracked: set[str] = set()
        self.batches = 0

    def table(self, name: str) -> Table:
        return db.metadata.tables[name]

    def new_id(self, name: str) -> int:
        """The next id of a table (from its maximum when first asked)."""
        if name not in self.next_ids:
            table = self.table(name)
            current = db.session.execute(select(func.max(table.c.id))).scalar()
            self.next_ids[name] = (current or 0) + 1
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def add(self, name: str, row: dict) -> None:
        self.buffers.setdefault(name, []).append(row)

    def checkpoint(self) -> None:
        """Between two cases (whose rows are complete): write the buffers once one is full."""
        if any(len(rows) >= BATCH for rows in self.buffers.values()):
            self.flush()

    def flush(self) -> None:
        """Write every buffer, parents before children."""
        for table in self.order:
            rows = self.buffers.get(table.name)
            if not rows:
                continue
            db.session.execute(insert(table), rows)
            self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
            if self.progress and table.name in self.tracked:
                self.progress(len(rows))
            self.buffers[table.name] = []
            self.batches += 1
            if self.batches % COMMIT_EVERY == 0:
                db.session.commit()

    def finish(self) -> None:
        """Write what is left, move PostgreSQL's sequences past the given ids, and commit."""
        self.flush()
        if db.session.get_bind().dialect.name == "postgresql":
            for name in self.next_ids:
                table = self.table(name)
                sequence = func.pg_get_serial_sequence(name, "id")
                last = select(func.max(table.c.id)).scalar_subquery()
                db.session.execute(select(func.setval(sequence, last)))
        db.session.commit()
