"""The program office's administrator in the story: screening, intake, assessment, matching."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.checks import DESKTOP, a11y, phone_friendly
from tests.e2e.keyboard import tab, tab_to
from tests.e2e.roles import Actor, Assessment, HeldCharge, NewPerson

ADMIN_POLL_TIMEOUT = 20_000  # the case page's timeline polls every 15 s


class Admin(Actor):
    role = "administrator"

    def sign_in(self) -> None:
        super().sign_in("Referral queue")

    def checks(self, name: str) -> None:
        """axe at both widths; on a phone, also no sideways scrolling and big enough targets."""
        a11y(self.page, name)
        if self.page.viewport_size["width"] < DESKTOP["width"]:
            phone_friendly(self.page, name)

    # --- compliance review (case managers) --------------------------------------------------

    def _flag(self, name: str, rule: str):
        page = self.page
        return page.locator("article.portal-flag").filter(
            has=page.get_by_role("heading", level=2, name=f"{name}: {rule}", exact=True)
        )

    def opens_review_queue(self, open_flags: int) -> None:
        """From the navigation, which counts the open flags."""
        page = self.page
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.locator("#review-count")).to_have_text(str(open_flags))
        link = nav.get_by_role("link", name=f"Compliance review {open_flags} open flags")
        link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Compliance review")
        expect(link).to_have_attribute("aria-current", "page")
        expect(page.locator("article.portal-flag")).to_have_count(open_flags)
        self.checks("compliance review queue")
        self.mark_page()

    def sees_flag(self, name: str, rule: str, evidence: re.Pattern, badge: str) -> int:
        """The flag with its evidence, the outreach attempts and the recent timeline; returns
        the case number."""
        flag = self._flag(name, rule)
        expect(flag).to_have_count(1)
        expect(flag.locator(".portal-badge")).to_have_text(badge)
        expect(flag).to_contain_text(evidence)
        expect(flag.get_by_role("region", name="Outreach and contacts")).to_contain_text(
            "No contact or outreach attempt recorded."
        )
        timeline = flag.get_by_role("region", name="Recent timeline")
        expect(timeline).to_contain_text("Referral accepted")
        expect(timeline).to_contain_text("Referral received")
        found = re.search(r"Case #(\d+)\.", flag.inner_text())
        assert found, flag.inner_text()
        return int(found.group(1))

    def dismisses_without_reason(self, name: str, rule: str, open_flags: int) -> None:
        """Dismissing needs a reason: refused beside the field, the flag still open."""
        page = self.page
        flag = self._flag(name, rule)
        badge = flag.locator(".portal-badge").inner_text()
        with self.console.allowing(r"status of 422"):
            flag.get_by_role("button", name="Dismiss flag").click()
            reason = flag.get_by_label("Reason for dismissing")
            expect(reason).to_have_attribute("aria-invalid", "true")
            expect(reason).to_be_focused()
        expect(reason).to_have_accessible_description(
            re.compile(re.escape("Give the reason for dismissing this flag."))
        )
        expect(flag.get_by_role("button", name="Confirm non-compliance")).to_be_visible()
        expect(flag.locator(".portal-badge")).to_have_text(badge)
        expect(page.locator("#review-count")).to_have_text(str(open_flags))
        self.assert_same_page()
        self.checks("compliance review queue (dismissal refused)")

    def confirms(self, name: str, rule: str, open_flags: int) -> None:
        """Confirmed in place: the flag gives way to the outcome, the count drops."""
        page = self.page
        flag = self._flag(name, rule)
        flag.get_by_role("button", name="Confirm non-compliance").click()
        message = flag.get_by_role("status")
        expect(message).to_have_text(
            "Non-compliance confirmed. The case is closed as non-compliant."
        )
        expect(message).to_be_focused()
        expect(flag.get_by_role("button")).to_have_count(0)
        expect(page.locator("#review-count")).to_have_text(str(open_flags - 1))
        self.assert_same_page()
        self.checks("compliance review queue (confirmed)")

    def opens_returned_case(self, name: str, rule: str) -> HeldCharge:
        """The case, closed as non-compliant, with the charge its referral held."""
        page = self.page
        self._flag(name, rule).get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(self.badge()).to_have_text("Non-compliant")
        expect(page.locator("#workflow")).to_contain_text(": Non-compliance confirmed.")
        expect(page.locator("#timeline .portal-timeline__text").first).to_contain_text(
            "Case returned for non-compliance"
        )
        charge = HeldCharge.read(page.get_by_role("region", name="Held charge"))
        assert charge.incident and charge.offences and charge.statutes, charge
        assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", charge.file_by), charge
        self.checks("admin case detail (returned)")
        return charge

    def finds_in_queue(self, person: NewPerson, officer_name: str) -> None:
        page = self.page
        section = page.get_by_role("region", name=re.compile("New referrals to screen"))
        row = section.get_by_role("row").filter(has_text=person.full_name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(officer_name)
        expect(row).to_contain_text("today")
        expect(row).to_contain_text("days left")
        a11y(page, "admin referral queue")

    def open_case(self, person: NewPerson) -> None:
        page = self.page
        page.get_by_role("link", name=person.full_name).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(person.full_name)
        expect(self.badge()).to_have_text("Referred")
        expect(page.locator(".portal-dl")).to_contain_text(person.phone)
        expect(page.get_by_role("heading", name="Screen this referral")).to_be_visible()
        a11y(page, "admin case detail (screening)")
        self.mark_page()

    def declines_without_reason(self) -> None:
        """The decline form refuses to go without a reason; the panel stays, focus on the field."""
        page = self.page
        workflow = page.locator("#workflow")
        with self.console.allowing(r"status of 422"):
            workflow.get_by_role("button", name="Decline referral").click()
            reason = workflow.get_by_label("Exclusion reason")
            expect(reason).to_be_focused()
            expect(reason).to_have_attribute("aria-invalid", "true")
            expect(reason).to_have_accessible_description("Choose a reason.")
        expect(self.badge()).to_have_text("Referred")
        self.assert_same_page()
        a11y(page, "admin case detail (decline refused)")

    def accepts(self, note: str) -> None:
        """Accept the referral: the panel turns into the intake form, the badge changes in place."""
        page = self.page
        page.get_by_label("Screening note", exact=False).fill(note)
        expect(page.get_by_label("Note (optional)", exact=True)).to_have_value("")
        page.get_by_role("button", name="Accept referral").click()
        workflow = page.locator("#workflow")
        expect(workflow.get_by_role("heading", name="Record intake")).to_be_focused()
        expect(workflow.get_by_role("button", name="Accept referral")).to_have_count(0)
        expect(self.badge()).to_have_text("Accepted, awaiting intake")
        expect(page.locator("#timeline")).to_contain_text("Referral accepted")
        expect(page.locator("#timeline")).to_contain_text(note)
        self.assert_same_page()
        a11y(page, "admin case detail (intake form)")

    def records_intake(self) -> None:
        page = self.page
        workflow = page.locator("#workflow")
        expect(workflow.get_by_label("Intake completed on")).to_have_attribute("type", "date")
        workflow.get_by_role("button", name="Record intake and activate").click()
        expect(workflow.get_by_role("heading", name="Case status")).to_be_focused()
        expect(workflow).to_contain_text("Intake completed")
        expect(self.badge()).to_have_text("Active")
        expect(page.locator("#timeline")).to_contain_text("Intake")
        self.assert_same_page()
        a11y(page, "admin case detail (active)")

    def reopens_case(self, person: NewPerson) -> None:
        """From a list, back to the participant's case page."""
        page = self.page
        page.get_by_role("link", name=person.full_name).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(person.full_name)
        self.mark_page()

    def records_consent(self) -> None:
        """The participant's signed consent: program status, to the referring agency."""
        page = self.page
        section = page.locator("#consents")
        section.locator("summary").filter(has_text="Record a signed consent").click()
        self.tick("Program status (enrolled, engaged in services, withdrawn)", section)
        self.tick("Signed on paper", section)
        section.get_by_label("Purpose of the disclosure").fill(
            "Keep the referring officer informed of the participant's progress."
        )
        section.get_by_label("Or expires at this event", exact=False).fill("Exit from the program")
        section.get_by_role("button", name="Record consent").click()
        expect(section.get_by_role("status")).to_contain_text("Consent recorded.")
        expect(section).to_contain_text("In force")
        self.assert_same_page()
        a11y(page, "admin case detail (consent recorded)")

    def revokes_consent(self) -> None:
        """The participant revoked the consent: recorded in place."""
        page = self.page
        section = page.locator("#consents")
        section.locator("summary").filter(has_text="Record a revocation").click()
        section.get_by_label("How it was received").fill("In person at the office")
        section.get_by_role("button", name="Record revocation").click()
        expect(section.get_by_role("status")).to_contain_text("Revocation recorded")
        expect(section).to_contain_text("Revoked on")
        self.assert_same_page()
        a11y(page, "admin case detail (consent revoked)")

    def prints_consent_and_accounting(self, person, officer_name: str) -> None:
        """The consent form, filled from the record, and the accounting of disclosures."""
        page = self.page
        page.get_by_role("link", name="Print the consent form").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Consent for the disclosure")
        expect(page.locator("main")).to_contain_text(person.full_name)
        a11y(page, "consent form (print)")
        page.go_back()
        page.get_by_role("link", name="Accounting of disclosures").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Accounting of disclosures")
        expect(page.locator("main")).to_contain_text(officer_name)
        a11y(page, "accounting of disclosures")

    def sees_who_opened_the_record(self, officer_email: str) -> None:
        """The audit trail, filtered to this case, shows the officer's views of the record."""
        page = self.page
        case_id = re.search(r"/admin/cases/(\d+)", page.url).group(1)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
        page.get_by_label("Case number").fill(case_id)
        page.get_by_label("Action").select_option(label="View record")
        results = page.locator("#results")
        expect(results.get_by_role("row").filter(has_text=officer_email).first).to_contain_text(
            f"#{case_id}"
        )
        a11y(page, "audit trail (views of a record)")

    def edits_details(self, statutes: str) -> None:
        """The referral's details are edited in place in any status; the rest of the page stays."""
        page = self.page
        badge = self.badge().inner_text()
        referral = page.locator("#referral")
        referral.locator("summary").filter(has_text="Edit referral details").click()
        referral.get_by_label("Statute(s)", exact=False).fill(statutes)
        referral.get_by_role("button", name="Save details").click()
        expect(referral.get_by_role("status")).to_contain_text("Referral details saved.")
        expect(referral.locator(".portal-dl")).to_contain_text(statutes)
        if badge in ("Referred", "Accepted, awaiting intake"):
            expect(referral.locator(".portal-dl")).to_contain_text("days left")
        expect(self.badge()).to_have_text(badge)
        timeline = page.locator("#timeline .portal-timeline__text").first
        expect(timeline).to_contain_text("Case details updated")
        self.assert_same_page()
        a11y(page, f"admin case detail (details saved, {badge.lower()})")

    def finds_in_cases(self, person: NewPerson, badge: str) -> None:
        """The case list's search narrows the table in place as the administrator types."""
        page = self.page
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
        a11y(page, "admin cases")
        self.mark_page()
        page.get_by_label("Name, alias or incident").press_sequentially(person.last_name)
        results = page.locator("#results")
        expect(results).to_contain_text("1 case.")
        row = results.get_by_role("row").filter(has_text=person.full_name)
        expect(row.locator(".portal-badge")).to_have_text(badge)
        expect(page).to_have_url(re.compile(r"q=" + person.last_name))
        self.assert_same_page()
        a11y(page, "admin cases (searched)")

    def records_assessment(self, assessment: Assessment) -> None:
        """The needs assessment, by keyboard alone: every field in order, then Enter to save."""
        page = self.page
        section = page.locator("#assessment")
        expect(section).to_contain_text("No needs assessment yet.")
        expect(section.get_by_label("Assessed on")).to_have_value(assessment.assessed_on)
        a11y(page, "admin case detail (assessment form)")
        section.locator("summary").focus()  # the form's disclosure, already open
        needs = {n.domain: n for n in assessment.needs}
        stops = []
        while len(stops) < 60:
            focus = tab(page)
            stops.append(focus["key"])
            key = focus["key"].removeprefix("assess-")
            if key == "substances":
                page.keyboard.type(assessment.substances)
            elif key == "detox_needed" and assessment.detox_needed:
                page.keyboard.press("Space")
            elif key.startswith("level_"):
                page.keyboard.type(needs[key.removeprefix("level_")].level)  # select type-ahead
            elif key.startswith("note_") and needs[key.removeprefix("note_")].note:
                page.keyboard.type(needs[key.removeprefix("note_")].note)
            if focus["tag"] == "button":
                break
        # A date input takes one Tab per part (month, day, year) in Chromium.
        order = [s for i, s in enumerate(stops) if i == 0 or s != stops[i - 1]]
        domains = [f"assess-{kind}_{d}" for d in needs for kind in ("level", "note")]
        expected = ["assess-assessed_on", "assess-substances", "assess-detox_needed", *domains]
        assert order == [*expected, "Save assessment"], order
        page.keyboard.press("Enter")
        section = page.locator("#assessment")
        message = section.get_by_role("status")
        expect(message).to_have_text("Needs assessment recorded.")
        expect(message).to_be_focused()
        expect(section).to_contain_text(f"Substances: {assessment.substances}")
        expect(section).to_contain_text("Detox needed: Yes")
        for need in assessment.needs:
            row = section.get_by_role("row").filter(
                has=page.get_by_role("rowheader", name=need.label, exact=True)
            )
            expect(row.locator(".portal-need")).to_have_text(need.level)
        expect(page.locator("#timeline")).to_contain_text("Needs assessment recorded")
        self.assert_same_page()
        a11y(page, "admin case detail (assessed)")

    def opens_matching(self, person: NewPerson, first: str) -> None:
        """Services ranked for the latest assessment; detox first when detox is needed."""
        page = self.page
        page.locator("#service_referrals").get_by_role(
            "link", name="Find and assign services"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Services for {person.full_name}"
        )
        expect(page.get_by_role("region", name="Needs")).to_contain_text("Detox needed.")
        top = page.locator("#match-results tbody tr").first
        expect(top.get_by_role("rowheader")).to_contain_text(first)
        expect(top).to_contain_text("Detox needed")
        a11y(page, "admin matching")
        self.mark_page()

    def filters_matching(self, label: str, option: str, query: str) -> None:
        """A filter swaps the results in place (htmx) and keeps the choice in the address."""
        page = self.page
        page.get_by_label(label, exact=True).select_option(label=option)
        expect(page).to_have_url(re.compile(query))
        self.assert_same_page()
        expect(page.locator("#match-results").get_by_role("status")).to_be_visible()
        a11y(page, f"admin matching ({label.lower()} {option})")

    def _places(self, row) -> int:
        text = row.locator("td[data-label=Places]").inner_text()
        return int(re.match(r"\d+", text.strip()).group())

    def _assigned(self, row, places: int) -> None:
        expect(row.locator("td[data-label=Action]")).to_contain_text("Assigned: Pending")
        expect(row.locator("td[data-label=Places]")).to_contain_text(f"{places - 1} of ")
        message = row.get_by_role("status")
        expect(message).to_have_text("Assigned; waiting for the provider to accept.")
        expect(message).to_be_focused()
        self.assert_same_page()

    def assigns_by_keyboard(self, service: str, provider: str) -> None:
        """From the filters, Tab reaches the service's Assign button; Enter assigns it."""
        page = self.page
        results = page.locator("#match-results")
        rows = results.locator("tbody tr")
        expect(rows.get_by_role("rowheader").filter(has_not_text=provider)).to_have_count(0)
        row = rows.filter(has=page.get_by_text(service, exact=True))
        places = self._places(row)
        page.get_by_label("Category", exact=True).focus()
        stops = tab_to(page, f"Assign {service}")
        assert stops[:3] == ["filter-organization", "filter-capacity", "Filter"], stops
        page.keyboard.press("Enter")
        self._assigned(row, places)
        a11y(page, "admin matching (assigned)")

    def assigns(self, service: str) -> None:
        page = self.page
        row = page.locator("#match-results tbody tr").filter(
            has=page.get_by_text(service, exact=True)
        )
        places = self._places(row)
        row.get_by_role("button", name=f"Assign {service}").click()
        self._assigned(row, places)

    def back_to_case(self, person: NewPerson, services: list[str]) -> None:
        """The case page lists the new service referrals; its timeline names them."""
        page = self.page
        page.get_by_role("link", name=f"Back to the case of {person.full_name}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(person.full_name)
        table = page.locator("#service_referrals")
        for service in services:
            row = table.get_by_role("row").filter(has_text=service)
            expect(row.locator(".portal-badge")).to_have_text("Pending")
            expect(page.locator("#timeline")).to_contain_text(f"Service: {service}")
        expect(page.locator("#timeline .portal-timeline__text").first).to_contain_text(
            "Referred to a service"
        )
        a11y(page, "admin case detail (services assigned)")
        self.mark_page()

    def sees_timeline(self, *entries: str) -> None:
        """The open case page's timeline shows the providers' work without a reload."""
        timeline = self.page.locator("#timeline")
        for entry in entries:
            expect(timeline).to_contain_text(entry, timeout=ADMIN_POLL_TIMEOUT)
        self.assert_same_page()
        a11y(self.page, "admin case detail (providers' updates)")
