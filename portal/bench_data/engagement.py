"""Benchmark data: enrolled participants' service referrals (places within each service's
capacity) and their attendance, on the service's session days while the referral was accepted.

Attendance is the bulk of the data: each referral's sessions are counted first, then each is
kept with the probability that brings the total near the number asked for. Only the last few
sessions of a referral carry their timeline entry, as if the earlier ones were imported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update

from portal.bench_data.cases import Context, Spell
from portal.bench_data.directory import ServiceInfo
from portal.extensions import db
from portal.models import (
    AttendanceStatus,
    CaseStatus,
    DeclineReason,
    DischargeOutcome,
    ReferralStatus,
    Service,
    TimelineKind,
)
from portal.services.referrals import LEFT_PROGRAM

STATUSES = list(AttendanceStatus)
WEIGHTS = [14, 3, 2, 1]  # attended, missed, excused, cancelled
LOGGED_SESSIONS = 3


@dataclass
class Roster:
    """An accepted referral's time on the service's roster, for its attendance."""

    referral_id: int
    case_id: int
    service: ServiceInfo
    first: dt.date
    last: dt.date
    staff_id: int

    def session_days(self) -> list[dt.date]:
        days = self.service.weekdays or (self.referral_id % 5,)  # appointments: one a week
        start = self.first
        found = []
        for weekday in days:
            day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
            while day <= self.last:
                found.append(day)
                day += dt.timedelta(weeks=1)
        return sorted(found)

    def session_count(self) -> int:
        weeks = max(0, (self.last - self.first).days + 1) / 7
        return int(weeks * len(self.service.weekdays or (0,))) + 1


def refer_services(ctx: Context, spell: Spell, rosters: list[Roster]) -> None:
    """One to three service referrals in the participant's time in the program."""
    rng = ctx.rng
    services = ctx.directory.services
    engaged = False
    chosen: set[int] = set()
    active = spell.status == CaseStatus.ACTIVE
    for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
        created_on = spell.intake_on + dt.timedelta(days=rng.randint(1, 14))
        if created_on > spell.end_on or created_on > ctx.today:
            break
        service = rng.choice(services)
        decide_on = created_on + dt.timedelta(days=rng.randint(1, 3))
        if active and service.open_places >= service.capacity:
            # Full: another service with a free place, or a decline for lack of capacity.
            free = [
                s for s in rng.sample(services, min(8, len(services))) if s.open_places < s.capacity
            ]
            service = free[0] if free else service
        if service.id in chosen:
            continue
        chosen.add(service.id)
        engaged = _referral(ctx, spell, service, created_on, decide_on, engaged, rosters)


def _referral(ctx, spell, service, created_on, decide_on, engaged, rosters) -> bool:
    rng, w = ctx.rng, ctx.writer
    active = spell.status == CaseStatus.ACTIVE
    if active and service.open_places >= service.capacity:
        return engaged  # no place to reserve: the office refers elsewhere or waits
    cm = rng.choice(ctx.directory.case_managers)
    staff = rng.choice(ctx.directory.staff_by_org[service.organization_id])
    referral_id = w.new_id("service_referrals")
    created_at = ctx.at(created_on, 10, rng.randint(0, 59))
    row = {
        "id": referral_id,
        "case_id": spell.case_id,
        "service_id": service.id,
        "status": ReferralStatus.PENDING,
        "decline_reason": None,
        "end_reason": None,
        "note": "",
        "created_by_id": cm,
        "created_at": created_at,
        "decided_by_id": None,
        "decided_at": None,
        "closed_at": None,
    }
    base = {
        "service_name": service.name,
        "organization_name": service.organization_name,
        "referral_id": referral_id,
    }
    org = service.organization_id
    ctx.entry(spell.case_id, TimelineKind.SERVICE_REFERRED, cm, created_at, base, org)
    exit_at = ctx.at(spell.end_on, 16)
    if decide_on > ctx.today or (not active and decide_on >= spell.end_on):
        if active:  # still waiting for the provider: it holds a place
            service.open_places += 1
            w.add("service_referrals", row)
            return engaged
        # The participant left first: declined at the exit.
        row.update(status=ReferralStatus.DECLINED, decline_reason=DeclineReason.OTHER)
        row.update(decided_at=exit_at, closed_at=None)
        payload = {**base, "reason": LEFT_PROGRAM}
        ctx.entry(spell.case_id, TimelineKind.SERVICE_DECLINED, cm, exit_at, payload, org)
        w.add("service_referrals", row)
        return engaged
    decided_at = ctx.at(decide_on, 11, rng.randint(0, 59))
    if rng.random() < 0.08:
        reason = rng.choice(list(DeclineReason)[:3])
        row.update(status=ReferralStatus.DECLINED, decline_reason=reason)
        row.update(decided_by_id=staff, decided_at=decided_at)
        payload = {**base, "reason": reason.label}
        ctx.entry(spell.case_id, TimelineKind.SERVICE_DECLINED, staff, decided_at, payload, org)
        w.add("service_referrals", row)
        return engaged
    row.update(status=ReferralStatus.ACCEPTED, decided_by_id=staff, decided_at=decided_at)
    ctx.entry(spell.case_id, TimelineKind.SERVICE_ACCEPTED, staff, decided_at, base, org)
    if not engaged:
        entry_id = ctx.entry(spell.case_id, TimelineKind.ENGAGED, staff, decided_at)
        if spell.told_status:
            ctx.notify(spell.officer_id, spell.case_id, entry_id, TimelineKind.ENGAGED, decided_at)
    ends_on = None
    if service.episode:  # a stay: discharged days later
        ends_on = decide_on + dt.timedelta(days=rng.randint(*service.episode))
    elif rng.random() < 0.15:
        ends_on = decide_on + dt.timedelta(days=rng.randint(42, 180))
    if ends_on is not None and ends_on < spell.end_on and ends_on < ctx.today:
        closed_at = ctx.at(ends_on, 15)
        row.update(status=ReferralStatus.COMPLETED, closed_at=closed_at)
        ctx.entry(spell.case_id, TimelineKind.SERVICE_COMPLETED, staff, closed_at, base, org)
        last = ends_on - dt.timedelta(days=1)
    elif not active:  # open at the exit: ended with the case
        row.update(status=ReferralStatus.ENDED, end_reason=LEFT_PROGRAM, closed_at=exit_at)
        payload = {**base, "reason": LEFT_PROGRAM}
        ctx.entry(spell.case_id, TimelineKind.SERVICE_ENDED, cm, exit_at, payload, org)
        last = spell.end_on - dt.timedelta(days=1)
    else:
        service.open_places += 1
        last = ctx.today - dt.timedelta(days=1)
    w.add("service_referrals", row)
    if service.episode:
        _episode(ctx, spell, row, base, org, decide_on, ends_on, staff)
    if not service.episode and last > decide_on:
        first = decide_on + dt.timedelta(days=1)
        rosters.append(Roster(referral_id, spell.case_id, service, first, last, staff))
    return True


