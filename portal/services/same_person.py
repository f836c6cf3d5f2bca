"""Which records may be one person, and which referrals of one person are open at once.

A possible match of a person: another record with the same date of birth and a similar name
(the same last name, whatever the first; first and last names swapped; or one's last name among
the other's aliases), not kept apart from it (see person_matches). Every query is bounded and
found through the date of birth index (ix_persons_dob_last_name).

Models only: the case workflow (cases) asks here whether a referral has an open twin, and the
office's decisions about records (person_matches) build on `similar`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Case, CaseStatus, Person, PersonMatchDecision

OPEN_STATUSES = (CaseStatus.REFERRED, CaseStatus.ACCEPTED, CaseStatus.ACTIVE)
OPEN_SHOWN = 5  # other open referrals named on a case page


def _words(column) -> ColumnElement[str]:
    """Aliases as ' word word ': lower case, commas and semicolons as spaces, padded."""
    spaced = func.replace(func.replace(func.lower(column), ",", " "), ";", " ")
    return literal(" ") + spaced + literal(" ")


def _like_word(column) -> ColumnElement[str]:
    """A LIKE pattern finding a name as whole words, its own % and _ taken literally."""
    escaped = func.replace(
        func.replace(func.replace(func.lower(column), "\\", "\\\\"), "%", "\\%"), "_", "\\_"
    )
    return literal("% ") + escaped + literal(" %")


def _kept_apart(a_id, b_id) -> ColumnElement[bool]:
    """The office decided these two records are different people (either order)."""
    return exists(
        select(PersonMatchDecision.id).where(
            or_(
                and_(
                    PersonMatchDecision.person_id == a_id,
                    PersonMatchDecision.other_person_id == b_id,
                ),
                and_(
                    PersonMatchDecision.person_id == b_id,
                    PersonMatchDecision.other_person_id == a_id,
                ),
            )
        )
    )


def similar(mine, other, unless_kept_apart: bool = True) -> ColumnElement[bool]:
    """`other` may be the same person as `mine` (two Person entities or aliases of it), and the
    office has not kept them apart (unless asked to ignore that)."""
    return and_(
        other.dob == mine.dob,
        other.id != mine.id,
        or_(
            func.lower(other.last_name) == func.lower(mine.last_name),
            and_(
                func.lower(other.first_name) == func.lower(mine.last_name),
                func.lower(other.last_name) == func.lower(mine.first_name),
            ),
            _words(other.aliases).like(_like_word(mine.last_name), escape="\\"),
            _words(mine.aliases).like(_like_word(other.last_name), escape="\\"),
        ),
        ~_kept_apart(mine.id, other.id) if unless_kept_apart else true(),
    )


def _same_person(mine, other) -> ColumnElement[bool]:
    """`other` is `mine`, a possible match of it, or one of the two is merged into the other
    (a merge waiting for its confirmation)."""
    return or_(
        other.id == mine.id,
        similar(mine, other),
        other.merged_into_id == mine.id,
        mine.merged_into_id == other.id,
    )


def other_open_referrals(case: Case) -> list[Case]:
    """The person's other open referrals (referred, accepted or active), on the same record, a
    possible match or a record merged with it; oldest first, bounded."""
    mine, other = aliased(Person), aliased(Person)
    return list(
        db.session.scalars(
            select(Case)
            .join(other, other.id == Case.person_id)
            .join(mine, mine.id == case.person_id)
            .where(Case.id != case.id, Case.status.in_(OPEN_STATUSES), _same_person(mine, other))
            .order_by(Case.referred_at, Case.id)
            .limit(OPEN_SHOWN)
        )
    )


def open_twin(mine, case_id) -> ColumnElement[bool]:
    """The person `mine` (of the case `case_id`) has another open referral."""
    other, twin = aliased(Person), aliased(Case)
    return exists(
        select(twin.id)
        .join(other, other.id == twin.person_id)
        .where(twin.id != case_id, twin.status.in_(OPEN_STATUSES), _same_person(mine, other))
    )


def with_other_open_referrals(case_ids: list[int]) -> set[int]:
    """Which of these cases' persons have another open referral (one query for a list)."""
    if not case_ids:
        return set()
    mine = aliased(Person)
    return set(
        db.session.scalars(
            select(Case.id)
            .join(mine, mine.id == Case.person_id)
            .where(Case.id.in_(case_ids), open_twin(mine, Case.id))
        )
    )
