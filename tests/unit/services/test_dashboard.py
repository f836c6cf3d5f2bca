"""The outcomes dashboard's figures against hand-computed fixtures: months in the program's time
zone, screening, time to intake, engagement, flags, exits, re-arrest, jail, housing and income,
the race and ethnicity breakdown with counts under 11 suppressed, and a constant number of
queries whatever the number of cases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from portal.clock import local_instant, local_today
from portal.extensions import db
from portal.models import (
    AttendanceStatus,
    CaseStatus,
    ComplianceFlag,
    Episode,
    ExitReason,
    FlagStatus,
    Housing,
    Income,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    OffenceLevel,
    Race,
    RuleCode,
)
from portal.services import dashboard
from portal.services.dashboard import Filters, default_filters
from portal.services.errors import NotPermitted


def _rows(table) -> dict:
    """label (or (label, group)) -> the cells as shown."""
    return {
        (label if group is None else (label, group)): table.cells(values)
        for label, group, values in table.rows
    }


def _noon(day: dt.date) -> dt.datetime:
    return local_instant(day, dt.time(12))


# --- months and screening ----------------------------------------------------------------------


def test_referrals_are_counted_in_their_local_month(f):
    march = dt.date(2026, 3, 1)
    # 00:30 on March 1 in the program's zone is still February 28 in UTC minus... or later:
    # whatever UTC says, the local day decides.
    f.CaseFactory(referred_at=local_instant(march, dt.time(0, 30)))
    f.CaseFactory(referred_at=local_instant(march - dt.timedelta(days=1), dt.time(23, 30)))
    f.CaseFactory(accepted=True, referred_at=_noon(dt.date(2026, 1, 15)))
    f.CaseFactory(referred_at=_noon(dt.date(2025, 12, 31)))  # before the range
    table = dashboard.referrals_by_month(Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 31)))
    assert _rows(table) == {
        "Jan 2026": ["1", "1", "0"],
        "Feb 2026": ["1", "0", "0"],
        "Mar 2026": ["1", "0", "0"],
    }


def test_referrals_by_agency_with_the_share_accepted_and_decline_reasons(f):
    sheriff = f.AgencyFactory(name="Sheriff")
    deputy = f.officer(agency=sheriff)
    day = local_today() - dt.timedelta(days=10)
    for trait in ["accepted", "accepted", "accepted", "declined"]:
        f.CaseFactory(officer=deputy, **{trait: True}, referred_at=_noon(day))
    f.CaseFactory(officer=deputy, referred_at=_noon(day))  # not screened yet
    filters = Filters(day - dt.timedelta(days=1), local_today())
    rows = _rows(dashboard.referrals_by_agency(filters))
    assert rows["Sheriff"] == ["5", "4", "3", "75%"]
    assert list(_rows(dashboard.decline_reasons(filters)).values()) == [["1"]]
    other = Filters(filters.start, filters.end, agency_id=sheriff.id + 999)
    assert dashboard.referrals_by_agency(other).rows == []


def test_agencies_past_the_most_a_table_names_are_summed_into_one_row(f, monkeypatch):
    monkeypatch.setattr(dashboard, "MAX_NAMED_ROWS", 2)
    day = local_today() - dt.timedelta(days=10)
    for name, accepted, declined in [("Zeta PD", 3, 0), ("Alpha PD", 2, 1), ("Beta PD", 1, 0)]:
        officer = f.officer(agency=f.AgencyFactory(name=name))
        for trait in ["accepted"] * accepted + ["declined"] * declined:
            f.CaseFactory(officer=officer, **{trait: True}, referred_at=_noon(day))
    officer = f.officer(agency=f.AgencyFactory(name="Gamma PD"))
    f.CaseFactory(officer=officer, declined=True, referred_at=_noon(day))
    table = dashboard.referrals_by_agency(Filters(day, local_today()))
    # The two with the most referrals by name (in name order), the other two summed.
    assert _rows(table) == {
        "Alpha PD": ["3", "3", "2", "67%"],
        "Zeta PD": ["3", "3", "3", "100%"],
        "2 other agencies": ["2", "2", "1", "50%"],
    }


def test_time_to_intake_is_the_median_and_the_share_by_the_deadline(f):
    day = local_today() - dt.timedelta(days=40)
    for days in (2, 4, 10, None):
        case = f.CaseFactory(accepted=True, referred_at=_noon(day))
        case.intake_deadline = day + dt.timedelta(days=5)
        if days is not None:
            case.status = CaseStatus.ACTIVE
            case.intake_completed_on = day + dt.timedelta(days=days)
    f.CaseFactory(referred_at=_noon(day))  # waiting for screening: not counted
    table = dashboard.time_to_intake(Filters(day, local_today()))
    # Accepted 4, enrolled 3, median of 2, 4 and 10 days, 2 of 4 by the deadline.
    assert _rows(table) == {"Accepted referrals": ["4", "3", "4.0", "50%"]}


# --- engagement, flags, exits ------------------------------------------------------------------


def test_engagement_counts_active_participants_and_sessions_in_each_month(f):
    today = local_today()
    this_month = today.replace(day=1)
    referral = f.ServiceReferralFactory(accepted=True)  # its case: active since 86 days ago
    f.AttendanceFactory(service_referral=referral, session_date=this_month)
    f.AttendanceFactory(
        service_referral=referral,
        session_date=this_month + dt.timedelta(days=1) if today.day > 1 else this_month,
        status=AttendanceStatus.MISSED,
    )
    closed = f.CaseFactory(completed=True)
    closed.closed_on = this_month - dt.timedelta(days=1)  # left last month: not active now
    table = dashboard.engagement(Filters(this_month, today))
    assert _rows(table) == {f"{this_month:%b %Y}": ["1", "1", "0", "1.0"]}
    stay = f.ServiceReferralFactory(accepted=True, case=referral.case)
    db.session.add(
        Episode(
            service_referral_id=stay.id, admitted_on=this_month, admitted_by_id=stay.decided_by_id
        )
    )
    db.session.flush()
    table = dashboard.engagement(Filters(this_month, today))
    assert _rows(table) == {f"{this_month:%b %Y}": ["1", "1", "1", "2.0"]}


def test_sessions_attended_are_the_same_counted_for_the_program_an_agency_or_a_group(f):
    """The program-wide count reads attendance_months alone; by agency or group its rows are
    joined to their case: both say the same as the sessions themselves."""
    today = local_today()
    this_month = today.replace(day=1)
    last_month = dashboard.month_start(today, -1)
    referrals = []
    for race in (Race.WHITE, Race.BLACK):
        person = f.PersonFactory(race=race)
        referral = f.ServiceReferralFactory(accepted=True, case__person=person)
        referral.case.intake_completed_on = last_month
        referrals.append(referral)
    white, black = referrals
    for day in (last_month, last_month + dt.timedelta(days=7), this_month):
        f.AttendanceFactory(service_referral=white, session_date=day)
    f.AttendanceFactory(service_referral=black, session_date=last_month)
    f.AttendanceFactory(
        service_referral=black, session_date=this_month, status=AttendanceStatus.MISSED
    )
    db.session.flush()

    def sessions(filters):
        table = dashboard.engagement(filters)
        return {(label, group): values[1] for label, group, values in table.rows}

    last, this = f"{last_month:%b %Y}", f"{this_month:%b %Y}"
    assert sessions(Filters(last_month, today)) == {(last, None): 3, (this, None): 1}
    by_race = sessions(Filters(last_month, today, by="race"))
    assert by_race == {
        (last, Race.WHITE.label): 2,
        (last, Race.BLACK.label): 1,
        (this, Race.WHITE.label): 1,
        (this, Race.BLACK.label): 0,
    }
    agency = white.case.agency_id
    assert agency is not None and agency != black.case.agency_id
    assert sessions(Filters(last_month, today, agency_id=agency)) == {
        (last, None): 2,
        (this, None): 1,
    }


def test_flags_by_what_became_of_them_and_exits_by_reason(f):
    today = local_today()
    case = f.CaseFactory(active=True)
    statuses = [FlagStatus.OPEN, FlagStatus.DISMISSED, FlagStatus.DISMISSED, FlagStatus.CONFIRMED]
    for n, status in enumerate(statuses):
        db.session.add(
            ComplianceFlag(
                case_id=case.id,
                rule=RuleCode.INTAKE_DEADLINE,
                breach_key=f"breach-{n}",
                evidence="",
                raised_at=_noon(today - dt.timedelta(days=3)),
                status=status,
            )
        )
    f.CaseFactory(completed=True)
    f.CaseFactory(withdrawn=True)
    f.CaseFactory(completed=True)
    filters = Filters(today - dt.timedelta(days=30), today)
    flags = _rows(dashboard.compliance_flags(filters))
    assert flags["Flags raised"] == ["4"]
    assert flags["Dismissed by a case manager"] == ["2"]
    assert flags["Confirmed (the officer was told)"] == ["1"]
    assert flags["Waiting for review"] == ["1"]
    assert _rows(dashboard.exits(filters)) == {
        ExitReason.COMPLETED.label: ["2"],
        ExitReason.MOVED_AWAY.label: ["1"],
    }


# --- re-arrest, jail, housing ------------------------------------------------------------------


def _event(case, day, kind=JusticeEventKind.ARREST, booked=False, jail_days=0):
    db.session.add(
        JusticeEvent(
            person_id=case.person_id,
            case_id=case.id,
            occurred_on=day,
            kind=kind,
            offence_level=OffenceLevel.MISDEMEANOR,
            booked=booked,
            jail_days=jail_days,
            source="office",
            recorded_by_id=case.officer_id,
        )
    )


def _enrolled(f, days_ago: int):
    case = f.CaseFactory(active=True)
    case.intake_completed_on = local_today() - dt.timedelta(days=days_ago)
    return case


def test_rearrest_and_jail_before_and_after_enrollment(f):
    a, b, c = _enrolled(f, 400), _enrolled(f, 400), _enrolled(f, 200)
    _event(a, a.intake_completed_on - dt.timedelta(days=100), booked=True, jail_days=3)
    _event(a, a.intake_completed_on + dt.timedelta(days=100), booked=True, jail_days=5)
    _event(b, b.intake_completed_on + dt.timedelta(days=300))
    _event(b, b.intake_completed_on + dt.timedelta(days=50), kind=JusticeEventKind.CITATION)
    _event(c, c.intake_completed_on - dt.timedelta(days=400))  # more than a year before
    db.session.flush()
    filters = Filters(local_today() - dt.timedelta(days=500), local_today())
    assert _rows(dashboard.rearrest(filters)) == {
        "12 months before enrollment": ["3", "1", "33%"],
        "6 months after enrollment": ["3", "1", "33%"],  # A (B's citation is not an arrest)
        "12 months after enrollment": ["2", "2", "100%"],  # A and B; C is not a year in
    }
    assert _rows(dashboard.jail(filters)) == {
        "12 months before enrollment": ["2", "1", "0.5", "3", "1.5"],
        "12 months after enrollment": ["2", "1", "0.5", "5", "2.5"],
    }


def test_housing_and_income_at_enrollment_against_the_latest_month(f):
    a, b = _enrolled(f, 120), _enrolled(f, 120)
    start = a.intake_completed_on.replace(day=1)
    months = [start, dashboard.month_start(start, 1), dashboard.month_start(start, 2)]
    steps = [Housing.UNSHELTERED, Housing.SHELTER, Housing.PERMANENT]
    for month, housing in zip(months, steps, strict=True):
        db.session.add(
            MonthlyStatus(
                case_id=a.id, month=month, housing=housing, employment="unemployed",
                income=Income.NONE, benefits=False, recorded_by_id=a.officer_id,
            )
        )  # fmt: skip
    db.session.add(
        MonthlyStatus(
            case_id=b.id, month=start, housing=Housing.TRANSITIONAL, employment="part_time",
            income=Income.FROM_500, benefits=True, recorded_by_id=b.officer_id,
        )
    )  # fmt: skip
    db.session.flush()
    filters = Filters(local_today() - dt.timedelta(days=200), local_today())
    assert _rows(dashboard.housing(filters)) == {
        "Unsheltered": ["1", "0"],
        "Emergency shelter": ["0", "0"],
        "Transitional housing": ["1", "1"],
        "Permanent housing": ["0", "1"],
    }
    income = _rows(dashboard.income(filters))
    assert income["No income"] == ["1", "1"] and income["$500 to $999 a month"] == ["1", "1"]


# --- the breakdown -------------------------------------------------------------------------------


def test_a_breakdown_suppresses_counts_under_eleven_and_what_is_worked_out_from_them(f):
    day = local_today() - dt.timedelta(days=5)
    officer = f.officer()
    for race, n in [(Race.WHITE, 10), (Race.BLACK, 11)]:
        for _ in range(n):
            person = f.PersonFactory(race=race)
            f.CaseFactory(person=person, officer=officer, accepted=True, referred_at=_noon(day))
    f.CaseFactory(officer=officer, referred_at=_noon(day))  # not asked: one, not screened
    filters = Filters(day, local_today(), by="race")
    table = dashboard.referrals_by_agency(filters)
    by_group = {group: table.cells(values) for _label, group, values in table.rows}
    assert by_group[Race.WHITE.label] == ["<11", "<11", "<11", "<11"]
    assert by_group[Race.BLACK.label] == ["11", "11", "11", "100%"]
    assert by_group["Not asked"] == ["<11", "0", "0", "–"]
    csv = table.csv_rows()
    assert csv[0] == ["Race", "Agency", "Referrals", "Screened", "Accepted", "Accepted"]
    assert all("<11" in row or "11" in row or "0" in row for row in csv[1:])
    # Without a breakdown nothing is suppressed.
    plain = dashboard.referrals_by_agency(Filters(day, local_today()))
    assert [plain.cells(v) for _l, _g, v in plain.rows] == [["22", "21", "21", "100%"]]


# --- access and cost ----------------------------------------------------------------------------


def test_only_the_office_and_evaluators_read_the_dashboard(f):
    with pytest.raises(NotPermitted):
        dashboard.dashboard(f.officer(), default_filters())
    with pytest.raises(NotPermitted):
        dashboard.dashboard(f.provider(), default_filters())
    assert dashboard.dashboard(f.evaluator(), default_filters())


def _statements(action) -> int:
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


def test_the_dashboard_sends_the_same_queries_whatever_the_number_of_cases(f):
    evaluator = f.evaluator()
    filters = Filters(local_today() - dt.timedelta(days=365), local_today(), by="ethnicity")
    f.CaseFactory(active=True)
    db.session.flush()
    few = _statements(lambda: dashboard.dashboard(evaluator, filters))
    for _ in range(15):
        f.AttendanceFactory()
        _event(f.CaseFactory(completed=True), local_today() - dt.timedelta(days=3))
    db.session.flush()
    many = _statements(lambda: dashboard.dashboard(evaluator, filters))
    assert few == many <= 16


def test_officer_counts_their_own_referrals_by_the_status_they_may_see(f):
    officer = f.officer()
    f.CaseFactory(officer=officer)
    f.CaseFactory(officer=officer, accepted=True)
    f.CaseFactory(officer=officer, active=True)  # accepted, as far as the officer knows
    f.CaseFactory(officer=officer, declined=True)
    f.CaseFactory(active=True)  # someone else's
    counts = {key: n for key, _label, n in dashboard.officer_outcomes(officer)}
    assert counts == {"referred": 1, "accepted": 2, "declined": 1, "non_compliant": 0}
    with pytest.raises(NotPermitted):
        dashboard.officer_outcomes(f.evaluator())
