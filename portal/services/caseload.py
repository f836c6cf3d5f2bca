"""Case managers and their caseloads: who a case is assigned to, the lists filtered by it, each
case manager's open cases against the program's guidance, and the outreach queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Bundle
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.models import Case, CaseStatus, Contact, ContactKind, User
from portal.policy import (
    assignable_case_managers,
    can_manage_case,
    case_scope,
    is_case_manager,
    require,
)
from portal.services.cases import OFFICE_ONLY, check_version, set_case_manager
from portal.services.errors import InvalidTransition, ValidationFailed
from portal.services.paging import Key, Page, keyset_page

# Cases a case manager carries: not yet closed (referred, accepted or active).
OPEN_STATUSES = tuple(s for s in CaseStatus if s.is_open)
MANAGER_CHOICES = 100  # case managers offered by a select, at most (by name)
UNKNOWN = "Choose a case manager from the list."


def manager_choices(keep: int | None = None) -> list[User]:
    """Active case managers by name (at most MANAGER_CHOICES), the one chosen already always
    among them (even one no longer assignable, so a select still shows who holds the case)."""
    query = select(User).where(assignable_case_managers(keep))
    order = [User.name, User.id] if keep is None else [(User.id == keep).desc(), User.name, User.id]
    rows = db.session.scalars(query.order_by(*order).limit(MANAGER_CHOICES)).all()
    return sorted(rows, key=lambda u: (u.name, u.id))


def assign_case_manager(
    case: Case, actor: User, case_manager_id: int | None, version: int | None
) -> User | None:
    """Assign an open case to an active case manager (None: unassign it), from the version of
    the case the person saw: a stale copy is refused, so a concurrent assignment is never
    silently overwritten."""
    require(can_manage_case(actor), OFFICE_ONLY)
    check_version(case, version)
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"A case that is {case.status.label.lower()} keeps the case manager it had."
        )
    manager = None
    if case_manager_id is not None:
        manager = db.session.get(User, case_manager_id)
        if manager is None:
            raise ValidationFailed(UNKNOWN, field="case_manager_id")
        if not is_case_manager(manager):
            raise ValidationFailed(
                f"{manager.name} does not hold the case-manager duty: choose a case manager.",
                field="case_manager_id",
            )
        if not manager.active:
            raise ValidationFailed(
                f"{manager.name}'s account is deactivated: choose an active case manager.",
                field="case_manager_id",
            )
    if case.case_manager_id != case_manager_id:
        set_case_manager(case, manager, actor)
    return manager


# --- lists filtered by case manager ------------------------------------------------------------

MINE, UNASSIGNED = "mine", "none"


@dataclass(frozen=True)
class ManagerFilter:
    """The case-manager filter of a list: its value as the address carries it ("" for any,
    "mine", "none", or a user's id) and the condition it puts on cases."""

    value: str
    condition: ColumnElement[bool] | None
    chosen_id: int | None  # the named case manager, kept among the select's choices

    def apply(self, query: Select) -> Select:
        return query if self.condition is None else query.where(self.condition)


def manager_filter(text: str | None, actor: User) -> ManagerFilter:
    """Read the filter; anything unreadable means any case manager."""
    text = (text or "").strip()[:12]
    if text == MINE:
        return ManagerFilter(MINE, Case.case_manager_id == actor.id, None)
    if text == UNASSIGNED:
        return ManagerFilter(UNASSIGNED, Case.case_manager_id.is_(None), None)
    if text.isdigit() and 0 < int(text) < 2**31:
        return ManagerFilter(text, Case.case_manager_id == int(text), int(text))
    return ManagerFilter("", None, None)


def filter_choices(selected: ManagerFilter) -> list[tuple[str, str]]:
    """The options of a list's case-manager filter."""
    named = [(str(u.id), u.name) for u in manager_choices(selected.chosen_id)]
    return [("", "Any case manager"), (MINE, "Mine"), (UNASSIGNED, "Unassigned"), *named]


# --- caseload ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guidance:
    """The program's caseload guidance: open cases a case manager should carry, and the count
    over which a caseload is flagged."""

    guidance: int
    flag_over: int

    def above(self, count: int) -> bool:
        return count > self.guidance

    def flagged(self, count: int) -> bool:
        return count > self.flag_over


CASELOAD_KEYS = [Key(User.name, str), Key(User.id, int)]


def caseload_page(cursor: str | None, size: int) -> Page:
    """Active case managers by name, each with their open cases counted by status (one
    aggregate query per page); rows have id, name, open_cases, referred, accepted, active."""

    def counting(status: CaseStatus):
        return func.count(Case.id).filter(Case.status == status)

    load = Bundle(
        "load",
        User.id,
        User.name,
        func.count(Case.id).label("open_cases"),
        counting(CaseStatus.REFERRED).label("referred"),
        counting(CaseStatus.ACCEPTED).label("accepted"),
        counting(CaseStatus.ACTIVE).label("active"),
    )
    query = (
        select(load)
        .select_from(User)
        .outerjoin(Case, and_(Case.case_manager_id == User.id, Case.status.in_(OPEN_STATUSES)))
        .where(assignable_case_managers())
        .group_by(User.id, User.name)
    )
    return keyset_page(query, CASELOAD_KEYS, cursor, size)


def unassigned_open_cases() -> Select:
    """Open cases nobody is assigned to (to count)."""
    return select(Case.id).where(Case.status.in_(OPEN_STATUSES), Case.case_manager_id.is_(None))


# --- outreach ----------------------------------------------------------------------------------

OUTREACH_KEYS = [Key(Case.intake_deadline, dt.date), Key(Case.id, int)]


def outreach_cases(actor: User) -> Select:
    """Accepted cases not yet at intake that the user may see: the people to reach."""
    return case_scope(actor).where(Case.status == CaseStatus.ACCEPTED)


@dataclass(frozen=True)
class Outreach:
    """A case's latest contact (an outreach attempt, or a contact made) and how many there
    were."""

    contacted_on: dt.date
    kind: ContactKind
    contacts: int


def latest_contacts(case_ids: list[int]) -> dict[int, Outreach]:
    """The latest contact of each of these cases, with their count (one query)."""
    if not case_ids:
        return {}
    ranked = (
        select(
            Contact.case_id,
            Contact.contacted_on,
            Contact.kind,
            func.row_number()
            .over(
                partition_by=Contact.case_id,
                order_by=(Contact.contacted_on.desc(), Contact.id.desc()),
            )
            .label("rank"),
            func.count().over(partition_by=Contact.case_id).label("contacts"),
        )
        .where(Contact.case_id.in_(case_ids))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.case_id, ranked.c.contacted_on, ranked.c.kind, ranked.c.contacts).where(
            ranked.c.rank == 1
        )
    ).all()
    return {r.case_id: Outreach(r.contacted_on, ContactKind(r.kind), r.contacts) for r in rows}
