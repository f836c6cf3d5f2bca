"""The public program page and the officers' pocket card, in a browser: a visitor on a phone
(375 px) reads the program, its contact and the Health Department clinic's Wednesday hours,
switches to Spanish, and prints the page without its navigation; an officer opens the resource
page and the Spanish card, and prints the card alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import PHONE, a11y, phone_friendly

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 375, "height": 812}
OFFICER = "deputy.hall@fcso.example.org"


def _fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways at {width}px ({scroll}px)"


def test_a_visitor_reads_the_program_on_a_phone_and_prints_it(cast):
    page = cast.page("visitor", SMALL_PHONE)
    page.goto(cast.base_url + "/")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("LEAD")
    expect(page.get_by_role("heading", name="Goals")).to_be_visible()
    expect(page.get_by_role("heading", name="How referral works")).to_be_visible()
    # The program's contact, as the administrator entered it (the demo's).
    expect(page.locator("main")).to_contain_text("LEAD program office")
    expect(page.locator("main")).to_contain_text("(304) 555-0100")
    expect(page.locator("main")).to_contain_text("lead@lead.example.org")
    clinic = page.locator(".usa-card").filter(has_text="Harm Reduction Clinic")
    expect(clinic).to_contain_text(re.compile(r"Every Wednesday, 1:00\s*PM to 3:00\s*PM"))
    expect(clinic).to_contain_text("210 W Maple Ave")
    sign_in = page.get_by_role("link", name="Staff sign in")
    expect(sign_in).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    _fits(page, SMALL_PHONE["width"])
    phone_friendly(page, "public page")
    a11y(page, "public page")

    # Printed: the program and the directory, without the header's links.
    page.emulate_media(media="print")
    expect(page.locator("nav.portal-public-nav")).to_be_hidden()
    expect(sign_in).to_be_hidden()
    expect(clinic).to_be_visible()
    page.emulate_media(media="screen")

    # In Spanish, and back.
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Sobre el programa")).to_be_visible()
    expect(clinic).to_contain_text("Cada miércoles, de 13:00 a 15:00")
    expect(page.get_by_role("link", name="Acceso del personal")).to_be_visible()
    _fits(page, SMALL_PHONE["width"])
    a11y(page, "public page (es)")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Sign-in is one click away.
    page.get_by_role("link", name="Staff sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_an_officer_opens_the_resources_and_prints_the_spanish_card(cast):
    officer = cast.officer(OFFICER, PHONE)
    officer.sign_in()
    page = officer.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Resources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resources for a hand-off")
    providers = page.locator(".usa-card")
    expect(providers.filter(has_text="Harm Reduction Clinic")).to_contain_text("Wednesday")
    expect(providers.filter(has_text="Detoxification")).to_contain_text("(304) 555-0142")
    phone_friendly(page, "officer resources")
    a11y(page, "officer resources")

    page.get_by_role("link", name="Card in Español").click()
    expect(page).to_have_url(re.compile(r"/officer/resources/card\?lang=es$"))
    card = page.locator(".portal-pocket-card")
    expect(card).to_have_attribute("lang", "es")
    expect(card.get_by_role("heading", name="Lo que sigue")).to_be_visible()
    expect(card).to_contain_text("Cada miércoles, de 13:00 a 15:00")
    expect(card).to_contain_text("(304) 555-0199")  # the program's on-call number
    phone_friendly(page, "pocket card (es)")
    a11y(page, "pocket card (es)")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print the card")).to_be_hidden()
    expect(card).to_be_visible()
    width = card.evaluate("el => el.getBoundingClientRect().width")
    assert width <= 5 * 96 + 1, f"the printed card is {width}px wide (5 in at most)"
    page.emulate_media(media="screen")
