"""Demo data: FMRS's episodes. The participant in detox was admitted, discharged stepped down to
Intensive Outpatient Treatment, and the case manager confirmed it (FMRS then took them on); the
participant in crisis stabilisation is admitted now, waiting to be discharged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.clock import local_date, local_today, program_tz
from portal.demo.engagement import _dated, _service
from portal.extensions import db
from portal.models import Case, ReferralStatus, Service, ServiceReferral, User
from portal.services import episodes, referrals, step_downs

FMRS_STAFF = "staff@fmrs.example.org"
STEP_DOWN = ("FMRS", "Intensive Outpatient Treatment")
STAY_DAYS = 6  # the detox stay, admission to discharge
ADMITTED_DAYS_AGO = 2  # the crisis bed, still occupied


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=program_tz())


def _accepted(name: str) -> ServiceReferral | None:
    return db.session.scalar(
        select(ServiceReferral)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(Service.name == name, ServiceReferral.status == ReferralStatus.ACCEPTED)
        .options(joinedload(ServiceReferral.case), joinedload(ServiceReferral.service))
        .order_by(ServiceReferral.id)
    )


def _stepped_down(staff: User, admin: User) -> None:
    referral = _accepted("Detoxification")
    if referral is None:
        return
    case: Case = referral.case
    admitted = local_date(referral.decided_at)
    discharged = admitted + dt.timedelta(days=STAY_DAYS)
    confirmed = discharged + dt.timedelta(days=1)
    episode = _dated(
        case,
        _at(admitted, 11),
        lambda: episodes.admit(referral, admitted, set(), staff),
    )
    episode.admitted_at = _at(admitted, 11)
    target = _service(*STEP_DOWN)
    _dated(
        case,
        _at(discharged, 10),
        lambda: episodes.discharge(
            episode,
            episodes.Discharge(
                discharged,
                "stepped_down",
                target.id,
                "Completed withdrawal; starts the morning programme next week.",
            ),
            staff,
        ),
    )
    episode.discharged_at = referral.closed_at = _at(discharged, 10)
    created = _dated(case, _at(confirmed, 9), lambda: step_downs.confirm_step_down(episode, admin))
    created.created_at = episode.step_down_decided_at = _at(confirmed, 9)
    _dated(
        case,
        _at(confirmed, 14),
        lambda: referrals.accept_service_referral(created, staff),
    )
    created.decided_at = _at(confirmed, 14)


def _admitted_now(staff: User) -> None:
    referral = _accepted("Crisis Stabilization")
    if referral is None:
        return
    day = max(local_today() - dt.timedelta(days=ADMITTED_DAYS_AGO), local_date(referral.created_at))
    criteria = set(range(len(referral.service.admission_criteria or [])))
    episode = _dated(
        referral.case, _at(day, 16), lambda: episodes.admit(referral, day, criteria, staff)
    )
    episode.admitted_at = _at(day, 16)


def seed_episodes(users: dict[str, User], admin: User) -> None:
    """FMRS admits, discharges and steps down one participant (the case manager confirms),
    and has another admitted now."""
    staff = users[FMRS_STAFF]
    _stepped_down(staff, admin)
    _admitted_now(staff)
    db.session.flush()
