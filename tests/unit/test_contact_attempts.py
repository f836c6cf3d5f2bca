"""Attempts to reach a referred participant, and closing a referral as could not reach: the
provider's own pending or accepted referrals only, dates from the referral to today, at least
one attempt first; never an officer's to see."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Case,
    ContactAttempt,
    DeclineReason,
    Notification,
    ReferralStatus,
    TimelineEntry,
    TimelineKind,
)
from portal.policy import officer_kinds, timeline_scope
from portal.services import contact_attempts, referrals
from portal.services.errors import InvalidTransition, NotPermitted, ValidationFailed
from portal.services.timeline import get_timeline
from tests.worlds import provider_world


@pytest.fixture
def world(f):
    return provider_world(f)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _try(referral, actor, day=None, method="phone", note=""):
    return contact_attempts.record_attempt(referral, actor, day or local_today(), method, note)


def test_an_attempt_writes_an_organisation_scoped_entry_no_officer_sees(world, f):
    referral = world.participant()
    case = db.session.get(Case, referral.case_id)
    f.ConsentFactory(case=case, discloses_attendance=True, discloses_outcome=True)
    attempt = _try(referral, world.staff, note="  Voicemail full  ")
    assert (attempt.method.value, attempt.note) == ("phone", "Voicemail full")
    entry = db.session.scalar(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.REACH_ATTEMPTED)
    )
    assert entry.organization_id == world.service.organization_id
    assert entry.payload["note"] == "Voicemail full"
    assert _count(Notification) == 0
    db.session.flush()
    db.session.refresh(case, ["consents"])
    assert TimelineKind.REACH_ATTEMPTED not in officer_kinds(case.officer, case)
    officer_sees = {e.kind for e in get_timeline(case, case.officer).entries}
    assert TimelineKind.REACH_ATTEMPTED not in officer_sees
    assert TimelineKind.ENGAGED in officer_sees  # the officer does see the status
    # The SQL form of the rule (the officer's lists, the inbox) agrees.
    seen_by_sql = db.session.scalars(
        select(TimelineEntry.kind).where(
            TimelineEntry.case_id == case.id, timeline_scope(case.officer)
        )
    ).all()
    assert TimelineKind.REACH_ATTEMPTED not in seen_by_sql
    # The organisation and the office see it; another organisation does not.
    assert TimelineKind.REACH_ATTEMPTED in {e.kind for e in get_timeline(case, world.staff).entries}
    assert TimelineKind.REACH_ATTEMPTED in {e.kind for e in get_timeline(case, world.admin).entries}
    others = {e.kind for e in get_timeline(case, world.other_staff).entries}
    assert TimelineKind.REACH_ATTEMPTED not in others


def test_only_the_services_own_staff_record_attempts_or_close(world):
    referral = world.participant()
    for actor in (world.other_staff, world.admin):
        with pytest.raises(NotPermitted):
            _try(referral, actor)
    _try(referral, world.staff)
    for actor in (world.other_staff, world.admin):
        with pytest.raises(NotPermitted):
            referrals.close_unreachable(referral, actor)
    assert referral.status == ReferralStatus.ACCEPTED


@pytest.mark.parametrize("trait", ["declined", "completed", "ended"])
def test_a_closed_referral_takes_no_attempt_and_cannot_be_closed_again(world, f, trait):
    referral = f.ServiceReferralFactory(
        service=world.service, created_by=world.admin, decided_by=world.staff, **{trait: True}
    )
    with pytest.raises(InvalidTransition, match="pending or accepted referral only"):
        _try(referral, world.staff)
    with pytest.raises(InvalidTransition, match="only a pending or accepted one"):
        referrals.close_unreachable(referral, world.staff)
    assert _count(ContactAttempt) == 0


def test_dates_run_from_the_referral_to_today(world):
    referral = world.participant()
    with pytest.raises(ValidationFailed, match="future") as future:
        _try(referral, world.staff, day=local_today() + dt.timedelta(days=1))
    assert future.value.field == "attempted_on"
    with pytest.raises(ValidationFailed, match="The referral was made on"):
        _try(referral, world.staff, day=local_today() - dt.timedelta(days=365))
    with pytest.raises(ValidationFailed, match="Choose how") as method:
        _try(referral, world.staff, method="carrier pigeon")
    assert method.value.field == "method"
    with pytest.raises(ValidationFailed, match="at most 500"):
        _try(referral, world.staff, note="x" * 501)
    assert _count(ContactAttempt) == 0


def test_closing_needs_an_attempt_then_declines_a_pending_referral(world):
    referral = world.participant(accept=False)
    places = world.service.capacity_available
    with pytest.raises(ValidationFailed, match="Record at least one attempt"):
        referrals.close_unreachable(referral, world.staff)
    assert referral.status == ReferralStatus.PENDING
    _try(referral, world.staff)
    referrals.close_unreachable(referral, world.staff)
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == DeclineReason.COULD_NOT_REACH
    assert referrals.is_unreachable(referral)
    db.session.refresh(world.service)
    assert world.service.capacity_available == places + 1
    entry = db.session.scalar(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.SERVICE_DECLINED)
    )
    assert entry.payload["reason"] == "Could not reach the person"
    assert entry.payload["note"] == "1 attempt to reach the person"


def test_the_ordinary_decline_refuses_could_not_reach(world):
    referral = world.participant(accept=False)
    with pytest.raises(ValidationFailed, match="Record the attempts"):
        referrals.decline_service_referral(referral, world.staff, DeclineReason.COULD_NOT_REACH)
    assert referral.status == ReferralStatus.PENDING


def test_a_referral_holds_a_bounded_number_of_attempts(world, monkeypatch):
    monkeypatch.setattr(contact_attempts, "MAX_ATTEMPTS", 2)
    referral = world.participant()
    _try(referral, world.staff)
    _try(referral, world.staff)
    with pytest.raises(ValidationFailed, match="2 attempts are recorded on this referral"):
        _try(referral, world.staff)
    assert _count(ContactAttempt) == 2
