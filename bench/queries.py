"""Which query costs what, per page: `make bench`'s second part (and `bench/queries.py` alone).

Each signed-in page of the benchmark is requested in-process (the Flask test client, signed in
through the login form, as the load is) a few times; every SQL statement it runs is timed on the
connection, and the costliest statement of each page is explained with the engine's own planner
(`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL) with the parameters it ran with.

Usage: .venv/bin/python bench/queries.py --engine sqlite|postgresql --cases 100000 [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLANNED = ("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Statement:
    sql: str
    parameters: object
    ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        ordered = sorted(self.ms)
        return ordered[len(ordered) // 2]


class Timer:
    """Times every statement the engine runs while `current` names a page."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.current: dict[str, Statement] | None = None
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started.append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = (time.perf_counter() - self._started.pop()) * 1000
        if self.current is None or executemany:
            return
        found = self.current.get(statement)
        if found is None:
            found = self.current[statement] = Statement(statement, parameters)
        found.ms.append(elapsed)


def _explain(engine, statement: Statement) -> list[str]:
    """The planner's view of one statement, as lines."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement.sql, statement.parameters)
        rows = cursor.fetchall()
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    if not rows:  # SQLite shows no steps for a plain INSERT
        return ["(no steps: the statement reads no table)"]
    if engine.dialect.name == "sqlite":
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


def _sign_in(client, email: str, password: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise RuntimeError(f"sign-in refused for {email}")


def profile(url: str, repeat: int = 5, only: list[str] | None = None) -> list[dict]:
    """Per page: its median time in-process, statements, and the costliest statement explained."""
    from portal import create_app
    from portal.bench_data import BENCH_PASSWORD
    from portal.bench_data.pages import SIGN_INS, bench_pages
    from portal.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-only-secret",
            "RATELIMIT_ENABLED": False,
            "MFA_REQUIRED": False,
            "SESSION_IDLE_MINUTES": 240,
        }
    )
    from bench.run import chosen

    with app.test_request_context():
        pages = chosen(bench_pages(), only)
    clients = {}
    for role, email in SIGN_INS.items():
        clients[role] = app.test_client()
        _sign_in(clients[role], email, BENCH_PASSWORD)
    with app.app_context():
        engine = db.engine
    timer = Timer(engine)
    try:
        return [_profile_page(engine, timer, clients[page.role], page, repeat) for page in pages]
    finally:
        engine.dispose()  # its connections closed now, not whenever they are collected


def _profile_page(engine, timer: Timer, client, page, repeat: int) -> dict:
    """One page: requested `repeat` times after a warm-up, each statement timed."""
    client.get(page.path, headers=page.headers)  # warm: caches, the planner, the pages
    statements: dict[str, Statement] = {}
    timer.current = statements
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(page.path, headers=page.headers)
        took.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{page.path} answered {answer.status_code}")
    timer.current = None
    took.sort()
    # Of the statements a planner explains: on tiny data PostgreSQL's `SET LOCAL
    # synchronous_commit` (a page's audit row, web/audit.py) can be the slowest round trip.
    explainable = [s for s in statements.values() if s.sql.lstrip().upper().startswith(PLANNED)]
    costliest = max(explainable or statements.values(), key=lambda s: s.median_ms)
    return {
        "role": page.role,
        "page": page.name,
        "request_ms": round(took[len(took) // 2], 1),
        "sql_ms": round(sum(s.median_ms for s in statements.values()), 1),
        "statements": len(statements),
        "costliest_ms": round(costliest.median_ms, 1),
        "costliest_sql": " ".join(costliest.sql.split()),
        "plan": _explain(engine, costliest),
    }


def text(found: list[dict], limit: int = 0) -> str:
    """The profile as text: a line per page, then the plan of each costliest statement over
    `limit` ms."""
    lines = [f"{'role':<14} {'page':<24} {'request':>8} {'SQL':>7} {'costliest':>9}"]
    for row in found:
        lines.append(
            f"{row['role']:<14} {row['page']:<24} {row['request_ms']:>6.1f}ms "
            f"{row['sql_ms']:>5.1f}ms {row['costliest_ms']:>7.1f}ms"
        )
    for row in found:
        if row["costliest_ms"] < limit:
            continue
        lines += [
            "",
            f"{row['role']}: {row['page']} - {row['costliest_ms']} ms",
            row["costliest_sql"],
        ]
        lines += [f"    {step}" for step in row["plan"]]
    return "\n".join(lines)


def main() -> int:
    from bench.run import _database_url

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the profile here")
    args = parser.parse_args()
    found = profile(_database_url(args.engine, args.cases), args.repeat)
    print(text(found))
    if args.json:
        args.json.write_text(json.dumps(found, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
