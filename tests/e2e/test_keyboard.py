"""The referral form by keyboard alone: a logical focus order, a visible focus, a submission."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import DESKTOP
from tests.e2e.keyboard import no_positive_tabindex, tab
from tests.e2e.roles import NewPerson

pytestmark = pytest.mark.e2e

PERSON = NewPerson(first_name="Morgan", last_name="Keyes", dob="1986-02-09", phone="304-555-0147")


def test_referral_form_by_keyboard_alone(cast):
    officer = cast.officer("deputy.price@fcso.example.org", DESKTOP)
    officer.sign_in()
    page = officer.page
    officer.goto("/officer/referrals/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer a person to LEAD")

    no_positive_tabindex(page)
    # From the top of the page, Tab reaches the skip link first, and it leads to the content.
    focus = tab(page)
    assert focus["key"] == "Skip to main content"
    page.keyboard.press("Enter")
    stops = []
    typed = {
        "first_name": PERSON.first_name,
        "last_name": PERSON.last_name,
        "phone": PERSON.phone,
        "location": "Fayetteville Town Park",
    }
    while True:
        focus = tab(page)
        stops.append(focus["key"])
        if focus["key"] in typed:
            page.keyboard.type(typed[focus["key"]])
        elif focus["key"] == "dob":
            year, month, day = PERSON.dob.split("-")
            page.keyboard.type(month + day + year)  # en-US date input: mm dd yyyy
        elif focus["type"] == "radio":
            page.keyboard.press("ArrowDown")  # selects the second referral type
        elif focus["type"] == "checkbox":
            page.keyboard.press("Space")
        if focus["tag"] == "button" or len(stops) > 40:
            break

    # Date and time inputs take one Tab per part in Chromium (month, day, year, picker).
    order = [s for i, s in enumerate(stops) if i == 0 or s != stops[i - 1]]
    boxes = page.locator("#referral-form input[type=checkbox]").count()
    assert boxes >= 1
    assert order == [
        "first_name",
        "last_name",
        "aliases",
        "dob",
        "phone",
        "referral_type-0",  # one stop for the radio group; the arrow keys choose within it
        "incident_number",
        "offences",
        "statutes",
        "occurred_on",
        "occurred_time",
        "location",
        *(f"eligibility-{i}" for i in range(boxes)),
        "notes",
        "Send referral",
    ], stops
    expect(page.locator("#referral-form input[type=checkbox]:checked")).to_have_count(boxes)

    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(PERSON.full_name)
    expect(officer.badge()).to_have_text("Referred")
    expect(page.locator("#flash")).to_contain_text("Referral sent to the program office.")
    expect(page.locator(".portal-dl")).to_contain_text("Social contact")
    expect(page.locator(".portal-dl")).to_contain_text("Feb 9, 1986")
