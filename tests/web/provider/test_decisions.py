"""A decision on a service referral that loses a race answers 409 beside the row, saves nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ReferralStatus, ServiceReferral, TimelineEntry
from portal.services import referrals
from portal.services.errors import Conflict
from tests.conftest import post
from tests.worlds import provider_world

LOST = "This referral was changed by someone else meanwhile. Reload and check it."


@pytest.fixture
def raced(monkeypatch):
    """The decision is written, then another request's change is found (the race is lost)."""

    def decide(real):
        def lose(referral, *args, **kwargs):
            real(referral, *args, **kwargs)
            raise Conflict(LOST)

        return lose

    for name in ("accept_service_referral", "decline_service_referral"):
        monkeypatch.setattr(referrals, name, decide(getattr(referrals, name)))


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(
    "action, data", [("accept", {}), ("decline", {"reason": "no_capacity", "note": "Full"})]
)
def test_a_lost_race_is_refused_beside_the_row(client, login_as, f, raced, action, data, htmx):
    world = provider_world(f)
    referral = world.participant(accept=False, first_name="Ada")
    entries = db.session.scalar(select(func.count()).select_from(TimelineEntry))
    login_as(world.staff)
    form = {f"decline-{referral.id}-{k}": v for k, v in data.items()}
    url = f"/provider/service-referrals/{referral.id}/{action}"
    response = post(client, url, form, page="/provider/", htmx=htmx)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert f'<p class="usa-error-message" role="alert" data-focus>{LOST}</p>' in body
    assert ("<html" in body) is not htmx
    assert "HX-Trigger" not in response.headers
    db.session.expire_all()
    assert db.session.get(ServiceReferral, referral.id).status == ReferralStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(TimelineEntry)) == entries
