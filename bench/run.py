"""`make bench`: every signed-in page of every role under load, against a minimal page.

Usage: .venv/bin/python bench/run.py --engine sqlite|postgresql --cases 100000
       [--attendance N] [--users 2000] [--seconds 10] [--concurrency 4] [--only dashboard]
       [--no-export]

1. The database (SQLite: bench/data/bench-<cases>.db; PostgreSQL: BENCH_DATABASE_URL, default
   postgresql://postgres@127.0.0.1:5432/lead_bench) is migrated and, when empty, filled by
   `flask bench-data` (kept for the next run); planner statistics refreshed (`flask analyze`).
2. The portal (wsgi:app) and the minimal page (bench/minimal.py) are served by gunicorn with
   gunicorn.conf.py (2 workers) on loopback ports; sign-in limits off, queries counted.
3. Each role signs in through the login form; each page is requested back to back by
   `--concurrency` clients for `--seconds`; the minimal page is measured first and last.
4. Which query costs what (bench/queries.py): each page again in-process, every statement timed,
   the costliest explained by the engine's planner (EXPLAIN QUERY PLAN / EXPLAIN).
5. The evaluators' de-identified file (bench/export.py, a process of its own): every case
   streamed, its wall time and the process's memory as it goes (`--no-export` skips it).
6. The table and the plans of the costliest statements are printed;
   bench/results/<engine>-<date>.json (with the plans) and .svg are written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, queries, report  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/lead_bench"
SERVER_MS = re.compile(r" (\d+)ms$", re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(engine: str, cases: int) -> str:
    if engine == "postgresql":
        url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    folder = ROOT / "bench" / "data"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / f'bench-{cases}.db'}"


def _env(url: str, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORTAL_ENV": "development",
        "SECRET_KEY": "bench-only-secret",
        "RATELIMIT_ENABLED": "0",  # every role signs in from one address, many times
        "MFA_REQUIRED": "0",
        "SESSION_IDLE_MINUTES": "240",
    }
    env.update(extra)
    return env


def prepare(url: str, args) -> None:
    """Migrate; fill when empty (the generator refuses a database that holds data)."""
    flask = [str(VENV_BIN / "flask"), "--app", "portal"]
    subprocess.run([*flask, "db", "upgrade"], env=_env(url), check=True, cwd=ROOT)  # noqa: S603
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT count(*) FROM cases")).scalar()
    if not cases:
        command = [*flask, "bench-data", "--cases", str(args.cases), "--users", str(args.users)]
        if args.attendance is not None:
            command += ["--attendance", str(args.attendance)]
        started = time.perf_counter()
        subprocess.run(command, env=_env(url), check=True, cwd=ROOT)  # noqa: S603
        print(f"Generated in {time.perf_counter() - started:.0f} s")
    else:
        print(f"Using the existing {cases:,} cases in {engine.url.render_as_string()}")
    from bench import minimal
    from portal.database import analyze

    minimal.fill(engine)
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that lets
        # counts read an index alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with engine.begin() as conn:
            analyze(conn)  # `flask analyze`: SQLite has no autovacuum
    engine.dispose()


def serve(app: str, port: int, url: str, log: Path) -> subprocess.Popen:
    env = _env(url, PORT=str(port), PORTAL_COUNT_QUERIES="1", WEB_CONCURRENCY="2")
    process = subprocess.Popen(  # noqa: S603
        [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", app],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{app} did not start: see {log}") from None
            time.sleep(0.2)
    raise RuntimeError(f"{app} did not answer: see {log}")


def server_times(log: Path, offset: int) -> tuple[list[float], int]:
    """The request times gunicorn logged after `offset` (its access log's %(M)s), in ms."""
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
        end = f.tell()
    return [float(m.group(1)) for m in SERVER_MS.finditer(text)], end


def _row(role, page, result, server_ms, minimal_rps) -> dict:
    ordered = sorted(server_ms)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else None
    return {
        "role": role,
        "page": page,
        "requests": result.requests,
        "p50_ms": round(result.percentile(50), 1),
        "p95_ms": round(result.percentile(95), 1),
        "server_p50_ms": statistics.median(ordered) if ordered else None,
        "server_p95_ms": p95,
        "throughput": round(result.throughput, 1),
        "ratio": round(result.throughput / minimal_rps, 2) if minimal_rps else None,
        "queries": result.query_count,
        "kb": round(result.size / 1024, 1),
        "errors": result.errors,
    }


def chosen(pages: list, only: list[str] | None) -> list:
    """The pages whose name holds one of `only` (every page when None)."""
    if not only:
        return pages
    return [p for p in pages if any(word.lower() in p.name.lower() for word in only)]


def measure(args, url: str) -> tuple[list[dict], dict]:
    from portal import create_app
    from portal.bench_data import BENCH_PASSWORD
    from portal.bench_data.pages import SIGN_INS, bench_pages

    portal_app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-secret"})
    with portal_app.test_request_context():
        pages = chosen(bench_pages(), args.only)
    logs = ROOT / "bench" / "data"
    logs.mkdir(exist_ok=True)
    portal_port, minimal_port = _free_port(), _free_port()
    portal_log, minimal_log = logs / "portal-access.log", logs / "minimal-access.log"
    servers = [
        serve("wsgi:app", portal_port, url, portal_log),
        serve("bench.minimal:app", minimal_port, url, minimal_log),
    ]
    try:
        cookies = {
            role: load.sign_in(portal_port, email, BENCH_PASSWORD)
            for role, email in SIGN_INS.items()
        }

        def run(port, log, path, headers):
            offset = log.stat().st_size
            result = load.hammer(port, path, headers, args.seconds, args.concurrency)
            times, _ = server_times(log, offset)
            return result, times

        first, first_ms = run(minimal_port, minimal_log, "/", {})
        results = []
        for page in pages:
            headers = {"Cookie": cookies[page.role], **page.headers}
            result, times = run(portal_port, portal_log, page.path, headers)
            results.append((page, result, times))
            print(f"  {page.role:<14} {page.name:<24} {result.throughput:7.1f} req/s", flush=True)
        last, last_ms = run(minimal_port, minimal_log, "/", {})
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(timeout=30)
    minimal_rps = (first.throughput + last.throughput) / 2
    merged = load.Result(
        latencies=first.latencies + last.latencies,
        sizes=first.sizes + last.sizes,
        elapsed=first.elapsed + last.elapsed,
        statuses={200: first.requests + last.requests - first.errors - last.errors},
    )
    rows = [_row("minimal", "20 of 100,000 rows", merged, first_ms + last_ms, minimal_rps)]
    rows += [_row(p.role, p.name, r, t, minimal_rps) for p, r, t in results]
    meta = {
        "minimal_first_rps": round(first.throughput, 1),
        "minimal_last_rps": round(last.throughput, 1),
    }
    return rows, meta


def export(args) -> dict:
    """bench/export.py in a process of its own (its memory is the export's alone)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        command = [sys.executable, str(ROOT / "bench" / "export.py"), "--engine", args.engine]
        command += ["--cases", str(args.cases), "--json", str(path)]
        subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603
        return json.loads(path.read_text())


def counts(url: str) -> dict:
    from sqlalchemy import create_engine, func, select

    from portal.extensions import db

    engine = create_engine(url)
    with engine.connect() as conn:
        found = {
            name: conn.execute(select(func.count()).select_from(db.metadata.tables[name])).scalar()
            for name in (
                "cases",
                "timeline_entries",
                "attendance",
                "users",
                "justice_events",
                "monthly_statuses",
            )
        }
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--attendance", type=int, default=None)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--no-export", action="store_true", help="skip the evaluation export")
    parser.add_argument(
        "--only", action="append", help="measure only the pages whose name holds this (repeat)"
    )
    args = parser.parse_args()
    url = _database_url(args.engine, args.cases)
    prepare(url, args)
    load_before = os.getloadavg()  # the machine may be shared: what else ran is recorded
    rows, meta = measure(args, url)
    profiled = queries.profile(url, only=args.only)
    exported = None if args.no_export else export(args)
    data = counts(url)
    now = dt.datetime.now().astimezone()
    meta.update(
        engine=args.engine,
        date=now.isoformat(timespec="seconds"),
        rows=data,
        seconds_per_page=args.seconds,
        concurrency=args.concurrency,
        gunicorn="gunicorn.conf.py, 2 workers",
        cpus=os.cpu_count(),
        load_average_before_after=[round(x, 2) for x in (*load_before, *os.getloadavg())],
        only=args.only,
    )
    if exported is not None:
        meta["export"] = exported
    print()
    print(
        f"{args.engine}: {data['cases']:,} cases, {data['timeline_entries']:,} timeline entries, "
        f"{data['attendance']:,} attendance rows, {data['users']:,} users; "
        f"{args.concurrency} clients, {args.seconds:.0f} s a page"
    )
    print(report.table(rows))
    print()
    print("Which query costs what (in-process, median of 5; plans of the pages over 5 ms of SQL):")
    print(queries.text(profiled, limit=5))
    if exported is not None:
        from bench.export import text as export_text

        print()
        print(export_text(exported))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stem = results / f"{args.engine}-{now:%Y-%m-%d}"
    if args.only:  # a part of the pages: beside the whole run's files, not over them
        stem = stem.with_name(f"{stem.name}-{'-'.join(w.lower() for w in args.only)}")
    report.write_json(stem.with_suffix(".json"), meta, rows, profiled)
    title = f"LEAD portal, {args.engine}, {data['cases']:,} cases ({now:%Y-%m-%d})"
    report.write_svg(stem.with_suffix(".svg"), title, rows)
    print(f"\nWritten: {stem.with_suffix('.json')} and {stem.with_suffix('.svg')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
