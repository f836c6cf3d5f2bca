"""The program's outcomes dashboard: every figure aggregated in the database (one grouped query a
figure, whatever the number of cases), optionally broken down by race or ethnicity with counts
under 11 suppressed, each as a table a chart is drawn from and a CSV is written from.

The cohort is the referrals made in the chosen dates (days of the program's time zone), of one
agency or all; exits, flags and engagement are counted by when they happened in those dates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    Integer,
    String,
    and_,
    asc,
    case,
    cast,
    desc,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql.expression import ColumnElement

from portal.clock import local_instant, local_today
from portal.extensions import db
from portal.models import (
    Agency,
    AttendanceMonth,
    Case,
    CaseStatus,
    ComplianceFlag,
    Episode,
    Ethnicity,
    ExitReason,
    FlagStatus,
    Housing,
    Income,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    Person,
    Race,
    ServiceReferral,
    User,
)
from portal.policy import (
    OFFICER_FILTER_LABELS,
    OFFICER_FILTERS,
    can_view_reports,
    is_officer,
    require,
)
from portal.services.sql_dates import add_days, days_after

SMALL = 11  # a count under this is suppressed in a breakdown (1..10 shown as "<11")
MAX_MONTHS = 60  # the longest range the dashboard reads
OFFICE = "Program office (community, family, self, phone)"
# The most rows a table of agencies or case managers shows (those with the most); the rest are
# summed into one row, so the page stays the same size whatever the directory's.
MAX_NAMED_ROWS = 25
NOT_ASKED = "Not asked"


@dataclass(frozen=True)
class Filters:
    start: dt.date  # the first day counted
    end: dt.date  # the last day counted
    agency_id: int | None = None
    by: str | None = None  # None, "race" or "ethnicity"

    @property
    def since(self) -> dt.datetime:
        return local_instant(self.start, dt.time())

    @property
    def until(self) -> dt.datetime:
        return local_instant(self.end + dt.timedelta(days=1), dt.time())


def default_filters(today: dt.date | None = None) -> Filters:
    """The last twelve months, this one included."""
    today = today or local_today()
    return Filters(month_start(today, -11), today)


def month_start(day: dt.date, months_later: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months_later
    return dt.date(index // 12, index % 12 + 1, 1)


def months_of(filters: Filters) -> list[dt.date]:
    months, month = [], month_start(filters.start)
    while month <= filters.end and len(months) < MAX_MONTHS:
        months.append(month)
        month = month_start(month, 1)
    return months


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "count"  # count | share | days | average
    # For a share or an average: the index of the count it is taken of (its denominator), so
    # a small denominator suppresses it too.
    of: int | None = None


@dataclass
class Table:
    key: str  # its CSV's name
    title: str
    description: str
    label: str  # the heading of the row labels
    columns: list[Column]
    rows: list[tuple[str, str | None, list]]  # (label, group, values)
    by: str | None = None
    chart: tuple[int, ...] = ()  # the columns drawn, if the figure has a chart
    notes: list[str] = field(default_factory=list)

    @property
    def group_label(self) -> str | None:
        return {"race": "Race", "ethnicity": "Ethnicity"}.get(self.by or "")

    def cells(self, values: list) -> list[str]:
        """The values as shown: counts under 11 suppressed in a breakdown, with what is
        derived from them."""
        return [
            format_cell(column, value, self._small(i, values))
            for i, (column, value) in enumerate(zip(self.columns, values, strict=True))
        ]

    def _small(self, index: int, values: list) -> bool:
        if not self.by:
            return False
        column = self.columns[index]
        base = values[index] if column.kind == "count" else None
        if column.of is not None:
            base = values[column.of]
        return base is not None and 0 < base < SMALL

    def csv_rows(self) -> list[list[str]]:
        head = (
            ([self.group_label] if self.by else []) + [self.label] + [c.label for c in self.columns]
        )
        body = [
            ([group or ""] if self.by else []) + [label, *self.cells(values)]
            for label, group, values in self.rows
        ]
        return [head, *body]


SUPPRESSED = "<11"


def format_cell(column: Column, value, small: bool) -> str:
    if small:
        return SUPPRESSED
    if value is None:
        return "–"
    if column.kind == "share":
        return f"{value:.0%}"
    if column.kind in ("days", "average"):
        return f"{value:,.1f}"
    return f"{value:,}"


def _share(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


# --- the cohort, the breakdown ----------------------------------------------------------------


def _group(filters: Filters) -> ColumnElement:
    if filters.by == "race":
        return Person.race
    if filters.by == "ethnicity":
        return Person.ethnicity
    return literal(None)


def _group_name(filters: Filters, value) -> str | None:
    if not filters.by:
        return None
    if value is None:
        return NOT_ASKED
    enum_cls = Race if filters.by == "race" else Ethnicity
    return enum_cls(value).label


def _order(filters: Filters) -> list[str | None]:
    if not filters.by:
        return [None]
    enum_cls = Race if filters.by == "race" else Ethnicity
    return [m.label for m in enum_cls] + [NOT_ASKED]


def _cases(filters: Filters, *columns, referred_in_range: bool = True):
    """select(columns) from the cases (joined to their person for a breakdown), of the agency
    chosen."""
    query = select(*columns).select_from(Case)
    if filters.by:
        query = query.join(Person, Person.id == Case.person_id)
    if filters.agency_id is not None:
        query = query.where(Case.agency_id == filters.agency_id)
    if referred_in_range:
        query = query.where(Case.referred_at >= filters.since, Case.referred_at < filters.until)
    return query


def _grouped(filters: Filters, found, labels: Sequence[str], width: int) -> list:
    """Rows (label, group, values) in label order then group order, zeros where nothing was
    found: `found` maps (label, group name) to values."""
    rows = []
    for label in labels:
        for group in _order(filters):
            values = found.get((label, group))
            if values is None:
                if filters.by and not any(k[1] == group for k in found):
                    continue  # a group with nobody in it at all: no rows of zeros
                values = [0] * width
            rows.append((label, group, list(values)))
    return rows


def _bounded(found: dict, others: str, last: str | None = None) -> tuple[dict, list[str]]:
    """At most MAX_NAMED_ROWS names (those with the most in the first column, all groups
    together) in name order, `last` after them; the other names' counts summed into one row
    ("12 other agencies"). `found` maps (name, group name) to counts."""
    totals: dict[str, int] = defaultdict(int)
    for (name, _group), values in found.items():
        totals[name] += values[0] or 0
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    kept = set(ranked[:MAX_NAMED_ROWS])
    labels = sorted(kept, key=lambda name: (name == last, name))
    if len(ranked) <= MAX_NAMED_ROWS:
        return found, labels
    other = f"{len(ranked) - MAX_NAMED_ROWS:,} {others}"
    bounded: dict = {}
    for (name, group), values in found.items():
        key = (name, group) if name in kept else (other, group)
        summed = bounded.get(key)
        bounded[key] = (
            list(values) if summed is None else [a + b for a, b in zip(summed, values, strict=True)]
        )
    return bounded, [*labels, other]


# --- the figures -------------------------------------------------------------------------------


def referrals_by_month(filters: Filters) -> Table:
    months = months_of(filters)
    bounds = [local_instant(m, dt.time()) for m in [*months[1:], month_start(months[-1], 1)]]
    index = case(*[(Case.referred_at < b, i) for i, b in enumerate(bounds)], else_=len(months))
    accepted = Case.status.not_in([CaseStatus.REFERRED, CaseStatus.DECLINED])
    group = _group(filters)
    rows = db.session.execute(
        _cases(
            filters,
            index.label("month"),
            group.label("g"),
            func.count(),
            func.count().filter(accepted),
            func.count().filter(Case.intake_completed_on.is_not(None)),
        ).group_by(index, group)
    ).all()
    found = {}
    for month, g, *values in rows:
        if month < len(months):
            found[(f"{months[month]:%b %Y}", _group_name(filters, g))] = values
    labels = [f"{m:%b %Y}" for m in months]
    return Table(
        "referrals-by-month",
        "Referrals by month",
        "Referrals received each month, those the program accepted at screening, and those "
        "that reached intake (enrolled).",
        "Month",
        [Column("Referrals"), Column("Accepted"), Column("Enrolled")],
        _grouped(filters, found, labels, 3),
        filters.by,
        chart=(0, 2),
    )


def referrals_by_agency(filters: Filters) -> Table:
    accepted = Case.status.not_in([CaseStatus.REFERRED, CaseStatus.DECLINED])
    screened = Case.status != CaseStatus.REFERRED
    group = _group(filters)
    rows = db.session.execute(
        _cases(
            filters,
            Case.agency_id,
            group.label("g"),
            func.count(),
            func.count().filter(screened),
            func.count().filter(accepted),
        ).group_by(Case.agency_id, group)
    ).all()
    names = dict(
        db.session.execute(
            select(Agency.id, Agency.name).where(Agency.id.in_({r[0] for r in rows if r[0]}))
        ).all()
    )
    found = {}
    for agency_id, g, total, screened_count, accepted_count in rows:
        label = names.get(agency_id, OFFICE) if agency_id else OFFICE
        found[(label, _group_name(filters, g))] = [total, screened_count, accepted_count]
    found, labels = _bounded(found, "other agencies", last=OFFICE)
    for values in found.values():
        values.append(_share(values[2], values[1]))
    return Table(
        "referrals-by-agency",
        "Referrals by agency",
        "Referrals each agency made, and the share of those screened that the program accepted.",
        "Agency",
        [
            Column("Referrals"),
            Column("Screened"),
            Column("Accepted"),
            Column("Accepted", "share", 1),
        ],
        _grouped(filters, found, labels, 4),
        filters.by,
    )


def decline_reasons(filters: Filters) -> Table:
    group = _group(filters)
    rows = db.session.execute(
        _cases(filters, Case.decline_reason, group.label("g"), func.count())
        .where(Case.status == CaseStatus.DECLINED)
        .group_by(Case.decline_reason, group)
    ).all()
    found = {((r or "No reason recorded"), _group_name(filters, g)): [n] for r, g, n in rows}
    labels = sorted({k[0] for k in found})
    return Table(
        "decline-reasons",
        "Referrals declined at screening, by reason",
        "The program's exclusion reasons, as the screener chose them.",
        "Reason",
        [Column("Declined")],
        _grouped(filters, found, labels, 1),
        filters.by,
    )


def _median(histogram: dict[int, int]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram.items())

    def nth(n: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > n:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def time_to_intake(filters: Filters) -> Table:
    """Median days from referral to intake (the referral's day in UTC: within a day), and the
    share of accepted referrals enrolled by their deadline. One grouped query: the days are
    counted per value (a histogram), the median read from it."""
    accepted = Case.status.not_in([CaseStatus.REFERRED, CaseStatus.DECLINED])
    enrolled = Case.intake_completed_on.is_not(None)
    days = case((enrolled, days_after(Case.intake_completed_on, Case.referred_at)), else_=-1)
    on_time = and_(enrolled, Case.intake_completed_on <= Case.intake_deadline)
    group = _group(filters)
    rows = db.session.execute(
        _cases(
            filters,
            group.label("g"),
            days.label("days"),
            func.count(),
            func.count().filter(on_time),
        )
        .where(accepted)
        .group_by(group, days)
    ).all()
    totals: dict = defaultdict(lambda: [0, 0, 0])
    histograms: dict = defaultdict(dict)
    for g, day_count, n, in_time in rows:
        name = _group_name(filters, g)
        totals[name][0] += n
        totals[name][2] += in_time
        if day_count >= 0:
            totals[name][1] += n
            histograms[name][int(day_count)] = histograms[name].get(int(day_count), 0) + n
    found = {
        ("Accepted referrals", name): [
            t[0],
            t[1],
            _median(histograms[name]),
            _share(t[2], t[0]),
        ]
        for name, t in totals.items()
    }
    return Table(
        "time-to-intake",
        "Time from referral to intake",
        "Of the referrals the program accepted: how many reached intake, the median days it "
        "took, and the share enrolled by their intake deadline.",
        "Referrals",
        [
            Column("Accepted"),
            Column("Enrolled"),
            Column("Median days to intake", "days", 1),
            Column("Enrolled by the deadline", "share", 0),
        ],
        _grouped(filters, found, ["Accepted referrals"], 4),
        filters.by,
    )


def caseloads(filters: Filters) -> Table:
    """Active participants of each case manager today (whatever the dates)."""
    group = _group(filters)
    rows = db.session.execute(
        _cases(filters, User.name, group.label("g"), func.count(), referred_in_range=False)
        .join(User, User.id == Case.case_manager_id)
        .where(Case.status == CaseStatus.ACTIVE)
        .group_by(User.id, User.name, group)
    ).all()
    found = {(name, _group_name(filters, g)): [n] for name, g, n in rows}
    found, labels = _bounded(found, "other case managers")
    return Table(
        "caseloads",
        "Active caseload per case manager",
        "Active participants assigned to each case manager today (the program's guidance is "
        "12 to 15, never over 25).",
        "Case manager",
        [Column("Active participants")],
        _grouped(filters, found, labels, 1),
        filters.by,
    )


def engagement(filters: Filters) -> Table:
    """Each month: participants active in it, sessions they attended, and the sessions per
    participant."""
    months = months_of(filters)
    ends = [month_start(m, 1) for m in months]
    participants = _active_participants(filters, months, ends)
    sessions = _sessions_attended(filters, months, ends)
    admitted_in = case(*[(Episode.admitted_on < e, i) for i, e in enumerate(ends)], else_=len(ends))
    admitted = db.session.execute(
        _cases(
            filters, admitted_in.label("month"), _group(filters).label("g"), func.count(),
            referred_in_range=False,
        )
        .join(ServiceReferral, ServiceReferral.case_id == Case.id)
        .join(Episode, Episode.service_referral_id == ServiceReferral.id)
        .where(Episode.admitted_on >= months[0], Episode.admitted_on < ends[-1])
        .group_by(admitted_in, _group(filters))
    ).all()  # fmt: skip
    stays = {(m, _group_name(filters, g)): n for m, g, n in admitted}
    found = {}
    for g, *counts in participants:
        name = _group_name(filters, g)
        for i, month in enumerate(months):
            n, e = sessions.get((i, name), 0), stays.get((i, name), 0)
            found[(f"{month:%b %Y}", name)] = [counts[i], n, e, _share(n + e, counts[i])]
    return Table(
        "engagement",
        "Engagement by month",
        "Participants active in each month, the service sessions they attended and the "
        "episodes (detox, crisis stabilisation, residential) they were admitted to, and both "
        "per active participant.",
        "Month",
        [
            Column("Active participants"),
            Column("Sessions attended"),
            Column("Episodes begun"),
            Column("Sessions and episodes per participant", "average", 0),
        ],
        _grouped(filters, found, [f"{m:%b %Y}" for m in months], 4),
        filters.by,
        chart=(3,),
    )


def _active_participants(filters: Filters, months: list[dt.date], ends: list[dt.date]) -> list:
    """Rows (group, active in month 0, ..., active in month n): enrolled before the month
    ended and not closed before it began.

    Only the cases active in one of the months are read (ix_cases_closed_on_cohort's two
    ranges, with their agency and person), never every case ever enrolled; for the whole
    program the group is one (None)."""
    group = _group(filters)
    active = [
        func.count().filter(
            Case.intake_completed_on < after,
            or_(Case.closed_on.is_(None), Case.closed_on >= first),
        )
        for first, after in zip(months, ends, strict=True)
    ]
    # Active in at least one of the months: ix_cases_closed_on_cohort's two ranges (still open;
    # closed since the first month began) read alone, never every case ever enrolled.
    return db.session.execute(
        _cases(filters, group.label("g"), *active, referred_in_range=False)
        .where(
            Case.intake_completed_on < ends[-1],
            or_(Case.closed_on.is_(None), Case.closed_on >= months[0]),
        )
        .group_by(group)
    ).all()


def _sessions_attended(filters: Filters, months: list[dt.date], ends: list[dt.date]) -> dict:
    """Sessions attended each month, by group: {(month index, group name): count}.

    Read from attendance_months (the database keeps it from attendance: a row a participant a
    month, its month the first day) through ix_attendance_months_month_case alone, grouped by
    that month as stored, joined to the cases only for an agency or a breakdown, never a row a
    session."""
    in_range = (AttendanceMonth.month >= months[0], AttendanceMonth.month < ends[-1])
    attended = func.sum(AttendanceMonth.attended)
    month = AttendanceMonth.month
    if not filters.by and filters.agency_id is None:
        query = select(month, literal(None).label("g"), attended).where(*in_range)
        group_by = [month]
    else:
        group = _group(filters)
        query = (
            _cases(filters, month, group.label("g"), attended, referred_in_range=False)
            .join(AttendanceMonth, AttendanceMonth.case_id == Case.id)
            .where(*in_range)
        )
        group_by = [month, group]
    index = {m: i for i, m in enumerate(months)}
    found: dict = defaultdict(int)
    for first_day, g, n in db.session.execute(query.group_by(*group_by)).all():
        if first_day in index:  # the triggers write first days only
            found[(index[first_day], _group_name(filters, g))] += int(n or 0)
    return dict(found)


def compliance_flags(filters: Filters) -> Table:
    group = _group(filters)
    rows = db.session.execute(
        _cases(
            filters, ComplianceFlag.status, group.label("g"), func.count(), referred_in_range=False
        )
        .join(ComplianceFlag, ComplianceFlag.case_id == Case.id)
        .where(ComplianceFlag.raised_at >= filters.since, ComplianceFlag.raised_at < filters.until)
        .group_by(ComplianceFlag.status, group)
    ).all()
    by_group: dict = defaultdict(lambda: dict.fromkeys(FlagStatus, 0))
    for status, g, n in rows:
        by_group[_group_name(filters, g)][FlagStatus(status)] += n
    found = {}
    for name, counts in by_group.items():
        found[("Flags raised", name)] = [sum(counts.values())]
        for status, label in [
            (FlagStatus.DISMISSED, "Dismissed by a case manager"),
            (FlagStatus.CONFIRMED, "Confirmed (the officer was told)"),
            (FlagStatus.RESOLVED, "Resolved (the breach went away)"),
            (FlagStatus.OPEN, "Waiting for review"),
        ]:
            found[(label, name)] = [counts[status]]
    labels = [
        "Flags raised",
        "Dismissed by a case manager",
        "Confirmed (the officer was told)",
        "Resolved (the breach went away)",
        "Waiting for review",
    ]
    return Table(
        "compliance-flags",
        "Compliance flags",
        "Flags the program's rules raised in these dates, and what became of them.",
        "Flags",
        [Column("Flags")],
        _grouped(filters, found, labels, 1) if found else [],
        filters.by,
    )


def exits(filters: Filters) -> Table:
    group = _group(filters)
    rows = db.session.execute(
        _cases(filters, Case.exit_reason, group.label("g"), func.count(), referred_in_range=False)
        .where(Case.closed_on >= filters.start, Case.closed_on <= filters.end)
        .where(Case.exit_reason.is_not(None))
        .group_by(Case.exit_reason, group)
    ).all()
    found = {(ExitReason(r).label, _group_name(filters, g)): [n] for r, g, n in rows}
    labels = [r.label for r in ExitReason if any(k[0] == r.label for k in found)]
    return Table(
        "exits",
        "Exits by reason",
        "Participants who left the program in these dates, by the coded reason.",
        "Reason",
        [Column("Exits")],
        _grouped(filters, found, labels, 1),
        filters.by,
        chart=(0,),
    )


def _events(before: int, after: int, *, arrests_only: bool = True):
    """Events of the case's person in [intake + before, intake + after) days."""
    start = add_days(Case.intake_completed_on, before)
    end = add_days(Case.intake_completed_on, after)
    conditions = [
        JusticeEvent.person_id == Case.person_id,
        JusticeEvent.occurred_on >= start,
        JusticeEvent.occurred_on < end,
    ]
    if arrests_only:
        conditions.append(JusticeEvent.kind == JusticeEventKind.ARREST)
    return conditions


def _enrolled(filters: Filters, *columns):
    """Participants who enrolled (intake) in the dates, of the agency chosen."""
    return _cases(filters, *columns, referred_in_range=False).where(
        Case.intake_completed_on >= filters.start, Case.intake_completed_on <= filters.end
    )


def rearrest(filters: Filters, today: dt.date | None = None) -> Table:
    """Participants enrolled in the dates with an arrest in the 12 months before enrollment,
    and in the 6 and 12 months after (counted only for those enrolled that long ago)."""
    today = today or local_today()
    group = _group(filters)
    six = Case.intake_completed_on <= today - dt.timedelta(days=182)
    twelve = Case.intake_completed_on <= today - dt.timedelta(days=365)
    before = exists(select(JusticeEvent.id).where(*_events(-365, 0)))
    after6 = exists(select(JusticeEvent.id).where(*_events(1, 183)))
    after12 = exists(select(JusticeEvent.id).where(*_events(1, 366)))
    rows = db.session.execute(
        _enrolled(
            filters,
            group.label("g"),
            func.count(),
            func.count().filter(before),
            func.count().filter(six),
            func.count().filter(six, after6),
            func.count().filter(twelve),
            func.count().filter(twelve, after12),
        ).group_by(group)
    ).all()
    found = {}
    for g, n, n_before, n6, a6, n12, a12 in rows:
        name = _group_name(filters, g)
        found[("12 months before enrollment", name)] = [n, n_before, _share(n_before, n)]
        found[("6 months after enrollment", name)] = [n6, a6, _share(a6, n6)]
        found[("12 months after enrollment", name)] = [n12, a12, _share(a12, n12)]
    labels = [
        "12 months before enrollment",
        "6 months after enrollment",
        "12 months after enrollment",
    ]
    return Table(
        "rearrest",
        "Re-arrest before and after enrollment",
        "Of the participants enrolled in these dates: those arrested in the 12 months before "
        "enrollment, and in the 6 and 12 months after (counted for those enrolled at least that "
        "long ago).",
        "Period",
        [Column("Participants"), Column("Arrested"), Column("Arrested", "share", 0)],
        _grouped(filters, found, labels, 3),
        filters.by,
        chart=(2,),
    )


def jail(filters: Filters, today: dt.date | None = None) -> Table:
    """Bookings and jail days in the 12 months before and after enrollment, per participant
    enrolled at least 12 months ago."""
    today = today or local_today()
    group = _group(filters)

    def total(column, before: int, after: int):
        return (
            select(func.coalesce(func.sum(column), 0))
            .where(*_events(before, after, arrests_only=False))
            .scalar_subquery()
        )

    booked = func.cast(JusticeEvent.booked, Integer)
    rows = db.session.execute(
        _enrolled(
            filters,
            group.label("g"),
            func.count(),
            func.sum(total(booked, -365, 0)),
            func.sum(total(JusticeEvent.jail_days, -365, 0)),
            func.sum(total(booked, 1, 366)),
            func.sum(total(JusticeEvent.jail_days, 1, 366)),
        )
        .where(Case.intake_completed_on <= today - dt.timedelta(days=365))
        .group_by(group)
    ).all()
    found = {}
    for g, n, b_before, d_before, b_after, d_after in rows:
        name = _group_name(filters, g)
        found[("12 months before enrollment", name)] = [
            n, b_before or 0, _share(b_before, n), d_before or 0, _share(d_before, n)
        ]  # fmt: skip
        found[("12 months after enrollment", name)] = [
            n, b_after or 0, _share(b_after, n), d_after or 0, _share(d_after, n)
        ]  # fmt: skip
    return Table(
        "jail",
        "Jail bookings and days",
        "Of the participants enrolled in these dates at least 12 months ago: jail bookings and "
        "days in the 12 months before enrollment and the 12 months after, in all and per "
        "participant.",
        "Period",
        [
            Column("Participants"),
            Column("Bookings"),
            Column("Bookings per participant", "average", 0),
            Column("Jail days"),
            Column("Jail days per participant", "average", 0),
        ],
        _grouped(filters, found, ["12 months before enrollment", "12 months after enrollment"], 5),
        filters.by,
        chart=(2, 4),
    )


STATUS_COLUMNS = ("housing", "income")


def status_spans(filters: Filters) -> list:
    """Rows (group, housing first, housing latest, income first, income latest, count) of the
    participants enrolled in the dates with a monthly status: one query for both figures. A
    case's first and its latest month are each one correlated subquery (housing and income read
    together, "housing|income") seeking the (case, month, housing, income) index: two seeks a
    case, never the whole table grouped or hashed."""
    group = _group(filters)
    both = (
        cast(MonthlyStatus.housing, String).concat("|").concat(cast(MonthlyStatus.income, String))
    )

    def month(order):
        return (
            select(both)
            .where(MonthlyStatus.case_id == Case.id)
            .order_by(order(MonthlyStatus.month))
            .limit(1)
            .correlate(Case)
            .scalar_subquery()
        )

    cohort = _enrolled(
        filters, group.label("g"), month(asc).label("first"), month(desc).label("latest")
    ).subquery()
    # Those without a status come back as one group of Nones (the figures skip it): a filter
    # here would have PostgreSQL run each subquery twice.
    rows = db.session.execute(
        select(cohort.c.g, cohort.c.first, cohort.c.latest, func.count()).group_by(
            cohort.c.g, cohort.c.first, cohort.c.latest
        )
    ).all()
    spans = []
    for g, first, latest, n in rows:
        housing_first, income_first = first.split("|") if first else (None, None)
        housing_latest, income_latest = latest.split("|") if latest else (None, None)
        spans.append((g, housing_first, housing_latest, income_first, income_latest, n))
    return spans


def _first_and_latest(
    filters: Filters, column, enum_cls, key: str, title: str, noun: str, spans=None
):
    spans = status_spans(filters) if spans is None else spans
    at = 1 + 2 * STATUS_COLUMNS.index(column)
    rows = [(r[at], r[at + 1], r[0], r[-1]) for r in spans if r[at] is not None]
    at_start: dict = defaultdict(int)
    latest: dict = defaultdict(int)
    for first_value, last_value, g, n in rows:
        name = _group_name(filters, g)
        at_start[(enum_cls(first_value).label, name)] += n
        latest[(enum_cls(last_value).label, name)] += n
    found = {key_: [at_start.get(key_, 0), latest.get(key_, 0)] for key_ in {*at_start, *latest}}
    labels = [m.label for m in enum_cls]
    return Table(
        key,
        title,
        f"Of the participants enrolled in these dates with a monthly status: their {noun} in "
        "their first month recorded and in their latest.",
        title.split(" at ")[0],
        [Column("At enrollment"), Column("Latest")],
        _grouped(filters, found, labels, 2) if found else [],
        filters.by,
        chart=(0, 1),
    )


def housing(filters: Filters, spans=None) -> Table:
    return _first_and_latest(
        filters, "housing", Housing, "housing", "Housing at enrollment and latest", "housing", spans
    )


def income(filters: Filters, spans=None) -> Table:
    return _first_and_latest(
        filters,
        "income",
        Income,
        "income",
        "Income at enrollment and latest",
        "monthly income",
        spans,
    )


FIGURES = {
    "referrals-by-month": referrals_by_month,
    "referrals-by-agency": referrals_by_agency,
    "decline-reasons": decline_reasons,
    "time-to-intake": time_to_intake,
    "caseloads": caseloads,
    "engagement": engagement,
    "compliance-flags": compliance_flags,
    "exits": exits,
    "rearrest": rearrest,
    "jail": jail,
    "housing": housing,
    "income": income,
}


def officer_outcomes(officer: User) -> list[tuple[str, str, int]]:
    """An officer's own referrals counted by the status they may see of each (what the program
    decided at screening, and a return before intake): one query, nothing clinical."""
    require(is_officer(officer), "Only officers count their own referrals.")
    counts = db.session.execute(
        select(*[func.count().filter(rule) for rule in OFFICER_FILTERS.values()]).where(
            Case.officer_id == officer.id
        )
    ).one()
    return [
        (key, OFFICER_FILTER_LABELS[key], count)
        for key, count in zip(OFFICER_FILTERS, counts, strict=True)
    ]


def dashboard(actor: User, filters: Filters) -> list[Table]:
    """Every figure, for the program office and evaluators."""
    require(can_view_reports(actor), "Only the program office and evaluators read reports.")
    spans = status_spans(filters)  # housing's and income's one query
    return [
        figure(filters, spans) if figure in (housing, income) else figure(filters)
        for figure in FIGURES.values()
    ]


def figure(actor: User, key: str, filters: Filters) -> Table:
    require(can_view_reports(actor), "Only the program office and evaluators read reports.")
    return FIGURES[key](filters)
