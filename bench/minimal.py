"""The yardstick `make bench` measures the portal against: a minimal Flask + SQLAlchemy page,
one indexed query for 20 of 100,000 rows and one Jinja template, served by the same gunicorn
settings on the same database engine (DATABASE_URL).

`gunicorn --config gunicorn.conf.py bench.minimal:app` serves it; `fill()` makes its table.
"""

from __future__ import annotations

import os
import random
import sqlite3

from flask import Flask, render_template
from jinja2 import DictLoader
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
)

ROWS = 100_000
CATEGORIES = 5000  # 20 rows a category: the query reads 20 of 100,000 through its index

metadata = MetaData()
items = Table(
    "bench_minimal_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("category", Integer, nullable=False),
    Column("name", String(120), nullable=False),
    Column("status", String(20), nullable=False),
    Index("ix_bench_minimal_items_category_id", "category", "id"),
)

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Items in {{ category }}</title></head>
<body><main><h1>Items in category {{ category }}</h1>
<table><thead><tr><th>Id</th><th>Name</th><th>Status</th></tr></thead><tbody>
{% for item in rows %}<tr><td>{{ item.id }}</td><td>{{ item.name }}</td>
<td>{{ item.status }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""


def _engine():
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # the portal's SQLite settings, for a fair match
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

    return engine


def fill(engine) -> None:
    """Create and fill the table once (kept between runs)."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(items)) == ROWS:
            return
        conn.execute(items.delete())
        rng = random.Random(1)
        for start in range(0, ROWS, 10_000):
            conn.execute(
                insert(items),
                [
                    {
                        "id": i + 1,
                        "category": i % CATEGORIES,
                        "name": f"Item {i + 1}",
                        "status": rng.choice(["open", "closed", "pending"]),
                    }
                    for i in range(start, start + 10_000)
                ],
            )


def create_app() -> Flask:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"items.html": TEMPLATE})
    engine = _engine()

    @app.get("/")
    def page():
        category = 1234
        with engine.connect() as conn:
            rows = conn.execute(
                select(items.c.id, items.c.name, items.c.status)
                .where(items.c.category == category)
                .order_by(items.c.id.desc())
                .limit(20)
            ).all()
        return render_template("items.html", category=category, rows=rows)

    return app


app = create_app() if os.environ.get("DATABASE_URL") else None
