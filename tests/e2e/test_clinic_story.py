"""The harm reduction clinic's Wednesday, on phones: walk-in, no referral, no places (a drop-in
service, portal/demo/program.py). First the case manager opens the participant's case (and
reads who referred her), and that officer, whose participant consented to status updates, opens
the referral and the inbox. Then Priya Nair of the Health Department opens the clinic's visits
from Our services, and from Sessions' other dates the Wednesday before last (its paper sheet).
She saves the afternoon's anonymous count (a count past the cap is refused beside the field
first), then a participant who gave her name: a wrong date of birth finds nobody (nothing is
shown that she did not say), the right one records the visit; both are listed for the day. The
case manager's timeline shows the visit; the officer's referrals, referral page, timeline and
inbox read exactly as before, with no word of the clinic, the visit or the count, and no new
unread update. Every screen passes axe and fits 390 px.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.demo.program import DEMO_USERS, PEOPLE
from tests.e2e.checks import PHONE, a11y, phone_friendly
from tests.e2e.conftest import TIMEZONE
from tests.e2e.provider import Provider
from tests.e2e.test_account_story import LOCKED_OUT

pytestmark = pytest.mark.e2e

CLINIC_STAFF = "staff@fchd.example.org"
CASE_MANAGER = "casemanager@lead.example.org"
CLINIC = "Harm Reduction Clinic"
WEDNESDAY = 2
# The demo's oldest active participant, who consented to status updates for the referring
# agency: the officer sees her progress, never a visit. The demo's own clinic afternoon, the last
# Wednesday before today, recorded her; the story logs the Wednesday before that one.
FIRST, LAST = "Amanda", "Gwinn"
DOB = next(dt.date.fromisoformat(p[2]) for p in PEOPLE if p[:2] == (FIRST, LAST))
NAME = f"{FIRST} {LAST}"
VISITORS = 47  # past any day of a month, so a date never reads as the count
# Nothing of a drop-in visit or of the anonymous count may reach an officer.
NOT_FOR_OFFICERS = (
    re.compile(r"visit", re.IGNORECASE),
    re.compile(r"drop-in", re.IGNORECASE),
    re.compile(r"anonymous", re.IGNORECASE),
    CLINIC,
    "Health Department",
    "Priya Nair",
    re.compile(rf"(?<![:\d]){VISITORS}(?!\d)"),  # the count (a time such as 1:47 PM is not)
)


def _wednesday_before_last(today: dt.date) -> dt.date:
    """The Wednesday a week before the last one before today (the demo's clinic afternoon)."""
    last = today - dt.timedelta(days=(today.weekday() - WEDNESDAY - 1) % 7 + 1)
    return last - dt.timedelta(days=7)


def test_the_clinic_logs_a_wednesday_that_no_officer_sees(cast):
    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    day = _wednesday_before_last(today)

    # Before the clinic: the case manager finds who referred the participant, and that officer
    # opens the referral; what they see then is what they must still see afterwards.
    manager = cast.admin(CASE_MANAGER, PHONE)
    manager.sign_in()
    officer_name = _opens_case(manager)
    officer_email = next(email for email, name, *_ in DEMO_USERS if name == officer_name)
    assert officer_email != LOCKED_OUT, "the account story locks this officer out"
    officer = cast.officer(officer_email, PHONE)
    officer.sign_in()
    unread = officer.unread()
    before = _officer_sees(officer, "before clinic visits")

    staff = cast.actor(Provider, CLINIC_STAFF, PHONE)
    staff.sign_in()
    _logs_the_wednesday(staff, today, day)

    # The program office sees the visit on the case's timeline.
    manager.page.reload()
    entry = manager.page.locator("#timeline .portal-timeline__entry").filter(
        has_text="Visited a drop-in service"
    )
    expect(
        entry.filter(has_text=CLINIC).filter(has_text=f"Visit: {day.isoformat()}")
    ).to_have_count(1)
    manager.checks("case page (drop-in visit on the timeline)")

    # The officer: the same timeline and inbox as before, no word of the clinic, no new update.
    officer.goto("/")
    after = _officer_sees(officer, "after clinic visits")
    assert after == before, f"the officer's view changed:\n{before}\n{after}"
    expect(officer.page.locator("#nav-unread-count")).to_have_text(
        f"{unread} unread" if unread else ""
    )


def _opens_case(manager) -> str:
    """The participant's case page, from Cases; returns the name of the referring officer."""
    page = manager.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_label("Name, alias or incident").fill(LAST)
    page.get_by_label("Name, alias or incident").press("Enter")
    expect(page.locator("#results")).to_contain_text("1 case.")
    page.locator("#results").get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(manager.badge()).to_have_text("Active")
    manager.checks("case page (participant)")
    referred = page.locator("#referral .portal-dl").first.inner_text()
    found = re.search(r"by (.+?) \(", referred)
    assert found, referred
    return found.group(1)


def _officer_sees(officer, when: str) -> tuple[list[str], list[str]]:
    """My referrals, the participant's referral page and the inbox, without a word of the
    clinic; returns the referral's timeline and the inbox's updates as the officer reads them."""
    page = officer.page
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="My referrals").click()
    card = page.locator(".portal-card").filter(has_text=NAME)
    expect(card).to_have_count(1)
    _nothing_of_the_clinic(page, f"my referrals ({when})")
    card.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(officer.badge()).to_have_text("Active")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Intake complete; the person is enrolled")
    entries = timeline.locator(".portal-timeline__entry").all_inner_texts()
    _nothing_of_the_clinic(page, f"officer referral detail ({when})")
    nav.get_by_role("link", name=re.compile(r"^Inbox\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    updates = page.locator(".portal-inbox__item").all_inner_texts()
    _nothing_of_the_clinic(page, f"officer inbox ({when})")
    return entries, updates


def _logs_the_wednesday(staff, today: dt.date, day: dt.date) -> None:
    page = staff.page
    heading = page.get_by_role("heading", level=1)

    # From Our services, the clinic's visits open on today.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Our services", exact=True
    ).click()
    expect(heading).to_have_text("Our services")
    row = page.get_by_role("row").filter(has_text=CLINIC)
    expect(row).to_contain_text("Drop-in")
    staff.checks("provider services (drop-in)")
    row.get_by_role("link", name=f"Visits to {CLINIC}").click()
    expect(heading).to_contain_text(f"Visits, {today:%A} {today:%b} {today.day}, {today.year}")
    expect(page.get_by_role("navigation", name="Other days").get_by_role("link")).to_have_text(
        ["Previous day"]
    )
    staff.checks("clinic visits (today)")

    # The paper sheet of an earlier Wednesday: Sessions' other dates open that day's visits.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Sessions", exact=True
    ).click()
    other = page.get_by_role("region", name="Appointments and other dates")
    other.get_by_label("Service").select_option(label=CLINIC)
    other.get_by_label("Session date", exact=False).fill(day.isoformat())
    other.get_by_role("button", name="Open attendance").click()
    expect(heading).to_have_text(f"{CLINIC} Visits, Wednesday {day:%b} {day.day}, {day.year}")
    expect(page.locator("main")).to_contain_text("never by an officer")
    staff.checks("clinic visits (Wednesday)")

    # The anonymous count: past the cap it is refused beside the field, then saved.
    count = page.get_by_label("Anonymous visitors this day")
    count.fill("5000")
    with staff.console.allowing(r"status of 422"):
        page.get_by_role("button", name="Save the count").click()
        expect(count).to_have_attribute("aria-invalid", "true")
    expect(count).to_have_accessible_description(
        re.compile(re.escape("Enter a number of visitors from 0 to 500."))
    )
    staff.checks("clinic visits (count refused)")
    count.fill(str(VISITORS))
    page.get_by_role("button", name="Save the count").click()
    expect(page.locator("#flash")).to_contain_text("Anonymous visitors saved.")
    expect(page.get_by_role("region", name="Anonymous visitors")).to_contain_text(
        f"Recorded: {VISITORS}."
    )
    staff.checks("clinic visits (count saved)")

    # A named visit: found only by the exact name and date of birth the person gives.
    named = page.get_by_role("region", name="Named visits")
    named.get_by_label("First name").fill(FIRST)
    named.get_by_label("Last name").fill(LAST)
    named.get_by_label("Date of birth").fill((DOB + dt.timedelta(days=1)).isoformat())
    with staff.console.allowing(r"status of 422"):
        named.get_by_role("button", name="Record the visit").click()
        first_name = page.get_by_role("region", name="Named visits").get_by_label("First name")
        expect(first_name).to_have_attribute("aria-invalid", "true")
    expect(first_name).to_have_accessible_description(
        re.compile(re.escape("No active participant has this name and date of birth."))
    )
    expect(page.get_by_role("region", name="Named visits")).not_to_contain_text(
        re.compile(rf"{NAME}\s+recorded")
    )
    staff.checks("clinic visits (nobody found)")
    named = page.get_by_role("region", name="Named visits")
    named.get_by_label("Date of birth").fill(DOB.isoformat())
    named.get_by_label("First name").fill(FIRST)
    named.get_by_label("Last name").fill(LAST)
    named.get_by_role("button", name="Record the visit").click()
    expect(page.locator("#flash")).to_contain_text("Visit recorded.")
    expect(heading).to_contain_text(f"Wednesday {day:%b} {day.day}, {day.year}")
    visits = page.get_by_role("list", name=re.compile(r"^Named visits on "))
    expect(visits.get_by_role("listitem").filter(has_text=NAME)).to_have_count(1)
    expect(page.get_by_role("region", name="Anonymous visitors")).to_contain_text(
        f"Recorded: {VISITORS}."
    )
    staff.checks("clinic visits (named visit recorded)")


def _nothing_of_the_clinic(page, name: str) -> None:
    main = page.locator("main")
    for text in NOT_FOR_OFFICERS:
        expect(main).not_to_contain_text(text)
    a11y(page, name)
    phone_friendly(page, name)
