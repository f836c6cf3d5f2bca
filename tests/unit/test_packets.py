"""The packet's rules on their own: which needs a service's provider reads, which consent
names the provider, which referrals have a packet."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.clock import local_today, utcnow
from portal.models import (
    Assessment,
    AssessmentNeed,
    Consent,
    NeedDomain,
    NeedLevel,
    ReferralStatus,
    ServiceCategory,
    ServiceReferral,
)
from portal.services.packets import PACKET_DOMAINS, has_packet, names_provider, relevant_needs


def test_every_category_has_its_need_domains():
    assert set(PACKET_DOMAINS) == set(ServiceCategory)
    assert PACKET_DOMAINS[ServiceCategory.CRISIS] == (
        NeedDomain.SUBSTANCE_USE,
        NeedDomain.MENTAL_HEALTH,
    )
    assert PACKET_DOMAINS[ServiceCategory.HOUSING] == (NeedDomain.HOUSING,)


def test_relevant_needs_keep_the_services_domains_and_drop_none(app):
    levels = {
        NeedDomain.MENTAL_HEALTH: NeedLevel.LOW,
        NeedDomain.SUBSTANCE_USE: NeedLevel.HIGH,
        NeedDomain.HOUSING: NeedLevel.HIGH,
        NeedDomain.MEDICAL: NeedLevel.NONE,
    }
    assessment = Assessment(needs=[AssessmentNeed(domain=d, level=v) for d, v in levels.items()])
    found = relevant_needs(assessment, ServiceCategory.COUNSELLING)
    assert [n.domain for n in found] == [NeedDomain.SUBSTANCE_USE, NeedDomain.MENTAL_HEALTH]
    assert relevant_needs(assessment, ServiceCategory.MEDICAL) == []
    assert relevant_needs(None, ServiceCategory.DETOX) == []


def _consent(**kw) -> Consent:
    values = {"legacy": False, "signed_on": local_today(), "provider_ids": [7]}
    return Consent(**{**values, **kw})


def test_a_consent_names_the_provider_only_while_in_force(app):
    assert names_provider(_consent(), 7)
    assert names_provider(_consent(provider_ids=["7"]), 7)  # however the list was stored
    assert not names_provider(_consent(provider_ids=[8]), 7)
    assert not names_provider(_consent(provider_ids=[]), 7)
    assert not names_provider(_consent(revoked_on=local_today()), 7)
    assert not names_provider(_consent(expires_on=local_today() - dt.timedelta(days=1)), 7)
    assert not names_provider(_consent(legacy=True), 7)


@pytest.mark.parametrize(
    ("status", "closed_days_ago", "shown"),
    [
        (ReferralStatus.PENDING, None, True),
        (ReferralStatus.ACCEPTED, None, True),
        (ReferralStatus.DECLINED, None, False),
        (ReferralStatus.ENDED, 5, True),
        (ReferralStatus.COMPLETED, 29, True),
        (ReferralStatus.COMPLETED, 45, False),
    ],
)
def test_open_and_recently_closed_referrals_have_a_packet(app, status, closed_days_ago, shown):
    closed_at = utcnow() - dt.timedelta(days=closed_days_ago) if closed_days_ago else None
    assert has_packet(ServiceReferral(status=status, closed_at=closed_at)) is shown
