"""Possible matches of a person for the program office: which records are offered, linking a
referral to an earlier record, keeping two records apart; and that none of it reaches anyone
but the office."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models import (
    AuditAction,
    Case,
    CaseStatus,
    MatchDecision,
    Person,
    PersonMatchDecision,
    TimelineEntry,
    TimelineKind,
)
from portal.services import audit, person_matches
from portal.services.errors import Conflict, NotPermitted, ValidationFailed
from portal.services.timeline import get_timeline

DOB = dt.date(1988, 6, 15)


def _person(f, first, last, dob=DOB, **kw) -> Person:
    return f.PersonFactory(first_name=first, last_name=last, dob=dob, **kw)


def _referral(f, first, last, dob=DOB, aliases="", **kw) -> Case:
    """A new referral of a new person record."""
    return f.CaseFactory(person=_person(f, first, last, dob, aliases=aliases), **kw)


def _names(case, actor) -> list[str]:
    return [m.person.full_name for m in person_matches.possible_matches(case, actor)]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _entries(case, kind) -> list[TimelineEntry]:
    query = select(TimelineEntry).where(TimelineEntry.case_id == case.id)
    return list(db.session.scalars(query.where(TimelineEntry.kind == kind)))


@pytest.fixture
def admin(f):
    return f.admin()


# --- which records are offered ------------------------------------------------------------------


def test_similar_names_with_the_same_birth_date_are_offered_closest_first(f, admin):
    case = _referral(f, "James", "Carter", aliases="Jimmy")
    for first, last, aliases in [
        ("Ruth", "Carter", ""),  # the same last name (a sibling? the office decides)
        ("carter", "JAMES", ""),  # first and last names swapped
        ("J.", "Carter", ""),  # the first name's initial
        ("James", "Moore", "Jim Carter, Big J"),  # the last name among their aliases
        ("JAMES", "carter", ""),  # the same name, in other capitals
        ("Jimmy", "Jimmy", ""),  # their last name among this record's aliases
    ]:
        _person(f, first, last, aliases=aliases)
    _person(f, "James", "Carter", dob=DOB + dt.timedelta(days=1))  # another birth date
    _person(f, "James", "Cartwright")  # another name
    _person(f, "Ann", "Moore", aliases="Carters, McCarter")  # no alias word is the last name

    assert _names(case, admin) == [
        "JAMES carter",
        "J. Carter",
        "Ruth Carter",
        "carter JAMES",
        "James Moore",
        "Jimmy Jimmy",
    ]


def test_a_name_is_matched_as_it_is_not_as_a_pattern(f, admin):
    case = _referral(f, "Ann", "_")
    _person(f, "Bob", "Jones", aliases="x, y")  # '_' as a LIKE pattern would match "x"
    _person(f, "Cy", "%")
    assert _names(case, admin) == []
    _person(f, "Di", "Jones", aliases="Di _")
    assert _names(case, admin) == ["Di Jones"]


def test_matches_are_bounded_and_each_lists_its_latest_referrals(f, admin):
    case = _referral(f, "Ann", "Lee")
    people = [_person(f, f"Ann{i:02}", "Lee") for i in range(person_matches.MATCH_LIMIT + 3)]
    busy = people[0]
    agency = f.AgencyFactory(name="Oak Hill Police")
    officer = f.officer(agency=agency)
    for days in range(7):
        f.CaseFactory(
            person=busy,
            officer=officer,
            status=CaseStatus.DECLINED if days else CaseStatus.ACTIVE,
            referred_at=case.referred_at - dt.timedelta(days=30 * (days + 1)),
        )

    matches = person_matches.possible_matches(case, admin)

    assert len(matches) == person_matches.MATCH_LIMIT
    first = matches[0]
    assert first.person.id == busy.id
    shown = [(r.referred_at, r.agency.name, r.status) for r in first.referrals]
    assert len(shown) == person_matches.REFERRALS_SHOWN
    assert shown == sorted(shown, reverse=True)  # newest first
    assert shown[0][1:] == ("Oak Hill Police", CaseStatus.ACTIVE)
    assert first.more == 7 - person_matches.REFERRALS_SHOWN
    assert [(len(m.referrals), m.more) for m in matches[1:]] == [(0, 0)] * 9


def test_the_queue_marker_names_the_cases_with_a_possible_match(f, admin):
    alone = _referral(f, "Ann", "Lee")
    pair = [_referral(f, "Bo", "Kim"), _referral(f, "Bo", "Kim")]
    kept = [_referral(f, "Cy", "Ray"), _referral(f, "Cy", "Ray")]
    person_matches.keep_apart(kept[0], admin, kept[1].person_id)
    ids = [c.id for c in (alone, *pair, *kept)]
    assert person_matches.cases_with_possible_matches(ids, admin) == {c.id for c in pair}
    assert person_matches.cases_with_possible_matches([], admin) == set()


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_only_the_office_is_told_of_possible_matches(f, role):
    case = _referral(f, "Ann", "Lee")
    _referral(f, "Ann", "Lee")
    user = getattr(f, role)()
    with pytest.raises(NotPermitted):
        person_matches.possible_matches(case, user)
    with pytest.raises(NotPermitted):
        person_matches.cases_with_possible_matches([case.id], user)


# --- linking ------------------------------------------------------------------------------------


def test_linking_moves_the_case_and_deletes_the_unused_record(f, admin):
    earlier = _referral(f, "James", "Carter", accepted=True)
    case = _referral(f, "Jim", "Carter", aliases="JC")
    case.person.phone = "555-0100"
    new_person_id = case.person_id
    version = case.version

    person_matches.link_person(case, admin, earlier.person_id, version)

    assert case.person_id == earlier.person_id
    assert case.version == version + 1
    assert case.referred_name == "Jim Carter"  # as the officer referred them
    assert db.session.get(Person, new_person_id) is None
    kept = db.session.get(Person, earlier.person_id)
    assert (kept.aliases, kept.phone) == ("", None)  # nothing copied unless asked
    [entry] = _entries(case, TimelineKind.PERSON_LINKED)
    assert entry.actor_id == admin.id and entry.organization_id is None
    assert entry.payload == {
        "person_id": earlier.person_id,
        "previous_person_id": new_person_id,
        "copied": False,
        "record_removed": True,
    }
    assert _names(case, admin) == []  # one record now: nothing left to match


def test_linking_can_keep_the_dropped_records_name_aliases_and_phone(f, admin):
    earlier = _referral(f, "James", "Carter")
    earlier.person.aliases = "Jimmy"
    case = _referral(f, "Jim", "Carter")
    case.person.aliases = "jimmy, JC"
    case.person.phone = "555-0100"

    person_matches.link_person(case, admin, earlier.person_id, copy_details=True)

    kept = db.session.get(Person, earlier.person_id)
    assert (kept.aliases, kept.phone) == ("Jimmy, Jim Carter, JC", "555-0100")
    assert _entries(case, TimelineKind.PERSON_LINKED)[0].payload["copied"] is True


def test_a_phone_already_on_the_earlier_record_is_kept(f, admin):
    earlier = _referral(f, "James", "Carter")
    earlier.person.phone = "555-0111"
    case = _referral(f, "James", "Carter")
    case.person.phone = "555-0100"
    person_matches.link_person(case, admin, earlier.person_id, copy_details=True)
    assert db.session.get(Person, earlier.person_id).phone == "555-0111"


def test_a_record_another_case_uses_is_not_deleted(f, admin):
    earlier = _referral(f, "James", "Carter")
    case = _referral(f, "Jim", "Carter")
    again = f.CaseFactory(person=case.person)
    person_matches.link_person(case, admin, earlier.person_id)
    assert db.session.get(Person, again.person_id) is not None
    assert _entries(case, TimelineKind.PERSON_LINKED)[0].payload["record_removed"] is False
    # The other referral of that record still shows the match, to be linked in turn.
    assert _names(again, admin) == ["James Carter"]


def test_a_deleted_records_decisions_go_with_it(f, admin):
    earlier = _referral(f, "James", "Carter")
    stranger = _referral(f, "Jane", "Carter")
    case = _referral(f, "Jim", "Carter")
    person_matches.keep_apart(case, admin, stranger.person_id)
    person_matches.link_person(case, admin, earlier.person_id)
    assert _count(PersonMatchDecision) == 0
    # The record kept was never kept apart from the stranger: the office may still decide.
    assert _names(case, admin) == ["Jane Carter"]


def test_a_repeated_link_applies_once(f, admin):
    earlier = _referral(f, "James", "Carter")
    case = _referral(f, "Jim", "Carter")
    version = case.version
    person_matches.link_person(case, admin, earlier.person_id, version)
    person_matches.link_person(case, admin, earlier.person_id, version)  # the same form again
    assert case.version == version + 1
    assert len(_entries(case, TimelineKind.PERSON_LINKED)) == 1


def test_a_link_from_a_stale_page_is_refused(f, admin):
    earlier = _referral(f, "James", "Carter")
    case = _referral(f, "Jim", "Carter")
    with pytest.raises(Conflict):
        person_matches.link_person(case, admin, earlier.person_id, case.version - 1)
    assert case.person.full_name == "Jim Carter"


def test_only_a_possible_match_can_be_linked(f, admin):
    case = _referral(f, "Jim", "Carter")
    other_dob = _referral(f, "Jim", "Carter", dob=DOB - dt.timedelta(days=1))
    other_name = _referral(f, "Ann", "Lee")
    kept = _referral(f, "Jim", "Carter")
    person_matches.keep_apart(case, admin, kept.person_id)
    for person_id in (other_dob.person_id, other_name.person_id, kept.person_id, 10**6):
        with pytest.raises(ValidationFailed):
            person_matches.link_person(case, admin, person_id)
    assert _entries(case, TimelineKind.PERSON_LINKED) == []


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_only_the_office_links_or_keeps_apart(f, role):
    earlier = _referral(f, "James", "Carter")
    case = _referral(f, "James", "Carter")
    user = getattr(f, role)()
    with pytest.raises(NotPermitted):
        person_matches.link_person(case, user, earlier.person_id)
    with pytest.raises(NotPermitted):
        person_matches.keep_apart(case, user, earlier.person_id)
    assert case.person_id != earlier.person_id
    assert _count(PersonMatchDecision) == 0


# --- keeping apart ------------------------------------------------------------------------------


def test_keeping_apart_records_the_ordered_pair_once(f, admin):
    earlier = _referral(f, "Ann", "Lee")
    case = _referral(f, "Ann", "Lee")
    version = case.version

    decision = person_matches.keep_apart(case, admin, earlier.person_id, version)
    again = person_matches.keep_apart(case, admin, earlier.person_id, version)

    assert again is decision
    assert (decision.person_id, decision.other_person_id) == (earlier.person_id, case.person_id)
    assert (decision.decision, decision.decided_by_id, decision.case_id) == (
        MatchDecision.KEPT_APART,
        admin.id,
        case.id,
    )
    assert decision.decided_at is not None
    assert len(_entries(case, TimelineKind.PERSONS_KEPT_APART)) == 1
    assert case.version == version  # nothing of the case itself changed
    # Not offered again, on either record's cases; nor decided a second time from the other side.
    assert _names(case, admin) == [] and _names(earlier, admin) == []
    assert person_matches.keep_apart(earlier, admin, case.person_id) is decision
    assert _count(PersonMatchDecision) == 1


def test_keeping_apart_from_a_stale_page_is_refused(f, admin):
    earlier = _referral(f, "Ann", "Lee")
    case = _referral(f, "Ann", "Lee")
    with pytest.raises(Conflict):
        person_matches.keep_apart(case, admin, earlier.person_id, case.version + 1)
    assert _count(PersonMatchDecision) == 0


def test_only_a_possible_match_can_be_kept_apart(f, admin):
    case = _referral(f, "Ann", "Lee")
    other = _referral(f, "Bo", "Kim")
    for person_id in (other.person_id, case.person_id, 10**6):
        with pytest.raises(ValidationFailed):
            person_matches.keep_apart(case, admin, person_id)
    assert _count(PersonMatchDecision) == 0


def test_the_decisions_are_audited(f, admin):
    earlier = _referral(f, "James", "Carter")
    stranger = _referral(f, "Jane", "Carter")
    case = _referral(f, "Jim", "Carter")
    new_person_id = case.person_id
    db.session.commit()
    decision_id = person_matches.keep_apart(case, admin, stranger.person_id).id
    person_matches.link_person(case, admin, earlier.person_id)
    pending = [row for _, row in db.session.info[audit.PENDING]]
    done = {(r["action"], r["object_type"], r["object_id"], r["case_id"]) for r in pending}
    assert {
        (AuditAction.CREATE, "person_match_decisions", decision_id, case.id),
        (AuditAction.DELETE, "person_match_decisions", decision_id, case.id),
        (AuditAction.CHANGE, "cases", case.id, case.id),
        (AuditAction.DELETE, "persons", new_person_id, None),
    } <= done


# --- who sees the timeline entries --------------------------------------------------------------


def test_linking_and_keeping_apart_are_on_the_office_timeline_only(f, admin):
    officer = f.officer()
    earlier = _referral(f, "James", "Carter")
    stranger = _referral(f, "Jane", "Carter")
    case = f.CaseFactory(
        active=True, officer=officer, person=_person(f, "Jim", "Carter", aliases="JC")
    )
    # Even a consent naming the officer for everything discloses none of it.
    f.ConsentFactory(case=case, discloses_outcome=True, discloses_attendance=True)
    referral = f.ServiceReferralFactory(case=case, accepted=True)
    staff = f.provider(organization=referral.service.organization)
    person_matches.keep_apart(case, admin, stranger.person_id)
    person_matches.link_person(case, admin, earlier.person_id)
    office_only = {TimelineKind.PERSON_LINKED, TimelineKind.PERSONS_KEPT_APART}

    def kinds(user):
        return {e.kind for e in get_timeline(case, user, limit=50).entries}

    assert office_only <= kinds(admin)
    assert kinds(officer) and not kinds(officer) & office_only
    assert kinds(staff) and not kinds(staff) & office_only


# --- cost ---------------------------------------------------------------------------------------


def _plan(statement) -> str:
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
    return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize("query", ["matches_of", "marked_among"])
def test_matches_are_found_through_the_birth_date_index(f, query):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite; PostgreSQL picks by table size")
    case = _referral(f, "Ann", "Lee")
    for i in range(30):
        _person(f, f"P{i}", f"Name{i}", dob=DOB + dt.timedelta(days=i))
    arguments = case.person_id if query == "matches_of" else [case.id]
    plan = _plan(getattr(person_matches, query)(arguments))
    assert "USING INDEX ix_persons_dob_last_name (dob=?)" in plan
    assert "SCAN persons" not in plan
