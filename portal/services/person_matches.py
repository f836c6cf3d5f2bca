"""Possible duplicate person records, for the program office at screening: link a referral to an
earlier record of the same person, or keep two records apart for good.

An officer's duplicate check offers only people that officer referred (cases.matching_persons);
across officers and agencies only the office sees, and decides, which records are one person.

A possible match of a person: another record with the same date of birth and a similar name
(the same last name, whatever the first; first and last names swapped; or one's last name among
the other's aliases), not kept apart from it. Every query is bounded and found through the date
of birth index (ix_persons_dob_last_name); nothing is filtered in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from portal.clock import utcnow
from portal.database import savepoint
from portal.extensions import db
from portal.models import (
    Case,
    MatchDecision,
    Person,
    PersonMatchDecision,
    TimelineKind,
    User,
)
from portal.policy import can_manage_case, require
from portal.services.cases import OFFICE_ONLY, check_version, merge_aliases
from portal.services.errors import ValidationFailed
from portal.services.same_person import open_twin, similar
from portal.services.timeline import add_entry

MATCH_LIMIT = 10  # possible matches shown on a case page, best first
REFERRALS_SHOWN = 5  # earlier referrals listed for each, newest first
NO_LONGER = (
    "That record is no longer a possible match for this person. The page now shows the latest."
)


def _closeness(mine, other) -> ColumnElement[int]:
    """How close a possible match is (lower first): the same name, the same initial and last
    name, the same last name, then swapped names and aliases."""
    same_last = func.lower(other.last_name) == func.lower(mine.last_name)
    return sql_case(
        (and_(same_last, func.lower(other.first_name) == func.lower(mine.first_name)), 0),
        (
            and_(
                same_last,
                func.lower(func.substr(other.first_name, 1, 1))
                == func.lower(func.substr(mine.first_name, 1, 1)),
            ),
            1,
        ),
        (same_last, 2),
        else_=3,
    )


def matches_of(person_id: int) -> Select:
    """The query of a person's possible matches, closest first, bounded."""
    mine, other = aliased(Person), aliased(Person)
    return (
        select(other)
        .join(mine, mine.id == person_id)
        .where(similar(mine, other))
        .order_by(_closeness(mine, other), other.id)
        .limit(MATCH_LIMIT)
    )


def marked_among(case_ids: list[int]) -> Select:
    """The query of which of these cases' persons have a possible match."""
    mine, other = aliased(Person), aliased(Person)
    return (
        select(Case.id)
        .join(mine, mine.id == Case.person_id)
        .where(Case.id.in_(case_ids), exists(select(other.id).where(similar(mine, other))))
    )


@dataclass(frozen=True)
class PossibleMatch:
    person: Person
    referrals: list[Case]  # newest first, at most REFERRALS_SHOWN, with their agency
    more: int  # earlier referrals not listed


def possible_matches(case: Case, actor: User) -> list[PossibleMatch]:
    """The possible matches of the case's person, best first, each with its earlier referrals
    (two queries, whatever their number)."""
    require(can_manage_case(actor), OFFICE_ONLY)
    people = list(db.session.scalars(matches_of(case.person_id)))
    if not people:
        return []
    ranked = (
        select(
            Case.id,
            func.row_number()
            .over(partition_by=Case.person_id, order_by=(Case.referred_at.desc(), Case.id.desc()))
            .label("rank"),
            func.count().over(partition_by=Case.person_id).label("total"),
        )
        .where(Case.person_id.in_([p.id for p in people]))
        .subquery()
    )
    rows = db.session.execute(
        select(Case, ranked.c.total)
        .join(ranked, ranked.c.id == Case.id)
        .where(ranked.c.rank <= REFERRALS_SHOWN)
        .options(joinedload(Case.agency))
        .order_by(Case.referred_at.desc(), Case.id.desc())
    ).all()
    referrals: dict[int, list[Case]] = {p.id: [] for p in people}
    totals: dict[int, int] = {}
    for referral, total in rows:
        referrals[referral.person_id].append(referral)
        totals[referral.person_id] = total
    return [
        PossibleMatch(p, referrals[p.id], totals.get(p.id, 0) - len(referrals[p.id]))
        for p in people
    ]


def cases_with_possible_matches(case_ids: list[int], actor: User) -> set[int]:
    """Which of these cases' persons have a possible match (one query for a whole list)."""
    require(can_manage_case(actor), OFFICE_ONLY)
    if not case_ids:
        return set()
    return set(db.session.scalars(marked_among(case_ids)))


