"""Attendance at a service's sessions, logged by the provider's staff.

One row per (service referral, session date). Recording the same value twice (a double tap, a
retry) is harmless: it returns the row already stored and writes nothing. A different value for
a date already recorded is a correction, which needs a reason and keeps the earlier value.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.clock import local_date, local_today, utcnow
from portal.database import savepoint
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    Case,
    ReferralStatus,
    Service,
    ServiceReferral,
    TimelineKind,
    User,
)
from portal.policy import can_record_attendance, require
from portal.services.compliance import evaluate_case, evaluate_cases
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import Conflict, ValidationFailed
from portal.services.paging import Key, Page, keyset_page
from portal.services.timeline import add_entry

REASON_MAX = 500
NOT_ON_ROSTER = "This participant is not on your organisation's roster."
NOT_YOUR_SERVICE = "This service is not one of your organisation's."
FUTURE_MESSAGE = "Attendance cannot be recorded for a date in the future."
CORRECTION_CONFLICT = (
    "Someone else corrected this entry while you were working on it; your correction was not "
    "saved. The row shows the value stored now: check it and correct it again if needed."
)


def _service(referral: ServiceReferral) -> Service:
    service = db.session.get(Service, referral.service_id)
    assert service is not None
    return service


def _case(referral: ServiceReferral) -> Case:
    case = db.session.get(Case, referral.case_id)
    assert case is not None
    return case


def _check_date(session_date: dt.date) -> None:
    require_not_future(session_date, "session_date", FUTURE_MESSAGE)


def _check_not_before_referral(referral: ServiceReferral, session_date: dt.date) -> None:
    require_not_before(
        session_date,
        referral.created_at,
        "session_date",
        "The participant was referred to this service on {referred_on}; "
        "attendance cannot be recorded for an earlier date.",
    )


def on_roster(referral: ServiceReferral) -> bool:
    """A participant is on a service's roster while their referral to it is accepted."""
    return referral.status == ReferralStatus.ACCEPTED


def is_recordable_date(session_date: dt.date) -> bool:
    """Attendance is recorded on the day of a session or later, never ahead of it."""
    return session_date <= local_today()


def can_mark(referral: ServiceReferral, session_date: dt.date) -> bool:
    """Attendance can be recorded: on the roster, a date neither in the future nor before the
    participant was referred to the service."""
    return (
        on_roster(referral)
        and local_date(referral.created_at) <= session_date
        and is_recordable_date(session_date)
    )


def has_group_sessions(service: Service) -> bool:
    """Only a scheduled service meets as a group: "mark all present" is offered for it alone."""
    return not (service.is_episode or service.is_drop_in)


def _check_roster(referral: ServiceReferral, service: Service, actor: User) -> None:
    require(can_record_attendance(actor, service), NOT_ON_ROSTER)
    if service.is_episode:
        raise ValidationFailed(
            f"{service.name} is an episode service: admit and discharge the participant on "
            "their page instead of recording attendance."
        )
    if referral.status == ReferralStatus.PENDING:
        raise ValidationFailed(
            "This participant is not on the roster yet: accept the referral first."
        )
    if not on_roster(referral):
        raise ValidationFailed(
            f"This participant is no longer on the roster of {service.name} "
            f"(referral {referral.status.label.lower()})."
        )


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason for the correction.", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"Use at most {REASON_MAX} characters.", field="reason")
    return reason


def _payload(service: Service, attendance: Attendance, **extra) -> dict:
    return {
        "service_name": service.name,
        "session_date": attendance.session_date.isoformat(),
        "status": attendance.status.value,
        "referral_id": attendance.service_referral_id,
        **extra,
    }


def _find(referral_id: int, session_date: dt.date) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(
            Attendance.service_referral_id == referral_id,
            Attendance.session_date == session_date,
        )
    )


