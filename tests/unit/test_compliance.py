"""Program rules and compliance flags: a breach raises one flag, an event resolves it at once,
day boundaries are the program's, and rules are validated and audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from portal.clock import local_today, program_tz
from portal.extensions import db
from portal.models import (
    AttendanceStatus,
    AuditAction,
    AuditEvent,
    CaseStatus,
    ComplianceFlag,
    ComplianceRule,
    ContactKind,
    ExitReason,
    FlagStatus,
    RuleCode,
)
from portal.services import assessments, attendance, audit, cases, compliance
from portal.services.errors import NotPermitted, ValidationFailed

DEADLINE = dt.date(2026, 11, 20)  # a Friday; New York is on standard time (UTC-5)
NY = dt.timezone(dt.timedelta(hours=-5))


def _flags(case=None, rule=None) -> list[ComplianceFlag]:
    query = select(ComplianceFlag).order_by(ComplianceFlag.id)
    if case is not None:
        query = query.where(ComplianceFlag.case_id == case.id)
    if rule is not None:
        query = query.where(ComplianceFlag.rule == rule)
    db.session.expire_all()
    return list(db.session.scalars(query))


def _switch(code: RuleCode, enabled: bool = True, parameter: int | None = None) -> None:
    rule = db.session.scalar(select(ComplianceRule).where(ComplianceRule.code == code))
    rule.enabled = enabled
    if parameter is not None:
        rule.parameter = parameter
    db.session.flush()


def _run_all(size: int = 1000, today: dt.date | None = None) -> compliance.Outcome:
    today = today or local_today()
    total, after = compliance.Outcome(), 0
    while (batch := compliance.evaluate_batch(after, size, today)) is not None:
        total += batch.outcome
        after = batch.last_id
    return total


def _overdue(f, days: int = 3, **kw):
    deadline = local_today() - dt.timedelta(days=days)
    return f.CaseFactory(accepted=True, intake_deadline=deadline, **kw)


# --- the rules as data --------------------------------------------------------------------------


def test_the_migration_seeds_the_three_rules_intake_deadline_on():
    rules = {r.code: (r.enabled, r.parameter) for r in compliance.ordered_rules()}
    assert rules == {
        RuleCode.INTAKE_DEADLINE: (True, None),
        RuleCode.NO_CONTACT: (False, 30),
        RuleCode.MISSED_SESSIONS: (False, 3),
    }


@pytest.mark.parametrize("bad", [0, -5, 366, 100000, None])
def test_a_rule_parameter_outside_1_to_365_is_refused_and_nothing_changes(f, bad):
    admin = f.admin()
    with pytest.raises(ValidationFailed) as error:
        compliance.update_rule(admin, RuleCode.NO_CONTACT, enabled=True, parameter=bad)
    assert error.value.field == "parameter"
    assert "1 to 365" in error.value.message
    db.session.rollback()
    rule = compliance.get_rules()[RuleCode.NO_CONTACT]
    assert (rule.enabled, rule.parameter) == (False, 30)


def test_an_administrator_switches_a_rule_on_and_the_change_is_audited(f):
    admin = f.admin()
    rule = compliance.update_rule(admin, RuleCode.MISSED_SESSIONS, enabled=True, parameter=5)
    assert (rule.enabled, rule.parameter) == (True, 5)
    db.session.commit()
    row = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "compliance_rules", AuditEvent.object_id == rule.id
        )
    )
    assert row is not None and row.action == AuditAction.CHANGE


def test_the_intake_deadline_rule_takes_no_parameter(f):
    rule = compliance.update_rule(f.admin(), RuleCode.INTAKE_DEADLINE, enabled=False, parameter=0)
    assert (rule.enabled, rule.parameter) == (False, None)


@pytest.mark.parametrize("who", ["officer", "provider"])
def test_only_administrators_change_the_rules(f, who):
    with pytest.raises(NotPermitted):
        compliance.update_rule(getattr(f, who)(), RuleCode.NO_CONTACT, enabled=True, parameter=9)


# --- the intake deadline, in the program's time zone --------------------------------------------


@pytest.mark.parametrize(
    ("instant", "flagged"),
    [
        (dt.datetime(2026, 11, 20, 19, 30, tzinfo=NY), False),  # already Nov 21 in UTC
        (dt.datetime(2026, 11, 20, 23, 59, 30, tzinfo=NY), False),  # the deadline's last minute
        (dt.datetime(2026, 11, 21, 0, 0, 30, tzinfo=NY), True),  # the day after, locally
    ],
)
def test_the_intake_deadline_passes_at_local_midnight(f, instant, flagged):
    case = f.CaseFactory(accepted=True, intake_deadline=DEADLINE)
    with time_machine.travel(instant, tick=False):
        assert program_tz().key == "America/New_York"
        compliance.evaluate_case(case)
        _run_all()
    flags = _flags(case)
    assert len(flags) == (1 if flagged else 0)
    if flagged:
        flag = flags[0]
        assert (flag.rule, flag.status) == (RuleCode.INTAKE_DEADLINE, FlagStatus.OPEN)
        assert flag.evidence == "Intake deadline 2026-11-20 passed; intake not recorded."


def test_the_same_breach_evaluated_twice_raises_one_flag(f):
    case = _overdue(f)
    first = _run_all()
    second = _run_all()
    compliance.evaluate_case(case)
    assert (first.raised, second.raised) == (1, 0)
    assert len(_flags(case)) == 1


def test_batches_cover_every_open_case_and_skip_the_closed(f):
    overdue = [_overdue(f) for _ in range(7)]
    on_time = f.CaseFactory(accepted=True)
    closed = f.CaseFactory(withdrawn=True)
    outcome = _run_all(size=3)
    assert outcome.raised == 7
    assert {fl.case_id for fl in _flags()} == {c.id for c in overdue}
    assert not _flags(on_time) and not _flags(closed)


def test_a_referral_not_yet_screened_is_not_flagged(f):
    # Screening late is the office's delay, not the person's: only an accepted case is flagged.
    case = f.CaseFactory(intake_deadline=local_today() - dt.timedelta(days=3))
    _run_all()
    assert _flags(case) == []


def test_recording_intake_resolves_the_deadline_flag_at_once(f):
    case, admin = _overdue(f), f.admin()
    _run_all()
    cases.complete_intake(case, admin, local_today())
    [flag] = _flags(case)
    assert flag.status == FlagStatus.RESOLVED
    assert flag.reason == compliance.RESOLVED_BREACH_GONE


def test_accepting_a_referral_past_its_deadline_raises_the_flag_at_once(f):
    case = f.CaseFactory(intake_deadline=local_today() - dt.timedelta(days=1))
    cases.accept_referral(case, f.admin())
    [flag] = _flags(case)
    assert flag.status == FlagStatus.OPEN


def test_an_exit_resolves_the_open_flags(f):
    case = f.CaseFactory(active=True)
    _switch(RuleCode.NO_CONTACT, parameter=30)
    _run_all()
    assert [fl.status for fl in _flags(case)] == [FlagStatus.OPEN]
    cases.close_case(case, f.admin(), CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    assert [fl.status for fl in _flags(case)] == [FlagStatus.RESOLVED]


def test_a_rule_switched_off_raises_nothing_and_its_open_flags_are_resolved(f):
    case = _overdue(f)
    _run_all()
    _switch(RuleCode.INTAKE_DEADLINE, enabled=False)
    outcome = _run_all()
    [flag] = _flags(case)
    assert (outcome.resolved, flag.status, flag.reason) == (
        1,
        FlagStatus.RESOLVED,
        compliance.RESOLVED_RULE_OFF,
    )
    assert _run_all().raised == 0


def test_a_dismissed_breach_is_not_raised_again(f):
    case = _overdue(f)
    _run_all()
    [flag] = _flags(case)
    flag.status = FlagStatus.DISMISSED
    db.session.flush()
    assert _run_all().raised == 0
    assert len(_flags(case)) == 1


def test_the_evaluation_of_a_batch_is_flagged_and_audited(f):
    case = _overdue(f)
    _run_all()
    db.session.commit()
    [flag] = _flags(case)
    row = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "compliance_flags", AuditEvent.object_id == flag.id
        )
    )
    assert (row.action, row.case_id, row.user_id) == (AuditAction.CREATE, case.id, None)


# --- no contact for N days ----------------------------------------------------------------------


def test_no_contact_counts_from_the_latest_contact_or_attendance(f):
    _switch(RuleCode.NO_CONTACT, parameter=30)
    admin = f.admin()
    quiet = f.CaseFactory(active=True)  # intake 86 days ago, nothing since
    recent = f.CaseFactory(active=True)
    assessments.record_contact(
        recent, admin, local_today() - dt.timedelta(days=30), ContactKind.PHONE
    )
    attended = f.CaseFactory(active=True)
    referral = f.ServiceReferralFactory(case=attended, accepted=True)
    f.AttendanceFactory(service_referral=referral, session_date=local_today() - dt.timedelta(3))
    _run_all()
    [flag] = _flags(quiet)
    intake = quiet.intake_completed_on.isoformat()
    assert flag.evidence == (
        f"No contact or attendance recorded since {intake} (the rule allows 30 days)."
    )
    assert _flags(recent) == [] and _flags(attended) == []


def test_a_contact_resolves_the_no_contact_flag_and_an_outreach_attempt_does_not(f):
    _switch(RuleCode.NO_CONTACT, parameter=30)
    case, admin = f.CaseFactory(active=True), f.admin()
    _run_all()
    assessments.record_contact(case, admin, local_today(), ContactKind.OUTREACH_ATTEMPT)
    assert [fl.status for fl in _flags(case)] == [FlagStatus.OPEN]
    assessments.record_contact(case, admin, local_today(), ContactKind.IN_PERSON)
    assert [fl.status for fl in _flags(case)] == [FlagStatus.RESOLVED]


def test_attendance_logged_resolves_the_no_contact_flag(f):
    _switch(RuleCode.NO_CONTACT, parameter=30)
    referral = f.ServiceReferralFactory(accepted=True)
    staff = f.provider(organization=referral.service.organization)
    _run_all()
    assert [fl.status for fl in _flags(referral.case)] == [FlagStatus.OPEN]
    attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    assert [fl.status for fl in _flags(referral.case)] == [FlagStatus.RESOLVED]


def test_a_later_spell_without_contact_is_a_new_breach(f):
    _switch(RuleCode.NO_CONTACT, parameter=10)
    case, admin = f.CaseFactory(active=True), f.admin()
    _run_all()
    _flags(case)[0].status = FlagStatus.DISMISSED
    db.session.flush()
    assessments.record_contact(case, admin, local_today() - dt.timedelta(20), ContactKind.PHONE)
    statuses = [fl.status for fl in _flags(case)]
    assert statuses == [FlagStatus.DISMISSED, FlagStatus.OPEN]


# --- consecutive missed sessions ----------------------------------------------------------------


def _sessions(f, statuses: list[AttendanceStatus]):
    referral = f.ServiceReferralFactory(accepted=True)
    start = local_today() - dt.timedelta(days=7 * len(statuses))
    for week, status in enumerate(statuses):
        day = start + dt.timedelta(days=7 * week)
        f.AttendanceFactory(service_referral=referral, session_date=day, status=status)
    return referral


A, M, E, C = (
    AttendanceStatus.ATTENDED,
    AttendanceStatus.MISSED,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.CANCELLED,
)


@pytest.mark.parametrize(
    ("history", "flagged"),
    [
        ([A, M, M, M], True),
        ([M, C, M, M], True),  # a cancelled session is not a session
        ([A, M, M], False),
        ([M, M, E, M], False),  # an excused absence ends the run
        ([M, M, M, A], False),  # they came back
    ],
)
def test_n_unexcused_misses_in_a_row(f, history, flagged):
    _switch(RuleCode.MISSED_SESSIONS, parameter=3)
    _switch(RuleCode.INTAKE_DEADLINE, enabled=False)
    referral = _sessions(f, history)
    _run_all()
    flags = _flags(referral.case, RuleCode.MISSED_SESSIONS)
    assert len(flags) == (1 if flagged else 0)
    if flagged:
        assert f"service referral #{referral.id}" in flags[0].evidence


def test_a_third_miss_logged_raises_the_flag_at_once(f):
    _switch(RuleCode.MISSED_SESSIONS, parameter=3)
    referral = _sessions(f, [A, M, M])
    staff = f.provider(organization=referral.service.organization)
    assert _flags(referral.case) == []
    attendance.record_attendance(referral, local_today(), AttendanceStatus.MISSED, staff)
    [flag] = _flags(referral.case)
    assert (flag.rule, flag.status) == (RuleCode.MISSED_SESSIONS, FlagStatus.OPEN)


def test_a_group_session_resolves_the_flags_of_everyone_present(f):
    _switch(RuleCode.MISSED_SESSIONS, parameter=2)
    first = _sessions(f, [M, M])
    second = f.ServiceReferralFactory(service=first.service, accepted=True)
    for day in (14, 7):
        f.AttendanceFactory(
            service_referral=second,
            session_date=local_today() - dt.timedelta(days=day),
            status=AttendanceStatus.MISSED,
        )
    _run_all()
    assert db.session.scalar(select(func.count(ComplianceFlag.id))) == 2
    staff = f.provider(organization=first.service.organization)
    attendance.record_group_session(first.service, local_today(), staff)
    assert {fl.status for fl in _flags()} == {FlagStatus.RESOLVED}


def test_flags_hold_no_clinical_text(f):
    _switch(RuleCode.NO_CONTACT, parameter=5)
    _switch(RuleCode.MISSED_SESSIONS, parameter=2)
    case = f.CaseFactory(active=True, notes="Cooperative; uses heroin daily")
    f.AssessmentFactory(case=case, substances="heroin")
    referral = f.ServiceReferralFactory(case=case, accepted=True)
    for day in (14, 7):
        f.AttendanceFactory(
            service_referral=referral,
            session_date=local_today() - dt.timedelta(days=day),
            status=AttendanceStatus.MISSED,
        )
    _run_all()
    evidence = " ".join(fl.evidence for fl in _flags(case))
    assert len(_flags(case)) == 2
    assert "heroin" not in evidence.lower() and referral.service.name not in evidence
    assert audit.AUDITED and ComplianceFlag in audit.AUDITED and ComplianceRule in audit.AUDITED
