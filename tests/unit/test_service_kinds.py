"""Kinds of service: drop-in holds no places and takes no referrals, an episode has no group
sessions, the directory checks the kind, and the migration gives existing services theirs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.clock import local_today
from portal.extensions import db
from portal.models import ReferralStatus, ServiceKind, ServiceReferral
from portal.services import attendance, directory, matching, referrals
from portal.services.errors import InvalidTransition, ValidationFailed
from tests.unit.test_directory import WED_1_3, _service_values


def test_a_drop_in_service_takes_no_referral_and_holds_no_place(f):
    admin = f.admin()
    clinic = f.ServiceFactory(kind=ServiceKind.DROP_IN, capacity_max=None, capacity_available=0)
    case = f.CaseFactory(active=True)
    with pytest.raises(ValidationFailed, match="drop-in service: participants walk in"):
        referrals.assign_service(case, clinic, admin)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceReferral)) == 0


def test_matching_lists_a_drop_in_as_walk_in_information(f):
    clinic = f.ServiceFactory(
        name="Clinic", kind=ServiceKind.DROP_IN, capacity_max=None, capacity_available=0
    )
    full = f.ServiceFactory(name="Full group", capacity_max=3, capacity_available=0)
    case = f.CaseFactory(active=True)
    db.session.flush()
    rows = matching.rank_services(case, matching.MatchFilters(with_capacity=True))
    ids = [m.service.id for m in rows]
    assert clinic.id in ids and full.id not in ids  # walk-in needs no free place
    assert next(m for m in rows if m.service.id == clinic.id).has_capacity


def test_a_referral_from_before_the_service_became_drop_in_is_not_accepted(f):
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=5, capacity_available=5)
    staff = f.provider(organization=service.organization)
    case = f.CaseFactory(active=True)
    referral = referrals.assign_service(case, service, admin)
    service.kind, service.capacity_max, service.capacity_available = ServiceKind.DROP_IN, None, 0
    db.session.flush()
    with pytest.raises(InvalidTransition, match="drop-in"):
        referrals.accept_service_referral(referral, staff)
    referrals.decline_service_referral(referral, staff, referrals.DeclineReason.OTHER, "walk in")
    assert referral.status == ReferralStatus.DECLINED
    assert service.capacity_available == 0  # no place given back to a service without places


def test_an_episode_has_no_group_session(f):
    service = f.ServiceFactory(name="Detox", kind=ServiceKind.EPISODE)
    staff = f.provider(organization=service.organization)
    assert not attendance.has_group_sessions(service)
    with pytest.raises(ValidationFailed, match="no group sessions"):
        attendance.record_group_session(service, local_today(), staff)
    scheduled = f.ServiceFactory(organization=service.organization)
    assert attendance.has_group_sessions(scheduled)
    assert attendance.record_group_session(scheduled, local_today(), staff) == []


def test_the_directory_keeps_the_kind_and_a_drop_in_has_no_capacity(f):
    admin = f.admin()
    org = f.OrganizationFactory()
    clinic = directory.create_service(
        admin, **_service_values(org, kind="drop_in", capacity_max=None)
    )
    assert clinic.kind == ServiceKind.DROP_IN
    assert (clinic.capacity_max, clinic.capacity_available) == (None, 0)
    for bad in ("weekly", ""):
        with pytest.raises(ValidationFailed, match="Choose the kind") as refused:
            directory.create_service(admin, **_service_values(org, name="Other", kind=bad))
        assert refused.value.field == "kind"
    values = _service_values(org, name=clinic.name, capacity_max=None)
    del values["kind"]  # not given: the service keeps its kind
    assert directory.update_service(admin, clinic, **values).kind == ServiceKind.DROP_IN


def test_a_service_with_open_referrals_does_not_become_drop_in(f):
    admin = f.admin()
    org = f.OrganizationFactory()
    service = directory.create_service(admin, **_service_values(org))
    referrals.assign_service(f.CaseFactory(active=True), service, admin)
    values = _service_values(org, kind="drop_in", capacity_max=None)
    with pytest.raises(ValidationFailed, match="before making it drop-in") as refused:
        directory.update_service(admin, service, **values)
    assert refused.value.field == "kind"
    db.session.refresh(service)
    assert service.kind == ServiceKind.SCHEDULED and service.capacity_max == 40


def test_the_schedule_rule_still_holds_for_every_kind(f):
    admin = f.admin()
    org = f.OrganizationFactory()
    episode = directory.create_service(
        admin,
        **_service_values(org, kind="episode", by_appointment=True, schedule=[], capacity_max=6),
    )
    assert episode.is_episode and episode.holds_places and episode.capacity_available == 6
    assert WED_1_3.weekday == 2
