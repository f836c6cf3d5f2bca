"""Provider staff in the story: the roster's pending referrals, admissions, sessions and
attendance.

Providers log attendance on phones and tablets too: every screen is also checked at 390 px.
"""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.e2e.checks import a11y, phone_friendly
from tests.e2e.keyboard import tab_to
from tests.e2e.roles import Actor, NewPerson

POLL_TIMEOUT = 20_000  # the participant page's timeline polls every 15 s
PENDING = re.compile(r"^(No|\d+) referrals? (is|are) waiting for your decision\.$")


class Provider(Actor):
    role = "provider"

    def sign_in(self) -> None:
        super().sign_in("Participants")
        self.checks("provider roster")

    def checks(self, name: str) -> None:
        a11y(self.page, name)
        phone_friendly(self.page, name)

    def pending(self) -> int:
        """The roster's count of referrals waiting for a decision, as the page words it."""
        text = self.page.locator("#pending-summary").inner_text().strip()
        found = PENDING.match(text)
        assert found, f"pending summary reads {text!r}"
        return 0 if found.group(1) == "No" else int(found.group(1))

    def _pending_is(self, count: int) -> None:
        summary = "No referrals are" if count == 0 else f"{count} referral"
        expect(self.page.locator("#pending-summary")).to_contain_text(summary)
        nav = self.page.locator("#nav-pending-count")
        expect(nav).to_have_text(f"({count} pending)" if count else "")

    def accepts(self, person: NewPerson, service: str) -> None:
        """Accept inline: the row turns Accepted, the pending counters drop (out of band)."""
        page = self.page
        name = person.full_name
        row = page.locator("#main-content tbody tr").filter(has_text=name).filter(has_text=service)
        expect(row.locator(".portal-badge")).to_have_text("Pending")
        before = self.pending()
        assert before >= 1
        self._pending_is(before)
        self.mark_page()
        row.get_by_role("button", name=f"Accept {name} for {service}").click()
        expect(row.locator(".portal-badge").first).to_have_text("Accepted")
        message = row.locator(".portal-row-message")
        expect(message).to_have_text(f"Accepted {name}.")
        expect(message).to_be_focused()
        expect(row.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
        self._pending_is(before - 1)
        self.assert_same_page()
        self.checks("provider roster (accepted)")

    def opens_sessions(self) -> None:
        page = self.page
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Sessions", exact=True
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
        self.checks("provider sessions")

    def opens_session(self, service: str, day: dt.date, today: dt.date) -> None:
        """Today's session from its link, or another date through the service-and-date form."""
        page = self.page
        todays = page.get_by_role("region", name=re.compile("^Today"))
        link = todays.get_by_role("link", name=service)
        if day == today and link.count():
            link.click()
        else:
            form = page.get_by_role("region", name="Appointments and other dates")
            form.get_by_label("Service").select_option(label=service)
            date = form.get_by_label("Session date", exact=False)
            expect(date).to_have_attribute("type", "date")
            expect(date).to_have_value(today.isoformat())
            date.fill(day.isoformat())
            form.get_by_role("button", name="Open attendance").click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text(service)
        expect(heading).to_contain_text(f"{day:%A} {day:%b} {day.day}, {day.year}")
        self.checks("provider session")

    def _row(self, person: NewPerson):
        return self.page.locator("#participants tbody tr").filter(has_text=person.full_name)

    def logs_by_keyboard(self, person: NewPerson, status: str, day: dt.date) -> None:
        """One tap, by keyboard: Tab from the date control to the person's button, then Enter."""
        page = self.page
        row = self._row(person)
        expect(row.locator("td[data-label=Attendance]")).to_have_text("Not recorded")
        self.mark_page()
        page.get_by_role("button", name="Open date").focus()
        tab_to(page, f"{status}: {person.full_name}")
        page.keyboard.press("Enter")
        said = f"{person.full_name}: {status.lower()} on {day:%b} {day.day}."
        expect(row.locator(".portal-badge")).to_have_text(status)
        expect(row.locator(".portal-row-message")).to_be_focused()
        expect(page.locator("#session-status")).to_have_text(said)
        expect(row.get_by_role("button", name=f"{status}: {person.full_name}")).to_have_count(0)
        self.assert_same_page()
        self.checks("provider session (recorded)")

    def marks_all_present(self, person: NewPerson) -> None:
        """A group session at once: everyone on the roster gets a status, the person attended."""
        page = self.page
        self.mark_page()
        page.get_by_role("button", name="Mark all present").click()
        expect(page.locator("#session-status")).to_have_text(
            re.compile(r"^Marked \d+ participants? present\.$")
        )
        participants = page.locator("#participants")
        expect(participants.get_by_text("Not recorded")).to_have_count(0)
        expect(self._row(person).locator(".portal-badge")).to_have_text("Attended")
        self.assert_same_page()
        self.checks("provider session (all present)")

    def corrects(self, person: NewPerson, status: str, reason: str) -> None:
        """Adjust one entry: a new status with a reason; the earlier value stays in view."""
        page = self.page
        row = self._row(person)
        row.locator("summary").filter(has_text="Correct").click()
        self.tick(status, row)
        row.get_by_label("Reason for the correction").fill(reason)
        row.get_by_role("button", name="Save correction").click()
        expect(row.locator(".portal-badge")).to_have_text(status)
        expect(row).to_contain_text(f"Was attended, corrected to {status.lower()}")
        expect(row).to_contain_text(reason)
        expect(page.locator("#session-status")).to_contain_text(f"{person.full_name}: corrected")
        self.assert_same_page()
        self.checks("provider session (corrected)")

    def admits(self, person: NewPerson, service: str, day: dt.date) -> None:
        """An episode (detox): from the roster's "Awaiting admission" to the participant's page,
        where the date admits them; the section and the timeline update in place."""
        page = self.page
        name = person.full_name
        row = page.locator("#main-content tbody tr").filter(has_text=name).filter(has_text=service)
        # (Chromium sets usa-sr-only text apart: "Awaiting admission : admit <name>")
        awaiting = re.compile(rf"Awaiting admission\s*: admit {re.escape(name)}")
        row.get_by_role("link", name=awaiting).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        section = page.get_by_role("region", name="Admission and discharge")
        expect(section).to_contain_text("Awaiting admission.")
        referrals = page.get_by_role("region", name="Referrals to your services")
        expect(referrals.get_by_role("row").filter(has_text=service)).to_contain_text("Accepted")
        self.checks("provider participant")
        self.mark_page()
        date = section.get_by_label("Date of admission")
        expect(date).to_have_attribute("type", "date")
        date.fill(day.isoformat())
        section.get_by_role("button", name=f"Admit {name} to {service}").click()
        section = page.get_by_role("region", name="Admission and discharge")
        expect(section).to_contain_text(f"Admitted {name} to {service}.")
        expect(section.locator("summary").filter(has_text="Discharge")).to_be_visible()
        expect(page.locator("#timeline .portal-timeline__text").first).to_contain_text(
            "Admitted", timeout=POLL_TIMEOUT
        )
        self.assert_same_page()
        self.checks("provider participant (admitted)")

    def sees_only_own_services(self, others: tuple[str, ...]) -> None:
        """After other providers' work, this one's open page, refreshed, never shows it."""
        page = self.page
        # The timeline polls every 15 s and is swapped whole: wait for the next fresh copy.
        page.locator("#timeline").evaluate("el => el.setAttribute('data-e2e-old', '')")
        expect(page.locator("#timeline[data-e2e-old]")).to_have_count(0, timeout=POLL_TIMEOUT)
        expect(page.locator("#timeline .portal-timeline__text").first).to_contain_text("Admitted")
        # What the page says of the participant (the discharge form's list of step-down services
        # names every provider's services: the directory, not the participant's record).
        main = page.locator("main")
        record = [
            main.get_by_role("region", name="Referrals to your services"),
            main.get_by_role("region", name="Attendance"),
            page.locator("#timeline"),
        ]
        for text in others:
            for part in record:
                expect(part).not_to_contain_text(text)
        main_text = main.evaluate(
            "m => { const c = m.cloneNode(true); c.querySelectorAll('select').forEach("
            "s => s.remove()); return c.innerText; }"
        )
        for text in others:
            assert text not in main_text, text
        self.assert_same_page()