def _log_recorded(case: Case, service: Service, attendance: Attendance, actor: User) -> None:
    add_entry(
        case,
        TimelineKind.ATTENDANCE_RECORDED,
        actor,
        payload=_payload(service, attendance),
        organization_id=service.organization_id,
    )


def _insert(rows: list[Attendance]) -> bool:
    """Insert rows in a savepoint; False when another request stored one of them first."""
    try:
        with savepoint(db.session):
            db.session.add_all(rows)
    except IntegrityError:
        return False
    return True


def record_attendance(
    referral: ServiceReferral,
    session_date: dt.date,
    status: AttendanceStatus,
    actor: User,
    reason: str = "",
) -> Attendance:
    """Record one participant's attendance once; a different value for that date is a correction."""
    service = _service(referral)
    _check_roster(referral, service, actor)
    _check_date(session_date)
    _check_not_before_referral(referral, session_date)
    existing = _find(referral.id, session_date)
    if existing is None:
        attendance = Attendance(
            service_referral_id=referral.id,
            session_date=session_date,
            status=status,
            recorded_by_id=actor.id,
            recorded_at=utcnow(),
        )
        if _insert([attendance]):
            case = _case(referral)
            _log_recorded(case, service, attendance, actor)
            db.session.flush()
            evaluate_case(case)  # attended ends a spell without contact; missed may make a run
            return attendance
        # Another request recorded this date between our check and our insert.
        existing = _find(referral.id, session_date)
        assert existing is not None
    if existing.status == status:
        return existing
    if not (reason or "").strip():
        raise ValidationFailed(
            f"Already recorded as {existing.status.label.lower()} for this date. "
            "To change it, correct the entry and give a reason.",
            field="reason",
        )
    return correct_attendance(existing, status, reason, actor)


def correct_attendance(
    attendance: Attendance,
    new_status: AttendanceStatus,
    reason: str,
    actor: User,
    version: int | None = None,
) -> Attendance:
    """Change a recorded value, with a reason, only if it is still the value the corrector saw
    (`version`); the earlier value stays in the history."""
    referral = db.session.get(ServiceReferral, attendance.service_referral_id)
    assert referral is not None
    service = _service(referral)
    require(can_record_attendance(actor, service), NOT_ON_ROSTER)
    reason = _clean_reason(reason)
    if version is not None and version != attendance.version:
        raise Conflict(CORRECTION_CONFLICT)
    if new_status == attendance.status:
        raise ValidationFailed(
            f"This entry is already {attendance.status.label.lower()}.", field="status"
        )
    previous = attendance.status
    attendance.status = new_status
    try:
        # UPDATE ... WHERE version = the version read: a correction stored meanwhile makes it
        # match no row, so `previous` is always the value this correction really replaces.
        db.session.flush()
    except StaleDataError:
        raise Conflict(CORRECTION_CONFLICT) from None
    db.session.add(
        AttendanceCorrection(
            attendance_id=attendance.id,
            old_status=previous,
            new_status=new_status,
            reason=reason,
            corrected_by_id=actor.id,
            corrected_at=utcnow(),
        )
    )
    add_entry(
        _case(referral),
        TimelineKind.ATTENDANCE_CORRECTED,
        actor,
        payload=_payload(service, attendance, previous_status=previous.value, reason=reason),
        organization_id=service.organization_id,
    )
    db.session.flush()
    evaluate_case(_case(referral))
    return attendance


def accepted_referrals(service_id: int) -> list[ServiceReferral]:
    """The service's roster: its accepted referrals, with case and person loaded."""
    return list(
        db.session.scalars(
            select(ServiceReferral)
            .where(
                ServiceReferral.service_id == service_id,
                ServiceReferral.status == ReferralStatus.ACCEPTED,
            )
            .options(joinedload(ServiceReferral.case).joinedload(Case.person))
            .order_by(ServiceReferral.id)
        ).unique()
    )


