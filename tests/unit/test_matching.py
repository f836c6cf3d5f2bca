"""Matching: services ranked against the latest assessment, eligibility, capacity, schedule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    CaseStatus,
    ServiceCategory,
    ServiceReferral,
    ServiceSchedule,
    ServiceStatus,
)
from portal.services import matching
from portal.services.errors import ValidationFailed
from tests.unit.test_assessments import assess


@pytest.fixture
def directory(f):
    """A small directory like Fayette County's, and an active participant aged about 36."""
    fmrs = f.OrganizationFactory(name="FMRS")
    health = f.OrganizationFactory(name="Health Department")
    action = f.OrganizationFactory(name="Community Action")
    services = {
        "detox": f.ServiceFactory(
            organization=fmrs, name="Detoxification", category=ServiceCategory.DETOX, min_age=18
        ),
        "crisis": f.ServiceFactory(
            organization=fmrs, name="Crisis Stabilization", category=ServiceCategory.CRISIS
        ),
        "harm": f.ServiceFactory(
            organization=health,
            name="Harm Reduction Clinic",
            category=ServiceCategory.HARM_REDUCTION,
        ),
        "housing": f.ServiceFactory(
            organization=action, name="Housing Assistance", category=ServiceCategory.HOUSING
        ),
        "benefits": f.ServiceFactory(
            organization=action, name="Benefits", category=ServiceCategory.BENEFITS
        ),
        "youth": f.ServiceFactory(
            organization=action, name="Youth Housing", category=ServiceCategory.HOUSING, max_age=24
        ),
    }
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    return case, services, f.admin()


def names(matches):
    return [m.service.name for m in matches]


def test_high_housing_need_puts_housing_first_and_ineligible_last(directory):
    case, s, admin = directory
    assess(case, admin, housing="high", substance_use="moderate", income_benefits="low")
    ranked = matching.rank_services(case)
    assert names(ranked)[0] == "Housing Assistance"
    assert names(ranked)[-1] == "Youth Housing"  # a housing service, but the person is 36
    youth = ranked[-1]
    assert not youth.eligible
    assert "Not eligible by age" in youth.eligibility_note
    housing = ranked[0]
    assert housing.meets[0][0].value == "housing"
    assert housing.reasons == ["High housing need"]
    # Harm reduction meets the moderate substance-use need, before the low income need.
    assert names(ranked).index("Harm Reduction Clinic") < names(ranked).index("Benefits")


def test_detox_needed_puts_detox_first(directory):
    case, s, admin = directory
    assess(case, admin, detox=True, housing="high", substance_use="high")
    ranked = matching.rank_services(case)
    assert names(ranked)[:2] == ["Detoxification", "Crisis Stabilization"]
    assert ranked[0].reasons[0] == "Detox needed"


def test_without_detox_needed_detox_ranks_below_harm_reduction(directory):
    case, s, admin = directory
    assess(case, admin, substance_use="high")
    order = names(matching.rank_services(case))
    assert order.index("Harm Reduction Clinic") < order.index("Detoxification")


def test_the_latest_assessment_drives_matching(directory):
    case, s, admin = directory
    case.referred_at -= dt.timedelta(days=10)
    assess(case, admin, on=local_today() - dt.timedelta(days=7), housing="high")
    assert names(matching.rank_services(case))[0] == "Housing Assistance"
    assess(case, admin, on=local_today(), substance_use="high", housing="none")
    assert names(matching.rank_services(case))[0] == "Harm Reduction Clinic"


def test_filters_and_only_active_services(directory, f):
    case, s, admin = directory
    s["benefits"].capacity_available = 0
    s["crisis"].status = ServiceStatus.TEMPORARILY_CLOSED
    db.session.flush()
    every = names(matching.rank_services(case))
    assert "Crisis Stabilization" not in every
    assert "Benefits" in every
    by_category = matching.rank_services(
        case, matching.MatchFilters(category=ServiceCategory.HOUSING)
    )
    assert set(names(by_category)) == {"Housing Assistance", "Youth Housing"}
    by_org = matching.rank_services(
        case, matching.MatchFilters(organization_id=s["detox"].organization_id)
    )
    assert names(by_org) == ["Detoxification"]
    with_room = names(matching.rank_services(case, matching.MatchFilters(with_capacity=True)))
    assert "Benefits" not in with_room and "Housing Assistance" in with_room


def test_open_referral_shown_as_assigned(directory):
    case, s, admin = directory
    matching.assign_matched(case, s["harm"], admin)
    row = matching.match_for(case, s["harm"].id)
    assert row.assigned and row.referral_status.value == "pending"
    assert row.service.capacity_available == 9


def test_assigning_an_ineligible_service_refused(directory):
    case, s, admin = directory
    with pytest.raises(ValidationFailed, match="not eligible"):
        matching.assign_matched(case, s["youth"], admin)
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 0


def test_next_session_from_weekly_schedules():
    tz = ZoneInfo("America/New_York")
    wednesday = ServiceSchedule(weekday=2, opens_at=dt.time(13), closes_at=dt.time(15))
    monday = ServiceSchedule(weekday=0, opens_at=dt.time(18), closes_at=dt.time(19, 30))
    # Wednesday 2026-12-02 at noon: today's session is next.
    noon = dt.datetime(2026, 12, 2, 12, 0, tzinfo=tz)
    nxt = matching.next_session([monday, wednesday], noon)
    assert nxt.starts == dt.datetime(2026, 12, 2, 13, 0, tzinfo=tz)
    # During the session it is still the one shown; after it, next Monday's.
    assert matching.next_session([wednesday], noon.replace(hour=14)).starts.day == 2
    late = noon.replace(hour=16)
    assert matching.next_session([monday, wednesday], late).starts == dt.datetime(
        2026, 12, 7, 18, 0, tzinfo=tz
    )
    assert matching.next_session([wednesday], late).starts.day == 9
    assert matching.next_session([], late) is None
    assert nxt.label == "Wed Dec 2, 1:00 PM-3:00 PM"


def test_age_rules():
    assert matching.age_on(dt.date(2000, 6, 15), dt.date(2018, 6, 14)) == 17
    assert matching.age_on(dt.date(2000, 6, 15), dt.date(2018, 6, 15)) == 18
