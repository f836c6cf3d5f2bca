"""`flask --app portal demo`: a realistic program in an empty database, never over real data."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    CaseStatus,
    Organization,
    ReferralType,
    Role,
    TimelineEntry,
    User,
)

# The program's first year: four referrals a month, 19 to 7 months ago, all closed now.
HISTORY = 13 * 4


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_demo_seeds_a_dozen_cases_in_varied_states(runner):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert "admin@lead.example.org" in result.output  # the sign-ins are printed
    statuses = Counter(db.session.scalars(select(Case.status)))
    assert sum(statuses.values()) == 13 + HISTORY
    open_now = [s for s in statuses.elements() if s.is_open]
    assert 8 <= len(open_now) <= 12  # the year's history is closed: it adds to no work queue
    for status in (CaseStatus.REFERRED, CaseStatus.ACCEPTED, CaseStatus.ACTIVE):
        assert statuses[status] >= 2, statuses
    assert len(statuses) >= 5
    agencies = set(db.session.scalars(select(Agency.name)))
    assert {"Fayette County Sheriff's Office", "Oak Hill Police Department"} <= agencies
    organizations = set(db.session.scalars(select(Organization.name)))
    assert {"FMRS", "Fayette County Health Department"} <= organizations
    assert set(db.session.scalars(select(User.role))) == set(Role)
    # Every case has its timeline: one entry per step it went through.
    without = select(Case.id).where(~Case.id.in_(select(TimelineEntry.case_id)))
    assert db.session.scalars(without).all() == []


def test_demo_refuses_a_database_that_holds_data(runner, f):
    f.AgencyFactory(name="A real agency")
    db.session.commit()

    result = runner.invoke(args=["demo"])

    assert result.exit_code != 0
    assert "refusing" in result.output
    assert _cases() == 0
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 1


def test_demo_if_empty_succeeds_quietly_when_data_exists(runner, f):
    f.CaseFactory()
    db.session.commit()

    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert _cases() == 1


def test_demo_if_empty_seeds_an_empty_database(runner):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    # Twelve officers' referrals, a family referral the office entered, and the first year's.
    assert _cases() == 13 + HISTORY


@pytest.mark.parametrize("args", [["demo"], ["demo", "--if-empty"]])
def test_demo_is_refused_in_production(app, runner, monkeypatch, args):
    """Its two administrators have a published password: never on a production database."""
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")

    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert "PORTAL_ENV=production" in result.output
    assert _cases() == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_has_a_family_referral_of_a_person_with_an_earlier_closed_referral(runner):
    """The person page shows both: the office's family referral and the completed one."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    family = db.session.scalar(select(Case).where(Case.referral_type == ReferralType.FAMILY))
    assert family.officer_id is None and family.source_name
    assert family.status == CaseStatus.REFERRED
    earlier = db.session.scalars(
        select(Case.status).where(Case.person_id == family.person_id, Case.id != family.id)
    ).all()
    assert earlier == [CaseStatus.COMPLETED]


def test_the_first_years_people_share_no_last_name_with_the_demos_open_cases():
    """Searching for a demo participant by last name finds them, not the first year's people."""
    from portal.demo import history
    from portal.demo.program import PEOPLE

    assert not {last for _first, last, *_rest in PEOPLE} & set(history.LAST)
