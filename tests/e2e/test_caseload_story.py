"""A case manager's caseload, on a phone: the demo shares its cases between Marcus Reyes and
Dana Whitlock (each took those they accepted). Marcus opens Caseload from the navigation (both
of them, with their open cases against the guidance), then Outreach (the accepted referrals
awaiting intake, nearest deadline first, with their latest contact), narrows it to his own, then
filters the referral queue to the unassigned new referrals and takes one from its page. Every
screen passes axe and fits 390 px without sideways scrolling.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import PHONE

pytestmark = pytest.mark.e2e

CASE_MANAGER = "casemanager@lead.example.org"


def test_a_case_manager_sees_the_caseload_and_outreach_and_takes_a_case(cast):
    manager = cast.admin(CASE_MANAGER, PHONE)
    manager.sign_in()
    page = manager.page
    heading = page.get_by_role("heading", level=1)
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Caseload").click()
    expect(heading).to_have_text("Caseload")
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Marcus Reyes")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Dana Whitlock")).to_be_visible()
    expect(page.get_by_text("The program's guidance is 15 open cases")).to_be_visible()
    manager.checks("caseload")

    nav.get_by_role("link", name="Outreach").click()
    expect(heading).to_have_text("Outreach")
    expect(page.locator("#outreach")).to_contain_text(re.compile(r"\d+ (person|people) to reach"))
    manager.checks("outreach")
    page.get_by_label("Case manager").select_option(label="Mine")
    expect(page).to_have_url(re.compile(r"cm=mine"))
    rows = page.locator("#outreach tbody tr")
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("Marcus Reyes")
    manager.checks("outreach (mine)")

    nav.get_by_role("link", name="Referral queue").click()
    expect(heading).to_have_text("Referral queue")
    page.get_by_label("Case manager").select_option(label="Unassigned")
    expect(page).to_have_url(re.compile(r"cm=none"))
    manager.checks("referral queue (unassigned)")
    new = page.get_by_role("region", name=re.compile("New referrals to screen"))
    new.get_by_role("rowheader").first.get_by_role("link").click()
    panel = page.locator("#case-manager")
    expect(panel).to_contain_text("Nobody is assigned to this case.")
    manager.checks("case page (unassigned)")
    panel.get_by_role("button", name="Take this case").click()
    expect(panel).to_contain_text("Assigned to Marcus Reyes (you).")
    expect(panel.get_by_role("button", name="Take this case")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Case manager changed", timeout=20_000)
    manager.checks("case page (taken)")