def queue_marks(case_ids: list[int], actor: User) -> tuple[set[int], set[int]]:
    """Which of these cases' persons have a possible match, and which another open referral
    (one query for a whole list)."""
    require(can_manage_case(actor), OFFICE_ONLY)
    if not case_ids:
        return set(), set()
    mine, other = aliased(Person), aliased(Person)
    rows = db.session.execute(
        select(
            Case.id,
            exists(select(other.id).where(similar(mine, other))),
            open_twin(mine, Case.id),
        )
        .join(mine, mine.id == Case.person_id)
        .where(Case.id.in_(case_ids))
    ).all()
    return {i for i, matched, _ in rows if matched}, {i for i, _, twin in rows if twin}


def _still_a_match(case: Case, person_id: int, unless_kept_apart: bool = True) -> Person | None:
    """The person, if it is (still) a possible match of the case's person."""
    mine, other = aliased(Person), aliased(Person)
    return db.session.scalar(
        select(other)
        .join(mine, mine.id == case.person_id)
        .where(other.id == person_id, similar(mine, other, unless_kept_apart))
    )


def _copy_details(source: Person, target: Person) -> bool:
    """Keep what the record to be dropped knew on the one kept: its name (as an alias, when it
    differs) and aliases the target lacks, and its phone when the target has none."""
    before = (target.aliases, target.phone)
    names = [source.full_name] if source.full_name.lower() != target.full_name.lower() else []
    merge_aliases(target, ", ".join([*names, source.aliases]))
    if source.phone and not target.phone:
        target.phone = source.phone
    return (target.aliases, target.phone) != before


def link_person(
    case: Case,
    actor: User,
    person_id: int,
    version: int | None = None,
    copy_details: bool = False,
) -> Case:
    """The office links a referral to an earlier record of the same person (a possible match).

    The case moves to that record; the case's own record is deleted when no other case uses it
    (its keep-apart decisions with it). Its aliases, name and phone are lost with it unless the
    office asks to copy them (`copy_details`) onto the record kept. Linked already (a repeated
    submission), nothing changes.
    """
    require(can_manage_case(actor), OFFICE_ONLY)
    if case.person_id == person_id:
        return case
    check_version(case, version)
    target = _still_a_match(case, person_id)
    if target is None:
        # The same link, sent at the same instant, may have been committed since the case was
        # read (its record gone with it): then it is done; otherwise it is no match now.
        if db.session.scalar(select(Case.person_id).where(Case.id == case.id)) == person_id:
            return case
        raise ValidationFailed(NO_LONGER)
    previous = db.session.get(Person, case.person_id)
    copied = _copy_details(previous, target) if copy_details else False
    case.person_id, case.person = target.id, target
    db.session.flush()
    removed = _remove_if_unused(previous)
    add_entry(
        case,
        TimelineKind.PERSON_LINKED,
        actor,
        payload={
            "person_id": target.id,
            "previous_person_id": previous.id,
            "copied": copied,
            "record_removed": removed,
        },
    )
    db.session.flush()
    return case


def _remove_if_unused(person: Person) -> bool:
    """Delete a person record no case uses any more, with its keep-apart decisions."""
    if db.session.scalar(select(exists().where(Case.person_id == person.id))):
        return False
    try:
        # A referral arriving at this instant may have chosen the record: then it stays.
        with savepoint(db.session):
            for decision in db.session.scalars(
                select(PersonMatchDecision).where(
                    or_(
                        PersonMatchDecision.person_id == person.id,
                        PersonMatchDecision.other_person_id == person.id,
                    )
                )
            ):
                db.session.delete(decision)
            db.session.flush()  # before the person: the database would cascade them unaudited
            db.session.delete(person)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def keep_apart(
    case: Case, actor: User, person_id: int, version: int | None = None
) -> PersonMatchDecision:
    """The office decides the case's person and a possible match are different people: the
    match is not offered again, on this case or any other of either record. Decided already
    (a repeated submission), nothing changes."""
    require(can_manage_case(actor), OFFICE_ONLY)
    low, high = sorted((case.person_id, person_id))
    pair = (PersonMatchDecision.person_id == low, PersonMatchDecision.other_person_id == high)
    decided = db.session.scalar(select(PersonMatchDecision).where(*pair))
    if decided is not None:
        return decided
    check_version(case, version)
    # Kept apart already is no refusal: the same decision, sent at the same instant, may have
    # been committed since it was looked for above (the unique pair answers it below).
    if _still_a_match(case, person_id, unless_kept_apart=False) is None:
        raise ValidationFailed(NO_LONGER)
    decision = PersonMatchDecision(
        person_id=low,
        other_person_id=high,
        decision=MatchDecision.KEPT_APART,
        decided_by_id=actor.id,
        decided_at=utcnow(),
        case_id=case.id,
    )
    try:
        with savepoint(db.session):
            db.session.add(decision)
            db.session.flush()
    except IntegrityError:
        # The same decision, sent at the same instant, was recorded first (or a record went).
        decided = db.session.scalar(select(PersonMatchDecision).where(*pair))
        if decided is None:
            raise ValidationFailed(NO_LONGER) from None
        return decided
    add_entry(case, TimelineKind.PERSONS_KEPT_APART, actor, payload={"person_id": person_id})
    db.session.flush()
    return decision


