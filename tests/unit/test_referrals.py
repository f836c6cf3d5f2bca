"""Service referrals: capacity held and released, transitions, the officer's 'engaged' entry."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    CaseStatus,
    DeclineReason,
    ExitReason,
    ReferralStatus,
    ServiceReferral,
    ServiceStatus,
    TimelineEntry,
    TimelineKind,
)
from portal.services import referrals
from portal.services.errors import InvalidTransition, NotPermitted, ValidationFailed
from tests.factories import ACTIVE_HISTORY


def _kinds(case):
    """The entries written since the case became active (its history up to intake checked)."""
    kinds = list(
        db.session.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.case_id == case.id)
            .order_by(TimelineEntry.id)
        )
    )
    assert tuple(kinds[: len(ACTIVE_HISTORY)]) == ACTIVE_HISTORY
    return kinds[len(ACTIVE_HISTORY) :]


@pytest.fixture
def setup(f):
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=2, capacity_available=2)
    case = f.CaseFactory(active=True)
    staff = f.provider(organization=service.organization)
    return admin, service, case, staff


def test_assigning_reserves_a_place_and_declining_releases_it(setup):
    admin, service, case, staff = setup
    referral = referrals.assign_service(case, service, admin, note="needs detox")
    assert referral.status == ReferralStatus.PENDING
    assert service.capacity_available == 1
    referrals.decline_service_referral(referral, staff, DeclineReason.NO_CAPACITY, "full")
    assert referral.status == ReferralStatus.DECLINED
    assert service.capacity_available == 2
    assert _kinds(case) == [TimelineKind.SERVICE_REFERRED, TimelineKind.SERVICE_DECLINED]


def test_completing_and_ending_release_the_place(setup, f):
    admin, service, case, staff = setup
    first = referrals.assign_service(case, service, admin)
    other = f.CaseFactory(active=True)
    second = referrals.assign_service(other, service, admin)
    assert service.capacity_available == 0
    referrals.accept_service_referral(first, staff)
    referrals.accept_service_referral(second, staff)
    referrals.complete_service_referral(first, staff)
    assert service.capacity_available == 1
    with pytest.raises(ValidationFailed):
        referrals.end_service_referral(second, staff, "  ")
    referrals.end_service_referral(second, staff, "Stopped attending")
    assert service.capacity_available == 2
    assert second.end_reason == "Stopped attending"


def test_no_capacity_refused_and_nothing_saved(setup):
    admin, service, case, _ = setup
    service.capacity_available = 0
    db.session.flush()
    with pytest.raises(referrals.NoCapacity):
        referrals.assign_service(case, service, admin)
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 0


def test_closed_service_and_inactive_case_refused(setup, f):
    admin, service, case, _ = setup
    service.status = ServiceStatus.TEMPORARILY_CLOSED
    db.session.flush()
    with pytest.raises(referrals.NoCapacity):
        referrals.assign_service(case, service, admin)
    service.status = ServiceStatus.ACTIVE
    referred = f.CaseFactory()  # not yet screened
    with pytest.raises(InvalidTransition):
        referrals.assign_service(referred, service, admin)


def test_one_open_referral_per_service(setup):
    admin, service, case, _ = setup
    referrals.assign_service(case, service, admin)
    with pytest.raises(ValidationFailed):
        referrals.assign_service(case, service, admin)


def test_engaged_written_once_on_first_acceptance(setup, f):
    admin, service, case, staff = setup
    second_service = f.ServiceFactory(organization=service.organization)
    a = referrals.assign_service(case, service, admin)
    b = referrals.assign_service(case, second_service, admin)
    referrals.accept_service_referral(a, staff)
    referrals.accept_service_referral(b, staff)
    assert _kinds(case).count(TimelineKind.ENGAGED) == 1


def test_only_the_providers_staff_or_admin_act(setup, f):
    admin, service, case, _ = setup
    referral = referrals.assign_service(case, service, admin)
    with pytest.raises(NotPermitted):
        referrals.accept_service_referral(referral, f.provider())
    with pytest.raises(NotPermitted):
        referrals.assign_service(case, service, f.officer())
    with pytest.raises(InvalidTransition):
        referrals.complete_service_referral(referral, admin)


@pytest.mark.real_commits  # two threads, each with its own connection
def test_two_admins_taking_the_last_place_at_once(app, f):
    """Only one of two simultaneous assignments of the last place succeeds (both engines)."""
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=1, capacity_available=1)
    cases = [f.CaseFactory(active=True) for _ in range(2)]
    db.session.commit()
    ids = (admin.id, service.id, [c.id for c in cases])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def assign(case_id: int) -> None:
        from portal.models import Case, Service, User

        with app.app_context():
            actor = db.session.get(User, ids[0])
            target = db.session.get(Service, ids[1])
            case = db.session.get(Case, case_id)
            barrier.wait()
            try:
                referrals.assign_service(case, target, actor)
                db.session.commit()
                outcomes.append("ok")
            except referrals.NoCapacity:
                db.session.rollback()
                outcomes.append("full")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=assign, args=(cid,)) for cid in ids[2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["full", "ok"]
    db.session.expire_all()
    assert db.session.get(type(service), service.id).capacity_available == 0
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 1


@pytest.mark.parametrize("exit_status", [CaseStatus.COMPLETED, CaseStatus.WITHDRAWN])
def test_leaving_the_program_gives_back_every_place(setup, f, exit_status):
    from portal.clock import local_today
    from portal.services import cases

    admin, service, case, staff = setup
    other_service = f.ServiceFactory(capacity_max=3, capacity_available=3)
    accepted = referrals.assign_service(case, service, admin)
    referrals.accept_service_referral(accepted, staff)
    pending = referrals.assign_service(case, other_service, admin)
    assert (service.capacity_available, other_service.capacity_available) == (1, 2)

    reason = ExitReason.COMPLETED if exit_status == CaseStatus.COMPLETED else ExitReason.WITHDREW
    cases.close_case(case, admin, exit_status, local_today(), reason)

    assert accepted.status == ReferralStatus.ENDED
    assert pending.status == ReferralStatus.DECLINED
    assert (service.capacity_available, other_service.capacity_available) == (2, 3)
    ended = db.session.scalars(
        select(TimelineEntry).where(
            TimelineEntry.case_id == case.id,
            TimelineEntry.kind.in_([TimelineKind.SERVICE_ENDED, TimelineKind.SERVICE_DECLINED]),
        )
    ).all()
    assert {e.organization_id for e in ended} == {
        service.organization_id,
        other_service.organization_id,
    }
    assert all(e.payload["reason"] == referrals.LEFT_PROGRAM for e in ended)


def test_non_compliance_also_releases_places(setup):
    from portal.services import cases

    admin, service, case, _ = setup
    referral = referrals.assign_service(case, service, admin)
    cases.transition(case, CaseStatus.NON_COMPLIANT, None)
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decided_by_id is None
    assert service.capacity_available == 2


def test_an_inactive_providers_service_cannot_be_assigned(setup):
    admin, service, case, _ = setup
    db.session.get(type(service.organization), service.organization_id).active = False
    db.session.flush()
    with pytest.raises(referrals.ProviderInactive, match="not taking referrals"):
        referrals.assign_service(case, service, admin)
    assert service.capacity_available == 2