def record_group_session(service: Service, session_date: dt.date, actor: User) -> list[Attendance]:
    """Mark every accepted participant present at one session, skipping those already recorded;
    an episode (detox, a crisis bed) has no group sessions, a drop-in records visits instead."""
    require(
        can_record_attendance(actor, service), "This service is not one of your organisation's."
    )
    if not has_group_sessions(service):
        raise ValidationFailed(
            f"{service.name} is {service.kind.label.split(' (')[0].lower()}: it has no group "
            "sessions to mark all present."
        )
    _check_date(session_date)
    roster = accepted_referrals(service.id)
    recorded = set(
        db.session.scalars(
            select(Attendance.service_referral_id).where(
                Attendance.service_referral_id.in_([r.id for r in roster]),
                Attendance.session_date == session_date,
            )
        )
    )
    # Nobody is marked present at a session held before they were referred to the service.
    todo = [r for r in roster if r.id not in recorded and local_date(r.created_at) <= session_date]
    now = utcnow()

    def row(referral: ServiceReferral) -> Attendance:
        return Attendance(
            service_referral_id=referral.id,
            session_date=session_date,
            status=AttendanceStatus.ATTENDED,
            recorded_by_id=actor.id,
            recorded_at=now,
        )

    pairs = [(r, row(r)) for r in todo]
    if not _insert([a for _, a in pairs]):
        # Someone recorded part of this session meanwhile: insert one by one, keep theirs.
        pairs = [(r, a) for r, a in ((r, row(r)) for r in todo) if _insert([a])]
    for referral, attendance in pairs:
        _log_recorded(referral.case, service, attendance, actor)
    db.session.flush()
    evaluate_cases(referral.case_id for referral, _ in pairs)
    return [a for _, a in pairs]


# --- reading attendance -------------------------------------------------------------------------


def corrections_of(attendance_ids: list[int]) -> dict[int, list[tuple[AttendanceCorrection, str]]]:
    """Corrections (with the corrector's name) of these attendance entries, oldest first."""
    found = defaultdict(list)
    if attendance_ids:
        for correction, name in db.session.execute(
            select(AttendanceCorrection, User.name)
            .join(User, User.id == AttendanceCorrection.corrected_by_id)
            .where(AttendanceCorrection.attendance_id.in_(attendance_ids))
            .order_by(AttendanceCorrection.corrected_at, AttendanceCorrection.id)
        ):
            found[correction.attendance_id].append((correction, name))
    return found


def recent_attendance(referral_ids: list[int], limit: int) -> dict[int, list[Attendance]]:
    """The latest `limit` attendance entries of each referral, newest first (one query)."""
    if not referral_ids:
        return {}
    number = (
        func.row_number()
        .over(
            partition_by=Attendance.service_referral_id,
            order_by=(Attendance.session_date.desc(), Attendance.id.desc()),
        )
        .label("number")
    )
    ranked = (
        select(Attendance, number)
        .where(Attendance.service_referral_id.in_(referral_ids))
        .subquery()
    )
    row = aliased(Attendance, ranked)
    found = defaultdict(list)
    for attendance in db.session.scalars(
        select(row)
        .where(ranked.c.number <= limit)
        .order_by(ranked.c.service_referral_id, ranked.c.session_date.desc())
    ):
        found[attendance.service_referral_id].append(attendance)
    return found


ATTENDANCE_KEYS = [
    Key(Attendance.session_date, dt.date, descending=True),
    Key(Attendance.id, int, descending=True),
]


def attendance_history(
    referral_ids: list[int], after: str | None, size: int
) -> tuple[Page, dict[int, list[tuple[AttendanceCorrection, str]]]]:
    """A page of the attendance entries of these referrals (newest first, from the cursor) and
    each one's corrections."""
    query = select(Attendance).where(Attendance.service_referral_id.in_(referral_ids))
    page = keyset_page(query, ATTENDANCE_KEYS, after, size)
    return page, corrections_of([a.id for a in page.rows])