# --- merging two person records -------------------------------------------------------------

MERGE_SELF = "A record cannot be merged into itself."
MERGE_INTO_MERGED = (
    "That record is itself merged into another, waiting for confirmation: merge into that "
    "record, or undo its merge first."
)
MERGE_ALREADY = "This record is already merged into another: confirm or undo that merge first."
MERGE_HAS_MERGES = (
    "Other records wait to be merged into this one: confirm or undo those merges first."
)
MERGE_NOT_A_MATCH = "Only a possible match (the same date of birth, a similar name) can be merged."
NOT_MERGED = "This record is not waiting for a merge (it was confirmed or undone): see the latest."


def _locked(*person_ids: int) -> dict[int, Person]:
    """The records, locked in id order for this transaction (PostgreSQL; SQLite writes one at a
    time), read afresh: two merges of the same records at once are decided one after the other."""
    rows = db.session.scalars(
        select(Person)
        .where(Person.id.in_(person_ids))
        .order_by(Person.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {p.id: p for p in rows}


def _merging_into(person_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Person.merged_into_id == person_id))))


def merge_person(actor: User, source_id: int, target_id: int) -> Person:
    """The office says record `source` is the same person as `target`: the merge waits for its
    confirmation. Nothing moves yet (the source's referrals stay on it, shown with the target's);
    undoing it restores the two records as they were. Audited as a change of the source."""
    require(can_manage_case(actor), OFFICE_ONLY)
    if source_id == target_id:
        raise ValidationFailed(MERGE_SELF)
    people = _locked(source_id, target_id)
    source, target = people.get(source_id), people.get(target_id)
    if source is None or target is None:
        raise ValidationFailed(NO_LONGER)
    if target.merged_into_id is not None:
        raise ValidationFailed(MERGE_INTO_MERGED)
    if source.merged_into_id is not None:
        if source.merged_into_id == target.id:
            return source  # the same merge, submitted again
        raise ValidationFailed(MERGE_ALREADY)
    if _merging_into(source.id):
        raise ValidationFailed(MERGE_HAS_MERGES)
    mine, other = aliased(Person), aliased(Person)
    matched = db.session.scalar(
        select(exists().where(mine.id == target.id, other.id == source.id, similar(mine, other)))
    )
    if not matched:
        raise ValidationFailed(MERGE_NOT_A_MATCH)
    source.merged_into_id, source.merged_by_id, source.merged_at = target.id, actor.id, utcnow()
    db.session.flush()
    return source


def undo_merge(actor: User, source_id: int) -> Person:
    """The merge was a mistake: both records stand as before."""
    require(can_manage_case(actor), OFFICE_ONLY)
    source = _locked(source_id).get(source_id)
    if source is None or source.merged_into_id is None:
        raise ValidationFailed(NOT_MERGED)
    source.merged_into_id = source.merged_by_id = source.merged_at = None
    db.session.flush()
    return source


def confirm_merge(actor: User, source_id: int) -> Person:
    """The merge is confirmed: every referral of the merged record moves to the record kept
    (each with its timeline entry), the merged record's name, aliases and phone are kept on it,
    and the merged record is deleted. Not reversible. Returns the record kept."""
    require(can_manage_case(actor), OFFICE_ONLY)
    target_id = db.session.scalar(select(Person.merged_into_id).where(Person.id == source_id))
    # Both records locked at once, in id order (as a merge locks them), then checked again.
    people = _locked(source_id, target_id) if target_id is not None else {}
    source, target = people.get(source_id), people.get(target_id)
    if source is None or target is None or source.merged_into_id != target_id:
        raise ValidationFailed(NOT_MERGED)
    _copy_details(source, target)
    moved = list(db.session.scalars(select(Case).where(Case.person_id == source.id)))
    for case in moved:
        case.person_id, case.person = target.id, target
    source.merged_into_id = source.merged_by_id = source.merged_at = None
    db.session.flush()
    removed = _remove_if_unused(source)
    for case in moved:
        add_entry(
            case,
            TimelineKind.PERSON_LINKED,
            actor,
            payload={
                "person_id": target.id,
                "previous_person_id": source_id,
                "merged": True,
                "record_removed": removed,
            },
        )
    db.session.flush()
    return target


def merges_into(person_id: int) -> list[Person]:
    """The records waiting to be merged into this one (bounded)."""
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.merged_into_id == person_id)
            .order_by(Person.id)
            .limit(MATCH_LIMIT)
        )
    )