def _episode(ctx, spell, referral: dict, base: dict, org, admitted_on, ends_on, staff) -> None:
    """An episode service's stay: admitted the day it was accepted; discharged (completed) the
    day its referral was, if it was (a stay ended with the case stays undischarged, as the
    portal leaves it)."""
    completed = referral["status"] == ReferralStatus.COMPLETED
    discharged_on = ends_on if completed else None
    admitted_at = ctx.at(admitted_on, 12)
    discharged_at = ctx.at(discharged_on, 15) if completed else None
    ctx.writer.add(
        "episodes",
        {
            "id": ctx.writer.new_id("episodes"),
            "service_referral_id": referral["id"],
            "admitted_on": admitted_on,
            "admitted_by_id": staff,
            "admitted_at": admitted_at,
            "criteria_answers": [],
            "discharged_on": discharged_on,
            "discharged_by_id": staff if completed else None,
            "discharged_at": discharged_at,
            "outcome": DischargeOutcome.COMPLETED if completed else None,
            "note": "",
            "step_down_service_id": None,
            "step_down_state": None,
            "step_down_referral_id": None,
            "step_down_reason": None,
            "step_down_decided_by_id": None,
            "step_down_decided_at": None,
            "version": 1,
        },
    )
    payload = {**base, "admitted_on": admitted_on.isoformat()}
    ctx.entry(spell.case_id, TimelineKind.EPISODE_ADMITTED, staff, admitted_at, payload, org)
    if completed:
        payload = {
            **base,
            "discharged_on": discharged_on.isoformat(),
            "outcome": DischargeOutcome.COMPLETED.label,
        }
        ctx.entry(
            spell.case_id, TimelineKind.EPISODE_DISCHARGED, staff, discharged_at, payload, org
        )


def record_attendance(ctx: Context, rosters: list[Roster], target: int) -> int:
    """About `target` attendance rows over the rosters' sessions; returns how many."""
    total = sum(r.session_count() for r in rosters)
    keep = min(1.0, target / total) if total else 0.0
    rng, w = ctx.rng, ctx.writer
    written = 0
    for roster in rosters:
        days = [d for d in roster.session_days() if rng.random() < keep]
        for n, day in enumerate(days):
            status = rng.choices(STATUSES, WEIGHTS)[0]
            recorded_at = ctx.at(day, 19, rng.randint(0, 59))
            attendance_id = w.new_id("attendance")
            w.add(
                "attendance",
                {
                    "id": attendance_id,
                    "service_referral_id": roster.referral_id,
                    "session_date": day,
                    "status": status,
                    "recorded_by_id": roster.staff_id,
                    "recorded_at": recorded_at,
                    "version": 1,
                },
            )
            if n >= len(days) - LOGGED_SESSIONS:
                payload = {
                    "service_name": roster.service.name,
                    "session_date": day.isoformat(),
                    "status": status.value,
                    "referral_id": roster.referral_id,
                }
                ctx.entry(
                    roster.case_id,
                    TimelineKind.ATTENDANCE_RECORDED,
                    roster.staff_id,
                    recorded_at,
                    payload,
                    roster.service.organization_id,
                )
        written += len(days)
        w.checkpoint()
    return written


def settle_capacity(services: list[ServiceInfo]) -> None:
    """Each service's free places: its capacity less the places open referrals hold."""
    for service in services:
        db.session.execute(
            update(Service)
            .where(Service.id == service.id)
            .values(capacity_available=max(0, service.capacity - service.open_places))
        )
