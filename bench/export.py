"""The evaluators' de-identified file at scale (issue 14): every case of the bench database
streamed as the download does, timed, with the process's memory sampled as it goes.

The rows are read by `evaluation_export.export_rows` (batches of cases, keyset on the id) over
the whole range of referrals, not the dashboard's five years at most, and each is written as
the route writes it (`portal.admin.reports._csv_line`) to nowhere, its bytes counted. Memory is
the process's resident set (VmRSS) every `--every` rows and its peak over the export (VmHWM,
reset as the export starts): flat means the last sample is no larger than the first ones,
however many rows came between.

Usage: .venv/bin/python bench/export.py --engine sqlite|postgresql --cases 100000 [--json PATH]
(`make bench` runs it after the pages, in a process of its own, and keeps its figures in the
JSON's meta.export.)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 60.0


def _status_mb(field: str) -> float | None:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def rss_mb() -> float:
    """The process's resident memory now."""
    return _status_mb("VmRSS") or 0.0


def reset_peak() -> bool:
    """Start the peak (VmHWM) again from now: the app's start-up is not the export's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """The peak resident memory since `reset_peak` (else since the process started)."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, every: int = 10_000) -> dict:
    from sqlalchemy import func, select

    from portal import create_app
    from portal.admin.reports import _csv_line
    from portal.bench_data.pages import SIGN_INS, _user
    from portal.clock import local_date, local_today
    from portal.extensions import db
    from portal.models import Case
    from portal.services import audit
    from portal.services.dashboard import Filters
    from portal.services.evaluation_export import export_rows

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-secret"})
    with app.app_context():
        evaluator = _user(SIGN_INS["evaluator"])
        first = db.session.scalar(select(func.min(Case.referred_at)))
        cases = db.session.scalar(select(func.count()).select_from(Case))
        filters = Filters(local_date(first), local_today())
        token = audit.set_actor(evaluator, "127.0.0.1")
        try:
            reset_peak()
            before = rss_mb()
            started = time.perf_counter()
            rows = export_rows(evaluator, filters)
            db.session.commit()  # the export's audit row, as the route commits it
            written = size = 0
            samples = []
            first_row_s = None
            for row in rows:
                size += len(_csv_line(row))
                written += 1
                if written == 2:
                    first_row_s = time.perf_counter() - started
                if written % every == 0:
                    samples.append((written, round(rss_mb(), 1)))
            seconds = time.perf_counter() - started
        finally:
            audit.reset_actor(token)
            db.session.remove()
            db.engine.dispose()
    data_rows = written - 1  # the header
    return {
        "engine": url.split(":", 1)[0].split("+", 1)[0],
        "cases": cases,
        "rows": data_rows,
        "range": [filters.start.isoformat(), filters.end.isoformat()],
        "seconds": round(seconds, 1),
        "first_row_seconds": round(first_row_s or 0.0, 2),
        "rows_per_second": round(data_rows / seconds) if seconds else None,
        "mb": round(size / 1024 / 1024, 1),
        "rss_before_mb": round(before, 1),
        "rss_samples_mb": samples,  # (rows so far, VmRSS)
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "goal_seconds": GOAL_SECONDS,
    }


def text(found: dict) -> str:
    samples = found["rss_samples_mb"]
    flat = ""
    if len(samples) >= 2:
        (early_rows, early_mb), (late_rows, late_mb) = samples[0], samples[-1]
        flat = f"; RSS {early_mb:.0f} MB at {early_rows:,} rows, {late_mb:.0f} MB at {late_rows:,}"
    return (
        f"Evaluation export ({found['engine']}): {found['rows']:,} rows, {found['mb']} MB of CSV "
        f"in {found['seconds']} s ({found['rows_per_second']:,} rows/s; first row after "
        f"{found['first_row_seconds']} s); peak RSS {found['peak_rss_mb']:.0f} MB "
        f"(before {found['rss_before_mb']:.0f} MB){flat}"
    )


def main() -> int:
    from bench.run import _database_url

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000, help="rows between RSS samples")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    found = measure(_database_url(args.engine, args.cases), args.every)
    print(text(found))
    if args.json:
        args.json.write_text(json.dumps(found, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
