"""Demo data for the active participants: assessments, contacts and service referrals.

Built through the same services users call, then moved back in time consistently.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    AttemptMethod,
    Case,
    ContactKind,
    NeedDomain,
    NeedLevel,
    Organization,
    Service,
    ServiceReferral,
    TimelineEntry,
    User,
)
from portal.services import assessments, contact_attempts, referrals

NONE, LOW, MOD, HIGH = NeedLevel.NONE, NeedLevel.LOW, NeedLevel.MODERATE, NeedLevel.HIGH

# For each active participant (oldest referral first): the assessment, contacts and services.
# services: (organisation, service, provider staff who accepts it or None to leave it pending,
# why the case manager referred the person: the provider reads it in the referral packet)
PLANS = [
    {
        "substances": "Heroin, fentanyl",
        "detox": False,
        "needs": {
            NeedDomain.SUBSTANCE_USE: (MOD, "Using daily; wants to cut down before treatment."),
            NeedDomain.HOUSING: (
                HIGH,
                "Sleeping in a car since March; on the waiting list nowhere.",
            ),
            NeedDomain.INCOME: (MOD, "No income; SNAP lapsed."),
            NeedDomain.MEDICAL: (LOW, "Abscess on left arm, healing."),
        },
        "contacts": [
            (1, ContactKind.IN_PERSON, "Intake follow-up at the office."),
            (8, ContactKind.OUTREACH_ATTEMPT, "Not at the usual spot; left a card."),
            (12, ContactKind.PHONE, "Confirmed the housing appointment."),
        ],
        "services": [
            (
                "Fayette Community Action",
                "Housing Assistance",
                None,
                "Sleeping in a car since March; asked for help with a place before winter.",
            )
        ],
    },
    {
        "substances": "Opioids (pills), alcohol",
        "detox": True,
        "needs": {
            NeedDomain.SUBSTANCE_USE: (HIGH, "Withdrawing; asked for detox at the hand-off."),
            NeedDomain.MENTAL_HEALTH: (MOD, "Reports anxiety and poor sleep."),
            NeedDomain.HOUSING: (LOW, "Staying with a sister."),
            NeedDomain.FAMILY: (MOD, "Wants to restore contact with two children."),
        },
        "contacts": [
            (0, ContactKind.IN_PERSON, "Assessment at intake; detox bed requested."),
            (3, ContactKind.PHONE, "Checked in during detox."),
        ],
        "services": [
            (
                "FMRS",
                "Detoxification",
                "staff@fmrs.example.org",
                "Asked for detox at the hand-off; wants to start treatment afterwards.",
            ),
        ],
    },
    {
        "substances": "Methamphetamine, alcohol",
        "detox": True,
        "needs": {
            NeedDomain.SUBSTANCE_USE: (
                HIGH,
                "Daily use, drinking heavily; interested in a peer group after a crisis bed.",
            ),
            NeedDomain.EMPLOYMENT: (MOD, "Lost a construction job in the spring."),
            NeedDomain.LEGAL: (LOW, "Unpaid fines in magistrate court."),
        },
        "contacts": [
            (2, ContactKind.IN_PERSON, "Met at the library; went over the service plan."),
            (10, ContactKind.PHONE, "Attending the Monday group."),
        ],
        "services": [
            (
                "Fayette Recovery Community",
                "Peer Recovery Support Group",
                "staff@recovery.example.org",
                "Wants a peer group; free on Monday evenings.",
            ),
            (
                "FMRS",
                "Outpatient Counselling",
                None,
                "Agreed to counselling alongside the group; works days, so evenings suit.",
            ),
            (
                "FMRS",
                "Crisis Stabilization",
                "staff@fmrs.example.org",
                "Withdrawing from alcohol; committed to long-term treatment after.",
            ),
        ],
    },
]


def _last_entry_id(case: Case) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(TimelineEntry.id), 0)).where(TimelineEntry.case_id == case.id)
    )


def _dated(case: Case, when: dt.datetime, action):
    """Run a service call, then date the timeline entries it wrote at `when`."""
    marker = _last_entry_id(case)
    result = action()
    db.session.flush()
    for entry in db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.case_id == case.id, TimelineEntry.id > marker)
    ):
        entry.created_at = when
    return result


def _service(organization: str, name: str) -> Service:
    return db.session.scalar(
        select(Service)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Organization.name == organization, Service.name == name)
    )


def engage(active_cases: list[Case], admin: User, users: dict[str, User]) -> None:
    """Assess, contact and refer the demo's active participants (oldest case first)."""
    for case, plan in zip(active_cases, PLANS, strict=False):
        start = dt.datetime.combine(case.intake_completed_on, dt.time(15, 0), tzinfo=dt.UTC)
        needs = {d: plan["needs"].get(d, (NONE, "")) for d in NeedDomain}
        _dated(
            case,
            start,
            lambda case=case, plan=plan, needs=needs: assessments.record_assessment(
                case, admin, case.intake_completed_on, plan["substances"], plan["detox"], needs
            ),
        )
        for days, kind, note in plan["contacts"]:
            day = case.intake_completed_on + dt.timedelta(days=days)
            _dated(
                case,
                start + dt.timedelta(days=days, hours=1),
                lambda case=case, day=day, kind=kind, note=note: assessments.record_contact(
                    case, admin, day, kind, note
                ),
            )
        for step, (organization, name, accepter, why) in enumerate(plan["services"]):
            service = _service(organization, name)
            when = start + dt.timedelta(days=1, hours=step)
            referral: ServiceReferral = _dated(
                case,
                when,
                lambda case=case, service=service, why=why: referrals.assign_service(
                    case, service, admin, why
                ),
            )
            referral.created_at = when
            if accepter:
                accepted_at = when + dt.timedelta(days=1)
                _dated(
                    case,
                    accepted_at,
                    lambda referral=referral, accepter=accepter: referrals.accept_service_referral(
                        referral, users[accepter]
                    ),
                )
                referral.decided_at = accepted_at
    if active_cases:
        _unreachable(active_cases[0], admin, users["staff@fmrs.example.org"])
    db.session.flush()


# The referral FMRS could not reach: (days ago, how, what happened) of each attempt.
ATTEMPTS = [
    (9, AttemptMethod.PHONE, "No answer; the voicemail is full."),
    (6, AttemptMethod.TEXT, "Texted the evening counselling times; no reply."),
]


def _unreachable(case: Case, admin: User, staff: User) -> None:
    """A counselling referral FMRS accepted, tried twice to reach the person about, and closed
    as "could not reach the person": the case manager sees the attempts and the outcome."""
    now = utcnow()
    today = local_today()
    service = _service("FMRS", "Outpatient Counselling")
    referred_at = now - dt.timedelta(days=12)
    referral: ServiceReferral = _dated(
        case,
        referred_at,
        lambda: referrals.assign_service(
            case, service, admin, "Asked for counselling after the housing appointment."
        ),
    )
    referral.created_at = referred_at
    accepted_at = now - dt.timedelta(days=11)
    _dated(case, accepted_at, lambda: referrals.accept_service_referral(referral, staff))
    referral.decided_at = accepted_at
    for days, method, note in ATTEMPTS:
        _dated(
            case,
            now - dt.timedelta(days=days),
            lambda days=days, method=method, note=note: contact_attempts.record_attempt(
                referral, staff, today - dt.timedelta(days=days), method.value, note
            ),
        )
    closed_at = now - dt.timedelta(days=5)
    _dated(case, closed_at, lambda: referrals.close_unreachable(referral, staff))
    referral.closed_at = closed_at
