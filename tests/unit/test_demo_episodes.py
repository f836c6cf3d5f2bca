"""The demo's FMRS episodes: a participant admitted to detox, discharged stepped down to
long-term treatment (the case manager confirmed it, FMRS took them on), and one admitted to
crisis stabilisation now; no officer sees any of it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.demo.program import CRISIS_CRITERIA, seed
from portal.extensions import db
from portal.models import (
    Attendance,
    Case,
    DischargeOutcome,
    Episode,
    Notification,
    ReferralStatus,
    ServiceReferral,
    StepDownState,
    TimelineEntry,
)
from portal.policy import STATUS_KINDS
from portal.services.timeline import get_timeline

EPISODE_KINDS = {"episode_admitted", "episode_discharged", "step_down_confirmed"}


def test_fmrs_steps_one_participant_down_and_has_another_admitted():
    seed()
    db.session.flush()
    rows = db.session.scalars(
        select(Episode)
        .options(joinedload(Episode.service_referral).joinedload(ServiceReferral.service))
        .order_by(Episode.admitted_on)
    ).all()
    assert len(rows) == 2
    done, now = rows
    assert done.service_referral.service.name == "Detoxification"
    assert done.outcome == DischargeOutcome.STEPPED_DOWN
    assert done.discharged_on > done.admitted_on
    assert done.service_referral.status == ReferralStatus.COMPLETED
    assert done.step_down_state == StepDownState.CONFIRMED
    step_down = db.session.get(
        ServiceReferral, done.step_down_referral_id, options=[joinedload(ServiceReferral.service)]
    )
    assert step_down.service.name == "Intensive Outpatient Treatment"
    assert step_down.case_id == done.service_referral.case_id
    assert step_down.status == ReferralStatus.ACCEPTED
    # The long-term treatment has its sessions since; detox has no attendance of its own.
    assert db.session.scalar(
        select(Attendance.id).where(Attendance.service_referral_id == step_down.id).limit(1)
    )
    assert not db.session.scalar(
        select(Attendance.id).where(Attendance.service_referral_id == done.service_referral_id)
    )
    assert now.service_referral.service.name == "Crisis Stabilization"
    assert now.discharged_on is None and now.service_referral.status == ReferralStatus.ACCEPTED
    assert [a["criterion"] for a in now.criteria_answers] == list(CRISIS_CRITERIA)
    assert all(a["confirmed"] for a in now.criteria_answers)

    entries = db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind.in_(sorted(EPISODE_KINDS)))
    ).all()
    assert {e.kind.value for e in entries} == EPISODE_KINDS
    assert not EPISODE_KINDS & {k.value for k in STATUS_KINDS}
    assert not db.session.scalars(
        select(Notification).where(Notification.entry_id.in_([e.id for e in entries]))
    ).all()
    for case_id in {e.case_id for e in entries}:
        case = db.session.scalar(
            select(Case)
            .where(Case.id == case_id)
            .options(selectinload(Case.consents), joinedload(Case.officer))
        )
        seen = {e.kind.value for e in get_timeline(case, case.officer, limit=200).entries}
        assert not seen & EPISODE_KINDS
