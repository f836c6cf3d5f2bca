"""A statewide program's worth of data for `make bench` (`flask --app portal bench-data`):
dozens of agencies whose officers refer with a long tail (a few with thousands of referrals),
provider organisations whose services stay within their capacity, groups of up to a few
hundred, and years of cases, timeline, consents, contacts and attendance, with the evaluation's
records (demographics, arrests before and after enrollment, monthly statuses: outcomes.py).

Written in bulk (SQLAlchemy Core, batches of rows), not through the services one object at a
time; what the services would have written is written alike, so every page renders it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from portal.bench_data import cases as bench_cases
from portal.bench_data import directory, engagement
from portal.bench_data.writer import Writer
from portal.clock import local_today, utcnow
from portal.passwords import hash_password
from portal.services.settings import get_settings

# Published with the benchmark (printed at the end of a run): bench databases only.
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - benchmark data only, never production
ATTENDANCE_PER_CASE = 50  # the statewide program: 5 million rows for 100,000 cases


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]
    signins: dict[str, str]


def generate(
    cases: int,
    attendance: int | None = None,
    users: int = 2000,
    seed: int = 1,
    years: int = 5,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Write the program (committed in batches) and answer the rows written per table."""
    rng = random.Random(seed)
    attendance = ATTENDANCE_PER_CASE * cases if attendance is None else attendance
    writer = Writer(progress)
    writer.tracked = {"cases", "attendance"}
    now, today = utcnow(), local_today()
    settings = get_settings()
    place = directory.build(writer, rng, cases, users, hash_password(BENCH_PASSWORD), now)
    writer.flush()
    ctx = bench_cases.Context(
        writer=writer,
        rng=rng,
        directory=place,
        now=now,
        today=today,
        deadline_days=settings.intake_deadline_days,
        filing_days=settings.charge_filing_days,
        eligibility=dict.fromkeys(settings.eligibility_items, True),
        exclusions=list(settings.exclusion_reasons),
        years=years,
        cum_weights=bench_cases.officer_weights(place.officer_weights),
        outcomes_rng=random.Random(f"{seed}:outcomes"),
    )
    for _ in range(cases):
        bench_cases.make_case(ctx)
        writer.checkpoint()
    writer.flush()
    rosters: list[engagement.Roster] = []
    # Oldest first, so today's places go to the participants who have held them longest.
    for spell in sorted(ctx.spells, key=lambda s: s.intake_on):
        engagement.refer_services(ctx, spell, rosters)
        writer.checkpoint()
    writer.flush()
    engagement.settle_capacity(place.services)
    engagement.record_attendance(ctx, rosters, attendance)
    _sign_ins(ctx, users=[uid for uid, _ in place.officers[:50]] + place.case_managers)
    writer.finish()
    return Summary(dict(sorted(writer.counts.items())), place.signins)


def _sign_ins(ctx: bench_cases.Context, users: list[int]) -> None:
    """A few weeks of sign-ins for the audit viewer."""
    for user_id in users:
        for days in range(0, 60, 3):
            when = ctx.now - dt.timedelta(days=days, hours=ctx.rng.randint(1, 10))
            ctx.audit(user_id, None, bench_cases.AuditAction.SIGN_IN, when, None)
