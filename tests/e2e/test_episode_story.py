"""An episode's end, on phones: FMRS discharges the demo's participant in crisis stabilisation,
stepped down to long-term treatment (a discharge dated before the admission is refused first);
the case manager confirms the step-down on the case page, which makes the referral FMRS then sees
pending (that no officer sees any of it is proven in tests/web/provider/test_episodes.py). Every
screen passes axe and fits 390 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import PHONE, a11y, phone_friendly
from tests.e2e.provider import Provider

pytestmark = pytest.mark.e2e

FMRS = "staff@fmrs.example.org"
CASE_MANAGER = "casemanager@lead.example.org"
LONG_TERM = "Intensive Outpatient Treatment"


def test_fmrs_discharges_to_long_term_treatment_and_the_case_manager_confirms(cast):
    staff = cast.actor(Provider, FMRS, PHONE)
    staff.sign_in()
    page = staff.page
    row = page.locator("#main-content tbody tr").filter(has_text="Crisis Stabilization")
    admitted = row.get_by_role("link", name=re.compile(r"^Admitted .*: .*, discharge$"))
    expect(admitted).to_have_count(1)
    admitted.click()
    name = page.get_by_role("heading", level=1).inner_text()
    section = page.get_by_role("region", name="Admission and discharge")
    section.locator("summary").filter(has_text="Discharge").click()
    staff.checks("provider discharge form")
    staff.mark_page()

    # A discharge before the admission is refused beside its date; nothing changes.
    date = section.get_by_label("Date of discharge")
    date.fill("2001-01-01")
    staff.tick("Completed, stepped down to a named service", section)
    section.get_by_label(re.compile("Step-down service")).select_option(
        index=_option_index(section, LONG_TERM)
    )
    with staff.console.allowing(r"status of 422"):
        section.get_by_role("button", name="Discharge").click()
        expect(section.get_by_label("Date of discharge")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("region", name="Admission and discharge")).to_contain_text("before")

    section = page.get_by_role("region", name="Admission and discharge")
    section.get_by_label("Date of discharge").fill(dt.date.today().isoformat())
    section.get_by_role("button", name="Discharge").click()
    section = page.get_by_role("region", name="Admission and discharge")
    expect(section).to_contain_text(LONG_TERM)
    expect(section).to_contain_text("Waiting for the case manager")
    staff.assert_same_page()
    staff.checks("provider participant (discharged)")

    manager = cast.admin(CASE_MANAGER, PHONE)
    manager.sign_in()
    mpage = manager.page
    manager.goto(f"/admin/cases?q={name.split()[-1]}&status=active")
    mpage.locator("#main-content tbody").get_by_role("link", name=name).first.click()
    expect(mpage.get_by_role("heading", level=1)).to_have_text(name)
    # (usa-sr-only text is set apart: Chromium names it "Confirm step-down : refer to ...")
    confirm = mpage.get_by_role(
        "button", name=re.compile(rf"Confirm step-down\s*: refer to {LONG_TERM}")
    )
    expect(confirm).to_be_visible()
    manager.checks("case page with a step-down to confirm")
    confirm.click()
    services = mpage.locator("#service_referrals")
    expect(services.get_by_role("row").filter(has_text=LONG_TERM).first).to_contain_text("Pending")
    expect(confirm).to_have_count(0)
    manager.checks("case page with the step-down confirmed")

    staff.goto("/provider/")
    new = page.locator("#main-content tbody tr").filter(has_text=name).filter(has_text=LONG_TERM)
    expect(new).to_contain_text("Pending")
    a11y(page, "provider roster with the step-down referral")
    phone_friendly(page, "provider roster with the step-down referral")
    cast.assert_consoles_clean()


def _option_index(section, label: str) -> int:
    options = section.get_by_label(re.compile("Step-down service")).locator("option")
    texts = options.all_inner_texts()
    return next(i for i, text in enumerate(texts) if text.startswith(label))
