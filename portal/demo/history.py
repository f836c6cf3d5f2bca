"""The program's first year, for the outcomes dashboard: four referrals a month from 19 to 7 months
ago, all closed now (declined at screening, completed or withdrawn), through the services users
call and dated as they happened. Their outcomes (arrests before and after, monthly status while
enrolled, demographics) come from `outcomes`. Closed, they add nothing to anyone's work queues.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from portal.clock import local_instant, local_today
from portal.demo.clock import backdate
from portal.extensions import db
from portal.models import (
    Case,
    ExitReason,
    Notification,
    OutboxEmail,
    OutboxStatus,
    ReferralType,
    User,
)
from portal.services import cases
from portal.services.settings import get_settings

FIRST = ["Avery", "Blake", "Cody", "Dale", "Eli", "Faye", "Gale", "Hank", "Iris", "Jade",
         "Kurt", "Lena", "Milo", "Nora", "Otis", "Pia", "Reed", "Sage", "Tess", "Vern", "Wade",
         "Zora"]  # fmt: skip
LAST = ["Ashby", "Breck", "Combs", "Dotson", "Estep", "Frye", "Greer", "Hatfield", "Isner",
        "Jarrett", "Kessler", "Lusk", "Meador", "Nutter", "Osborne", "Pauley", "Quesenberry",
        "Rhodes", "Shrewsbury", "Toney", "Underwood", "Vance"]  # fmt: skip
MONTHS = range(19, 6, -1)  # referred this many months ago
PER_MONTH = 4


def seed_history(officers: list[User], admin: User, rng_seed: int = 23) -> list[Case]:
    """The first year's referrals, each closed; returns them."""
    rng = random.Random(rng_seed)
    settings = get_settings()
    today = local_today()
    made: list[Case] = []
    n = 0
    for months_ago in MONTHS:
        for _ in range(PER_MONTH):
            n += 1
            day = today - dt.timedelta(days=months_ago * 30 + rng.randint(0, 27))
            referred_at = local_instant(day, dt.time(rng.randint(8, 20), rng.randint(0, 59)))
            dob = dt.date(1965 + rng.randint(0, 38), rng.randint(1, 12), rng.randint(1, 28))
            data = cases.ReferralData(
                first_name=FIRST[n % len(FIRST)],
                last_name=LAST[(n * 7) % len(LAST)],
                dob=dob,
                referral_type=rng.choice([ReferralType.ARREST, ReferralType.SOCIAL]),
                incident_number=f"{day:%Y}-{rng.randint(10000, 99999)}",
                offences="Possession of a controlled substance",
                statutes="KRS 218A.1415",
                occurred_at=referred_at - dt.timedelta(minutes=40),
                location="Main Street, Oak Hill",
                eligibility=dict.fromkeys(settings.eligibility_items, True),
                notes="",
            )
            case = cases.refer_person(rng.choice(officers), data)
            case.referred_at = referred_at  # before the steps, which check their dates by it
            steps = [1]
            if rng.random() < 0.2:
                cases.decline_referral(case, admin, settings.exclusion_reasons[0], "")
                backdate(case, referred_at, steps, settings.intake_deadline_days)
                made.append(case)
                continue
            cases.accept_referral(case, admin)
            intake = rng.randint(2, 20)
            cases.complete_intake(case, admin, day + dt.timedelta(days=intake))
            steps.append(intake)
            stay = rng.randint(60, 200)
            closed = min(day + dt.timedelta(days=intake + stay), today - dt.timedelta(days=2))
            reason = rng.choice(
                [ExitReason.COMPLETED] * 3 + [ExitReason.WITHDREW, ExitReason.MOVED_AWAY]
            )
            cases.close_case(case, admin, reason.status, closed, reason, "")
            steps.append((closed - day).days)
            backdate(case, referred_at, steps, settings.intake_deadline_days)
            made.append(case)
    _sent(made)
    return made


def _sent(made: list[Case]) -> None:
    """The officers heard of these long ago: their e-mails count as sent."""
    ids = [c.id for c in made]
    db.session.flush()
    for email in db.session.scalars(
        select(OutboxEmail)
        .join(Notification, Notification.id == OutboxEmail.notification_id)
        .where(Notification.case_id.in_(ids))
    ):
        email.status = OutboxStatus.SENT
