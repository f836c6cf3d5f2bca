"""The office enters a referral, on a phone: Dustin Meadows completed the program months ago and
his mother's family referral already waits in the queue (portal/demo/program.py). His brother
calls the office too; Marcus Reyes, a case manager, enters that family referral from New
referral with its source. The form stops on the earlier record ("This person may already be on
record"): he chooses it, and the new case page warns of the other open referral. The person page
lists every referral of Dustin, the earlier completed one among them, and warns of the two open
ones. Then the case pages of an accepted case (awaiting intake, its assessment form open) and of
an active one (assessment, services, contacts, consents, timeline), with their forms unfolded.
Every screen passes axe and fits 390 px without sideways scrolling.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import PHONE

pytestmark = pytest.mark.e2e

CASE_MANAGER = "casemanager@lead.example.org"
# The demo's people (portal/demo/program.py): Dustin Meadows completed the program and has an
# open family referral; Kayla Dillon was accepted 9 days ago; Amanda Gwinn is the oldest active
# participant, assessed, referred to services, contacted and consenting.
PERSON = ("Dustin", "Meadows", "1987-10-03")
ACCEPTED = "Kayla Dillon"
ACTIVE = "Amanda Gwinn"
SOURCE = "Ray Meadows, brother"
SOURCE_NOTE = "Phoned the office: Dustin asked him to find out how to get back into the program."


def test_a_case_manager_enters_a_family_referral_and_sees_the_person_and_cases(cast):
    manager = cast.admin(CASE_MANAGER, PHONE)
    manager.sign_in()
    page = manager.page
    heading = page.get_by_role("heading", level=1)
    nav = page.get_by_role("navigation", name="Main")
    first, last, dob = PERSON
    name = f"{first} {last}"

    # The office's form: the office's referral types and who referred the person.
    nav.get_by_role("link", name="New referral").click()
    expect(heading).to_have_text("Enter a referral")
    types = page.get_by_role("group", name="Referral type")
    for label in ("Community referral", "Family referral", "Self-referral", "Phone call"):
        expect(types.get_by_label(label, exact=True)).to_be_attached()
    expect(types.get_by_label("Arrest diversion", exact=True)).to_have_count(0)
    manager.checks("office referral form")
    page.get_by_label("First name", exact=True).fill(first)
    page.get_by_label("Last name", exact=True).fill(last)
    expect(page.get_by_label("Date of birth", exact=False)).to_have_attribute("type", "date")
    page.get_by_label("Date of birth", exact=False).fill(dob)
    manager.tick("Family referral")
    page.get_by_label("Who referred the person", exact=False).fill(SOURCE)
    page.get_by_label("How to reach them", exact=False).fill("304-555-0187")
    page.get_by_label("About the source", exact=False).fill(SOURCE_NOTE)
    page.get_by_label("Notes for the program", exact=False).fill("Best reached by text.")

    # Someone of that name and birth date was referred before: the form asks, nothing is saved.
    with manager.console.allowing(r"status of 422"):
        page.get_by_role("button", name="Enter referral").click()
        warning = page.get_by_role("alert").filter(has_text="may already be on record")
        expect(warning).to_contain_text("This person may already be on record")
    choice = page.get_by_role("group", name="Is this the same person?")
    earlier = re.compile(rf"^Use the existing record: {name}, born Oct 3, 1987$")
    expect(choice.locator(".usa-radio__label").filter(has_text=earlier)).to_have_count(1)
    expect(page.get_by_label("Who referred the person", exact=False)).to_have_value(SOURCE)
    manager.checks("office referral form (earlier record)")
    choice.locator(".usa-radio__label").filter(has_text=earlier).click()
    page.get_by_role("button", name="Enter referral").click()

    # The new referral's page: its source, and the other open referral of the same person.
    expect(heading).to_have_text(name)
    expect(page.locator("#flash")).to_contain_text("Referral entered")
    expect(manager.badge()).to_have_text("Referred")
    details = page.locator("#referral .portal-dl")
    expect(details).to_contain_text("Family referral")
    expect(details).to_contain_text("entered by Marcus Reyes")
    expect(details).to_contain_text(f"{SOURCE} (304-555-0187)")
    expect(details).to_contain_text(SOURCE_NOTE)
    other = page.locator("#open-elsewhere")
    expect(other).to_contain_text("This person has another open referral")
    family = other.get_by_role("link", name=re.compile(r"^Family referral, referred "))
    expect(family).to_be_visible()
    expect(page.get_by_role("heading", name="Screen this referral")).to_be_visible()
    manager.checks("office referral entered (case page)")

    # Every referral of the person: the two open ones and the earlier, completed one.
    page.get_by_role("link", name=f"Every referral of {name}").click()
    expect(heading).to_have_text(name)
    expect(page.locator("#open-referrals")).to_contain_text("This person has 2 open referrals")
    referrals = page.get_by_role("region", name=re.compile("^Referrals"))
    expect(referrals).to_contain_text("3 referrals")
    rows = referrals.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Family referral").filter(has_text="Referred")).to_have_count(2)
    expect(rows.filter(has_text=SOURCE)).to_have_count(1)
    closed = rows.filter(has=page.locator(".portal-badge", has_text="Completed"))
    expect(closed).to_have_count(1)
    expect(rows.last).to_contain_text("Completed")  # newest first: the earlier one last
    manager.checks("person page (earlier closed referral)")
    closed.get_by_role("link").click()
    expect(heading).to_have_text(name)
    expect(manager.badge()).to_have_text("Completed")
    manager.checks("case page (completed)")

    # An accepted case, awaiting intake: the intake and needs assessment forms are open.
    _open_case(manager, ACCEPTED, "Accepted, awaiting intake")
    expect(page.get_by_role("heading", name="Record intake")).to_be_visible()
    assessment = page.locator("#assessment")
    expect(assessment).to_contain_text("No needs assessment yet.")
    expect(assessment.get_by_role("button", name="Save assessment")).to_be_visible()
    manager.checks("case page (accepted, awaiting intake)")
    _unfold(page, "Edit referral details")
    manager.checks("case page (accepted, details form open)")

    # An active case: assessment, services, contacts, consents and the timeline.
    _open_case(manager, ACTIVE, "Active")
    expect(page.locator("#assessment")).to_contain_text("Assessed")
    expect(page.locator("#service_referrals tbody tr").first).to_be_visible()
    expect(page.locator("#contacts")).not_to_contain_text("No contact")
    expect(page.locator("#consents")).to_contain_text("In force")
    expect(page.locator("#timeline .portal-timeline__text").first).to_be_visible()
    manager.checks("case page (active)")
    for summary in ("Edit referral details", "Record a signed consent", "Record a revocation"):
        _unfold(page, summary)
    manager.checks("case page (active, forms open)")


def _open_case(manager, name: str, status: str) -> None:
    """From Cases in the navigation: the status filter and the name, then the case with that
    status."""
    page = manager.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    page.get_by_label("Status", exact=True).select_option(label=status)
    expect(page).to_have_url(re.compile(r"status="))
    page.get_by_label("Name, alias or incident").fill(name.split()[-1])
    page.get_by_label("Name, alias or incident").press("Enter")
    results = page.locator("#results")
    expect(results).to_contain_text("1 case.")
    manager.checks(f"cases ({status.split(',')[0].lower()}, searched)")
    results.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(manager.badge()).to_have_text(status)


def _unfold(page, summary: str) -> None:
    """Open a disclosure on the case page, as a thumb does; its form shows."""
    details = page.locator("details").filter(
        has=page.locator("summary", has_text=re.compile(rf"^{re.escape(summary)}"))
    )
    details.locator("summary").first.click()
    expect(details.first).to_have_attribute("open", "")
    expect(details.first.get_by_role("button").first).to_be_visible()
