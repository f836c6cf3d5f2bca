"""Episodes: admission (once, dated, every criterion confirmed), discharge (after admission, an
outcome, a valid step-down; the referral closes and its place is given back), the case
manager's step-down decision (a referral made as matching makes one, or a reason), and none of
it ever reaching an officer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    DischargeOutcome,
    Episode,
    Notification,
    ReferralStatus,
    ServiceReferral,
    ServiceStatus,
    StepDownState,
    TimelineEntry,
    TimelineKind,
)
from portal.policy import officer_kinds
from portal.services import attendance, episodes, referrals, step_downs
from portal.services.errors import (
    Conflict,
    InvalidTransition,
    NotPermitted,
    ValidationFailed,
)
from portal.services.timeline import get_timeline

CRITERIA = ["Actively withdrawing", "Commits to long-term treatment upon discharge"]
EPISODE_KINDS = {
    TimelineKind.EPISODE_ADMITTED,
    TimelineKind.EPISODE_DISCHARGED,
    TimelineKind.STEP_DOWN_CONFIRMED,
    TimelineKind.STEP_DOWN_DECLINED,
}
TODAY = local_today


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _kinds(case_id):
    return [
        e.kind
        for e in db.session.scalars(
            select(TimelineEntry).where(TimelineEntry.case_id == case_id).order_by(TimelineEntry.id)
        )
    ]


@pytest.fixture
def crisis(f):
    """An accepted referral to a crisis bed with two admission criteria, its staff, the office."""
    service = f.episode_service(name="Crisis Stabilization", admission_criteria=list(CRITERIA))
    staff = f.provider(organization=service.organization)
    office = f.admin()
    referral = f.ServiceReferralFactory(
        service=service, created_by=office, accepted=True, decided_by=staff
    )
    return referral, staff, office


@pytest.fixture
def next_service(f):
    return f.ServiceFactory(
        name="Intensive Outpatient Treatment", capacity_max=5, capacity_available=5
    )


def _admit(referral, staff, day=None, confirmed=(0, 1)):
    return episodes.admit(referral, day or TODAY() - dt.timedelta(days=5), set(confirmed), staff)


def _discharge(episode, staff, outcome="stepped_down", step_down=None, day=None, note=""):
    data = episodes.Discharge(day or TODAY(), outcome, step_down, note)
    return episodes.discharge(episode, data, staff)


# --- admission -----------------------------------------------------------------------------


def test_admission_records_the_answers_once_with_an_entry_scoped_to_the_provider(crisis):
    referral, staff, _ = crisis
    day = TODAY() - dt.timedelta(days=3)
    episode = _admit(referral, staff, day)
    assert episode.admitted_on == day and episode.admitted_by_id == staff.id
    assert episode.criteria_answers == [{"criterion": c, "confirmed": True} for c in CRITERIA]
    entry = db.session.scalar(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.EPISODE_ADMITTED)
    )
    assert entry.organization_id == referral.service.organization_id
    assert entry.payload["admitted_on"] == day.isoformat()
    with pytest.raises(InvalidTransition, match="Already admitted"):
        _admit(referral, staff)
    assert _count(Episode) == 1


def test_an_admission_engages_like_an_acceptance_once(crisis):
    referral, staff, _ = crisis
    engaged = TimelineEntry.kind == TimelineKind.ENGAGED
    db.session.execute(delete(TimelineEntry).where(engaged))  # say the acceptance predates it
    _admit(referral, staff)
    assert _count(TimelineEntry, engaged, TimelineEntry.case_id == referral.case_id) == 1


@pytest.mark.parametrize("missing", [0, 1])
def test_an_unconfirmed_criterion_refuses_the_admission(crisis, missing):
    referral, staff, _ = crisis
    confirmed = {0, 1} - {missing}
    with pytest.raises(ValidationFailed, match="Not confirmed") as refused:
        _admit(referral, staff, confirmed=confirmed)
    assert refused.value.field == "criteria"
    assert CRITERIA[missing] in refused.value.message
    assert "not eligible" in refused.value.message
    assert _count(Episode) == 0
    assert TimelineKind.EPISODE_ADMITTED not in _kinds(referral.case_id)


def test_admission_dates_are_neither_future_nor_before_the_referral(crisis):
    referral, staff, _ = crisis
    with pytest.raises(ValidationFailed, match="future") as future:
        _admit(referral, staff, TODAY() + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="cannot be earlier") as early:
        _admit(referral, staff, TODAY() - dt.timedelta(days=90))
    with pytest.raises(ValidationFailed, match="date of admission"):
        episodes.admit(referral, None, {0, 1}, staff)
    assert future.value.field == early.value.field == "admitted_on"
    assert _count(Episode) == 0


def test_only_an_accepted_referral_to_an_episode_service_is_admitted(crisis, f):
    referral, staff, office = crisis
    pending = f.ServiceReferralFactory(service=referral.service, created_by=office)
    with pytest.raises(InvalidTransition, match="Accept the referral"):
        _admit(pending, staff)
    ended = f.ServiceReferralFactory(
        service=referral.service, created_by=office, ended=True, decided_by=staff
    )
    with pytest.raises(InvalidTransition, match="ended"):
        _admit(ended, staff)
    group = f.ServiceFactory(organization=referral.service.organization)
    scheduled = f.ServiceReferralFactory(
        service=group, created_by=office, accepted=True, decided_by=staff
    )
    with pytest.raises(ValidationFailed, match="not an episode service"):
        _admit(scheduled, staff)
    with pytest.raises(NotPermitted):
        _admit(referral, f.provider())  # another organisation's staff
    with pytest.raises(NotPermitted):
        _admit(referral, office)  # the clinical record is the provider's
    assert _count(Episode) == 0


def test_a_second_admission_at_once_is_a_conflict_not_a_second_episode(crisis, monkeypatch):
    referral, staff, _ = crisis
    _admit(referral, staff)
    # The other request checked before this one's row existed: the unique key refuses it.
    monkeypatch.setattr(episodes, "episode_of", lambda referral_id: None)
    with pytest.raises(Conflict, match="admitted meanwhile"):
        _admit(referral, staff)
    assert _count(Episode) == 1
    assert _kinds(referral.case_id).count(TimelineKind.EPISODE_ADMITTED) == 1


def test_attendance_is_not_recorded_for_an_episode(crisis):
    referral, staff, _ = crisis
    with pytest.raises(ValidationFailed, match="episode service"):
        attendance.record_attendance(referral, TODAY(), "attended", staff)


# --- discharge -----------------------------------------------------------------------------


def test_a_step_down_discharge_completes_the_referral_and_gives_the_place_back(
    crisis, next_service
):
    referral, staff, _ = crisis
    service = referral.service
    held = service.capacity_available
    episode = _admit(referral, staff)
    _discharge(episode, staff, step_down=next_service.id, note="Starts Monday.")
    assert episode.outcome == DischargeOutcome.STEPPED_DOWN
    assert episode.discharged_on == TODAY() and episode.discharged_by_id == staff.id
    assert episode.step_down_service_id == next_service.id
    assert episode.step_down_state == StepDownState.PROPOSED
    assert referral.status == ReferralStatus.COMPLETED
    db.session.refresh(service)
    assert service.capacity_available == held + 1
    kinds = _kinds(referral.case_id)
    assert {TimelineKind.SERVICE_COMPLETED, TimelineKind.EPISODE_DISCHARGED} <= set(kinds)
    entry = db.session.scalar(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.EPISODE_DISCHARGED)
    )
    assert entry.payload["step_down_service"] == next_service.name
    assert entry.organization_id == service.organization_id
    with pytest.raises(InvalidTransition, match="Already discharged"):
        _discharge(episode, staff, step_down=next_service.id)


@pytest.mark.parametrize(
    "outcome, status",
    [
        ("completed", ReferralStatus.COMPLETED),
        ("left_against_advice", ReferralStatus.ENDED),
        ("transferred", ReferralStatus.ENDED),
    ],
)
def test_other_outcomes_close_the_referral_without_a_step_down(
    crisis, next_service, outcome, status
):
    referral, staff, _ = crisis
    episode = _admit(referral, staff)
    _discharge(episode, staff, outcome, step_down=next_service.id)  # ignored: not a step-down
    assert referral.status == status
    assert episode.step_down_service_id is None and episode.step_down_state is None
    if status == ReferralStatus.ENDED:
        assert referral.end_reason == DischargeOutcome(outcome).label


def _refused(episode, staff, field, match, **kw):
    with pytest.raises(ValidationFailed, match=match) as refused:
        _discharge(episode, staff, **kw)
    assert refused.value.field == field
    assert episode.discharged_on is None and episode.outcome is None


def test_discharge_refusals_leave_the_episode_and_referral_open(crisis, next_service, f):
    referral, staff, _ = crisis
    admitted = TODAY() - dt.timedelta(days=4)
    episode = _admit(referral, staff, admitted)
    before = admitted - dt.timedelta(days=1)
    _refused(episode, staff, "discharged_on", "before the admission", day=before)
    _refused(episode, staff, "discharged_on", "future", day=TODAY() + dt.timedelta(days=1))
    _refused(episode, staff, "outcome", "Choose the outcome", outcome=None)
    _refused(episode, staff, "outcome", "Choose the outcome", outcome="vanished")
    _refused(episode, staff, "note", "note is needed", outcome="other")
    _refused(episode, staff, "step_down_service_id", "Choose the service", step_down=None)
    _refused(
        episode,
        staff,
        "step_down_service_id",
        "another service than",
        step_down=referral.service_id,
    )
    clinic = f.drop_in_service(name="Harm Reduction Clinic")
    _refused(episode, staff, "step_down_service_id", "drop-in", step_down=clinic.id)
    closed = f.ServiceFactory(name="Closed", status=ServiceStatus.INACTIVE)
    _refused(episode, staff, "step_down_service_id", "inactive", step_down=closed.id)
    gone = f.ServiceFactory(name="Gone")
    gone.organization.active = False
    _refused(episode, staff, "step_down_service_id", "provider is inactive", step_down=gone.id)
    with pytest.raises(NotPermitted):
        _discharge(episode, f.provider(), step_down=next_service.id)
    assert referral.status == ReferralStatus.ACCEPTED
    assert TimelineKind.EPISODE_DISCHARGED not in _kinds(referral.case_id)
    # The same day as the admission is fine.
    _discharge(episode, staff, "other", day=admitted, note="Moved to hospital care.")
    assert episode.discharged_on == admitted and referral.status == ReferralStatus.ENDED


def test_a_referral_closed_meanwhile_is_not_discharged(crisis, next_service):
    referral, staff, office = crisis
    episode = _admit(referral, staff)
    referral.status = ReferralStatus.ENDED  # closed by a path that bypassed the office's guard
    with pytest.raises(InvalidTransition, match="ended"):
        _discharge(episode, staff, step_down=next_service.id)


# --- the case manager's decision -----------------------------------------------------------


@pytest.fixture
def proposed(crisis, next_service):
    referral, staff, office = crisis
    episode = _admit(referral, staff)
    _discharge(episode, staff, step_down=next_service.id)
    return episode, referral, staff, office, next_service


def test_confirming_makes_the_pending_referral_and_holds_a_place(proposed):
    episode, referral, staff, office, target = proposed
    places = target.capacity_available
    created = step_downs.confirm_step_down(episode, office)
    assert created.status == ReferralStatus.PENDING
    assert created.service_id == target.id and created.case_id == referral.case_id
    assert episode.step_down_state == StepDownState.CONFIRMED
    assert episode.step_down_referral_id == created.id
    assert episode.step_down_decided_by_id == office.id
    db.session.refresh(target)
    assert target.capacity_available == places - 1
    kinds = _kinds(referral.case_id)
    assert TimelineKind.STEP_DOWN_CONFIRMED in kinds and TimelineKind.SERVICE_REFERRED in kinds
    with pytest.raises(InvalidTransition, match="no step-down waiting"):
        step_downs.confirm_step_down(episode, office)
    with pytest.raises(InvalidTransition):
        step_downs.decline_step_down(episode, "Changed my mind", office)


def test_a_full_or_closed_step_down_service_is_refused_with_the_reason(proposed):
    episode, referral, staff, office, target = proposed
    target.capacity_available = 0
    with pytest.raises(referrals.NoCapacity, match="no place available"):
        step_downs.confirm_step_down(episode, office)
    target.capacity_available = 3
    target.status = ServiceStatus.TEMPORARILY_CLOSED
    with pytest.raises(ValidationFailed, match="temporarily closed"):
        step_downs.confirm_step_down(episode, office)
    target.status = ServiceStatus.ACTIVE
    target.organization.active = False
    with pytest.raises(referrals.ProviderInactive, match="provider is inactive"):
        step_downs.confirm_step_down(episode, office)
    assert episode.step_down_state == StepDownState.PROPOSED
    assert _count(ServiceReferral, ServiceReferral.service_id == target.id) == 0


def test_only_a_case_manager_decides_and_a_decline_needs_a_reason(proposed):
    episode, referral, staff, office, target = proposed
    with pytest.raises(NotPermitted):
        step_downs.confirm_step_down(episode, staff)
    with pytest.raises(NotPermitted):
        step_downs.decline_step_down(episode, "No", staff)
    with pytest.raises(ValidationFailed, match="Give the reason") as empty:
        step_downs.decline_step_down(episode, "  ", office)
    assert empty.value.field == "reason"
    step_downs.decline_step_down(episode, "The participant chose a programme nearer home.", office)
    assert episode.step_down_state == StepDownState.DECLINED
    assert episode.step_down_reason.startswith("The participant chose")
    assert TimelineKind.STEP_DOWN_DECLINED in _kinds(referral.case_id)
    assert _count(ServiceReferral, ServiceReferral.service_id == target.id) == 0


def test_the_queue_counts_and_lists_the_step_downs_waiting(proposed):
    episode, *_ = proposed
    total, rows = step_downs.proposed_step_downs()
    assert total == 1 and rows[0][0].id == episode.id


# --- what an officer sees ------------------------------------------------------------------


def test_no_episode_entry_reaches_an_officer_whatever_the_consent(f, next_service):
    service = f.episode_service(name="Detoxification")
    staff = f.provider(organization=service.organization)
    office = f.admin()
    consent = f.ConsentFactory(discloses_attendance=True, discloses_outcome=True)
    case = consent.case
    referral = f.ServiceReferralFactory(
        case=case, service=service, created_by=office, accepted=True, decided_by=staff
    )
    episode = _admit(referral, staff, confirmed=())
    _discharge(episode, staff, step_down=next_service.id)
    other = f.ServiceReferralFactory(
        case=case, service=service, created_by=office, accepted=True, decided_by=staff
    )
    second = _admit(other, staff, confirmed=())
    _discharge(second, staff, step_down=next_service.id)
    step_downs.confirm_step_down(episode, office)
    step_downs.decline_step_down(second, "Already referred", office)
    db.session.flush()
    entries = db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind.in_(sorted(EPISODE_KINDS)))
    ).all()
    assert {e.kind for e in entries} == EPISODE_KINDS
    told = select(Notification).where(Notification.entry_id.in_([e.id for e in entries]))
    assert db.session.scalars(told).all() == []
    db.session.refresh(case, ["consents"])
    assert not EPISODE_KINDS & officer_kinds(case.officer, case)
    seen = {e.kind for e in get_timeline(case, case.officer, limit=100).entries}
    assert not seen & EPISODE_KINDS and TimelineKind.INTAKE_COMPLETED in seen
    # The provider sees its own; the office sees all.
    assert {e.kind for e in get_timeline(case, office, limit=100).entries} >= EPISODE_KINDS
    provider_seen = {e.kind for e in get_timeline(case, staff, limit=100).entries}
    assert {TimelineKind.EPISODE_ADMITTED, TimelineKind.EPISODE_DISCHARGED} <= provider_seen


def test_the_office_cannot_close_the_referral_of_an_admitted_participant(crisis):
    """Only the discharge closes it (with its outcome and step-down)."""
    referral, staff, office = crisis
    _admit(referral, staff)
    with pytest.raises(InvalidTransition, match="not discharged"):
        referrals.complete_service_referral(referral, office)
    with pytest.raises(InvalidTransition, match="not discharged"):
        referrals.end_service_referral(referral, office, "Moved away")
    assert referral.status == ReferralStatus.ACCEPTED
