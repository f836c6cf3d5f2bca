"""Review: double submits and races on service referrals must not move capacity twice."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    DeclineReason,
    Service,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
    User,
)
from portal.services import referrals
from portal.services.errors import DomainError


def _race(app, work, n=2):
    """Run `work(index)` in n threads, each in its own app context, released together."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def run(index):
        with app.app_context():
            try:
                work(index, barrier)
                db.session.commit()
                outcomes.append("ok")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # a stale-data/serialisation error is a fine refusal too
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    return outcomes


def test_double_decline_releases_the_place_once(app, f):
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=2, capacity_available=2)
    staff = f.provider(organization=service.organization)
    one = referrals.assign_service(f.CaseFactory(status=CaseStatus.ACTIVE), service, admin)
    referrals.assign_service(f.CaseFactory(status=CaseStatus.ACTIVE), service, admin)
    db.session.commit()
    ids = (staff.id, one.id)

    def decline(_index, barrier):
        actor = db.session.get(User, ids[0])
        referral = db.session.get(ServiceReferral, ids[1])
        barrier.wait()
        referrals.decline_service_referral(referral, actor, DeclineReason.OTHER, "double tap")

    outcomes = _race(app, decline)
    # One referral is still pending, so exactly one place may be free.
    assert db.session.get(Service, service.id).capacity_available == 1, outcomes
    declined = db.session.scalar(
        select(func.count())
        .select_from(TimelineEntry)
        .where(TimelineEntry.kind == TimelineKind.SERVICE_DECLINED)
    )
    assert declined == 1, outcomes


def test_double_assign_creates_one_referral(app, f):
    """A double click on Assign (or two admins) must not hold two places for one person."""
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=5, capacity_available=5)
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    db.session.commit()
    ids = (admin.id, service.id, case.id)

    def assign(_index, barrier):
        actor = db.session.get(User, ids[0])
        target = db.session.get(Service, ids[1])
        the_case = db.session.get(Case, ids[2])
        barrier.wait()
        referrals.assign_service(the_case, target, actor)

    outcomes = _race(app, assign)
    held = db.session.scalar(
        select(func.count()).select_from(ServiceReferral).where(ServiceReferral.case_id == case.id)
    )
    assert held == 1, outcomes
    assert db.session.get(Service, service.id).capacity_available == 4, outcomes
