"""Print a locust run's figures from its CSV files (`--csv PREFIX`): per journey and per request,
the count, the errors, p50 and p95 in milliseconds; then every distinct error. Exit status 1 when
any request or journey failed.

    python bench/load_report.py PREFIX
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

KINDS = {"JOURNEY": "journeys", "RACE": "lost races (a stale form refused)", "IDLE": "idle"}


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _line(name: str, row: dict) -> str:
    count, failed = int(row["Request Count"]), int(row["Failure Count"])
    return f"  {name:<62} {count:>7} {failed:>6} {row['50%']:>7} {row['95%']:>7}"


def report(prefix: str) -> int:
    stats = [r for r in _rows(Path(f"{prefix}_stats.csv")) if r["Name"] != "Aggregated"]
    failures = _rows(Path(f"{prefix}_failures.csv"))
    header = f"  {'':<62} {'count':>7} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7}"
    for kind, title in [*KINDS.items(), (None, "requests")]:
        rows = [r for r in stats if (r["Type"] == kind if kind else r["Type"] not in KINDS)]
        if not rows:
            continue
        print(f"{title}:\n{header}")
        for row in sorted(rows, key=lambda r: r["Name"]):
            name = row["Name"] if kind else f"{row['Type']} {row['Name']}"
            print(_line(name, row))
    requests = [r for r in stats if r["Type"] not in KINDS]
    total = sum(int(r["Request Count"]) for r in requests)
    errors = sum(int(r["Failure Count"]) for r in stats)
    print(f"requests: {total}, errors (requests and journeys): {errors}")
    for failure in failures:
        print(
            f"  error x{failure['Occurrences']}: {failure['Method']} {failure['Name']}: "
            f"{failure['Error']}"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(report(sys.argv[1]))
