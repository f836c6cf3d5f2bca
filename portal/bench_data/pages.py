"""The signed-in pages `make bench` drives, per role, with the records they show: the busiest
officer's, the largest organisation's, a case with a long history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import func, select

from portal.bench_data.directory import DOMAIN
from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    Case,
    CaseStatus,
    ReferralStatus,
    Service,
    ServiceKind,
    ServiceReferral,
    ServiceSchedule,
    User,
)
from portal.services.paging import cursor_for

HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Page:
    role: str
    name: str
    path: str
    headers: dict = field(default_factory=dict)


SIGN_INS = {
    "officer": f"officer1@{DOMAIN}",
    "provider": f"provider1@{DOMAIN}",
    "case manager": f"casemanager1@{DOMAIN}",
    "program admin": f"admin1@{DOMAIN}",
    "evaluator": f"reports1@{DOMAIN}",
}


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(f"{email} is not in the database: run `flask bench-data` first.")
    return user


def _most_attended_case(*where) -> int | None:
    """The case with the most attendance rows among the latest sessions' referrals matching
    `where` (a long history, still being written)."""
    latest = select(Attendance.service_referral_id).order_by(Attendance.id.desc()).limit(20_000)
    sample = latest.subquery()
    busiest = db.session.scalar(
        select(sample.c.service_referral_id)
        .join(ServiceReferral, ServiceReferral.id == sample.c.service_referral_id)
        .where(*where)
        .group_by(sample.c.service_referral_id)
        .order_by(func.count().desc(), sample.c.service_referral_id)
        .limit(1)
    )
    if busiest is None:
        return None
    return db.session.scalar(select(ServiceReferral.case_id).where(ServiceReferral.id == busiest))


def bench_pages() -> list[Page]:
    """Every page, with its path (in an app and request context)."""
    officer = _user(SIGN_INS["officer"])
    provider = _user(SIGN_INS["provider"])
    own_case = db.session.scalar(
        select(Case.id)
        .where(Case.officer_id == officer.id, Case.status == CaseStatus.ACTIVE)
        .order_by(Case.referred_at.desc())
        .limit(1)
    )
    accepted = ServiceReferral.status == ReferralStatus.ACCEPTED
    mine = ServiceReferral.service_id.in_(
        select(Service.id).where(Service.organization_id == provider.organization_id)
    )
    participant = _most_attended_case(accepted, mine)
    any_case = _most_attended_case(accepted)
    # The organisation's largest group, on its latest session day up to today.
    group = db.session.execute(
        select(ServiceReferral.service_id, ServiceSchedule.weekday)
        .join(ServiceSchedule, ServiceSchedule.service_id == ServiceReferral.service_id)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(accepted, mine, Service.kind == ServiceKind.SCHEDULED)
        .group_by(ServiceReferral.service_id, ServiceSchedule.weekday)
        .order_by(func.count().desc(), ServiceReferral.service_id)
        .limit(1)
    ).first()
    today = local_today()
    # Half-way down the case list (newest first), reached as the list's own "Next" links do: a
    # cursor after the middle case's sort key, never an offset.
    cases = db.session.scalar(select(func.count()).select_from(Case))
    middle = db.session.execute(
        select(Case.referred_at, Case.id)
        .order_by(Case.referred_at.desc(), Case.id.desc())
        .offset(cases // 2)
        .limit(1)
    ).first()
    deep_path = url_for("admin.case_list")
    if middle is not None:
        deep_path = url_for("admin.case_list", after=cursor_for(tuple(middle)))
    pages = [
        Page("officer", "My referrals", url_for("officer.referrals")),
        Page("officer", "a referral", url_for("officer.case_detail", case_id=own_case)),
        Page(
            "officer",
            "timeline fragment",
            url_for("officer.case_timeline", case_id=own_case),
            HTMX,
        ),
        Page("officer", "inbox", url_for("officer.inbox")),
        Page("provider", "roster", url_for("provider.roster")),
        Page("provider", "a participant", url_for("provider.participant", case_id=participant)),
        Page("provider", "sessions this week", url_for("provider.sessions")),
    ]
    if group is not None:
        service_id, weekday = group
        day = today - dt.timedelta(days=(today.weekday() - weekday) % 7)
        path = url_for("provider.session", service_id=service_id, day=day.isoformat())
        pages.append(Page("provider", "a session", path))
    pages += [
        Page("provider", "pending count fragment", url_for("provider.pending_count_label"), HTMX),
        Page("case manager", "queue", url_for("admin.queue")),
        Page("case manager", "cases, page 1", url_for("admin.case_list")),
        Page("case manager", "cases, half-way down", deep_path),
        Page("case manager", "a case", url_for("admin.case_detail", case_id=any_case)),
        Page("case manager", "matching", url_for("admin.matching_screen", case_id=any_case)),
        Page("case manager", "review queue", url_for("admin.review_queue")),
        Page("case manager", "outreach queue", url_for("admin.outreach_queue")),
        Page("case manager", "caseload", url_for("admin.caseloads")),
        Page("program admin", "users", url_for("admin.users")),
        Page("program admin", "agencies", url_for("admin.agencies")),
        Page("program admin", "organizations", url_for("admin.organizations")),
        Page("program admin", "audit", url_for("admin.audit_log")),
        # The outcomes dashboard (issue 14): the last twelve months, then broken down by race.
        Page("evaluator", "dashboard", url_for("admin.reports")),
        Page("evaluator", "dashboard by race", url_for("admin.reports", by="race")),
    ]
    return pages
