"""The program's outcomes on the dashboard, in a browser: the evaluator opens Reports (the demo
holds the program's first year), sees the charts with their tables (axe checks the SVG charts'
names), narrows them to one agency and a longer range in place (htmx, no reload), breaks them down
by race with small counts suppressed, downloads a table and the de-identified evaluation file
(no name in it); an officer sees the counts of their own referrals on a phone."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.admin import Admin
from tests.e2e.checks import PHONE, a11y, phone_friendly
from tests.e2e.roles import Actor

pytestmark = pytest.mark.e2e

EVALUATOR = "evaluator@lead.example.org"


def _downloaded(page, link) -> str:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_text(encoding="utf-8")


def test_an_evaluator_reads_filters_and_exports_the_outcomes(cast):
    evaluator = cast.actor(Admin, EVALUATOR, {"width": 1280, "height": 800})
    Actor.sign_in(evaluator, "Reports")
    page = evaluator.page
    dashboard = page.locator("#dashboard")
    charts = dashboard.get_by_role("img")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 6
    expect(dashboard.get_by_role("img", name="Referrals by month")).to_be_visible()
    expect(
        dashboard.get_by_role("heading", name="Re-arrest before and after enrollment")
    ).to_be_visible()
    evaluator.checks("outcomes dashboard")
    evaluator.mark_page()

    # One agency, from a year and a half ago: the dashboard changes in place.
    page.get_by_label("Agency", exact=True).select_option(label="Oak Hill Police Department")
    start = page.get_by_label("From", exact=True)
    start.fill(re.sub(r"^(\d{4})", lambda m: str(int(m.group(1)) - 2), start.input_value()))
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"agency=\d+"))
    expect(page.locator("#dashboard-range")).to_contain_text("Oak Hill Police Department")
    evaluator.assert_same_page()
    agency_table = page.locator("#figure-referrals-by-agency table")
    expect(agency_table).to_contain_text("Oak Hill Police Department")
    expect(agency_table).not_to_contain_text("Fayette County Sheriff")

    # By race: small counts are suppressed; the tables carry the breakdown (no charts).
    page.get_by_label("Break down by", exact=True).select_option(label="Race")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#dashboard-range")).to_contain_text("counts under 11 are shown as <11")
    expect(page.locator("#figure-referrals-by-agency table")).to_contain_text("<11")
    evaluator.assert_same_page()
    evaluator.checks("outcomes dashboard by race")

    table = _downloaded(
        page,
        page.locator("#figure-exits").get_by_role("link", name=re.compile("Download this table")),
    )
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][:2] == ["Race", "Reason"], rows[0]

    evaluation = _downloaded(
        page, page.get_by_role("link", name=re.compile("de-identified evaluation file"))
    )
    records = list(csv.DictReader(io.StringIO(evaluation)))
    assert records and {"person_id", "age_band", "referral_month", "housing_latest"} <= set(
        records[0]
    )
    for name in ("Dustin", "Meadows", "Whitlock"):
        assert name not in evaluation
    cast.assert_consoles_clean()


def test_an_officer_sees_their_own_referrals_counted(cast):
    officer = cast.officer("deputy.hall@fcso.example.org", PHONE)
    officer.sign_in()
    page = officer.page
    counts = page.get_by_role("region", name="Your referrals so far")
    expect(counts).to_contain_text(re.compile(r"\d+ accepted by the program"))
    expect(counts).to_contain_text(re.compile(r"\d+ declined"))
    counts.get_by_role("link", name=re.compile("accepted by the program")).click()
    expect(page).to_have_url(re.compile(r"status=accepted"))
    a11y(page, "my referrals with counts")
    phone_friendly(page, "my referrals with counts")
