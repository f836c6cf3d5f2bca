"""The people of the story and what they do, one class per role.

Each method is one step as a person performs it, and asserts what that person then sees. The
administrator is in admin.py, provider staff in provider.py; a new screen becomes a new method there
and a new line in test_story.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from tests.e2e.checks import ConsoleWatch, a11y, phone_friendly

POLL_TIMEOUT = 15_000  # the officer's timeline polls every 10 s
UNREAD_POLL_TIMEOUT = 40_000  # the header's unread count polls every 30 s


@dataclass(frozen=True)
class NewPerson:
    """A person an officer refers, with what the form asks for."""

    first_name: str
    last_name: str
    dob: str  # ISO date
    phone: str
    aliases: str = ""
    referral_type: str = "Arrest diversion"
    incident_number: str = ""
    offences: str = ""
    location: str = ""
    notes: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Need:
    domain: str  # the form's key, e.g. "substance_use"
    label: str  # as the page shows it
    level: str
    note: str = ""


@dataclass(frozen=True)
class Assessment:
    """A needs assessment as the administrator enters it: all eight domains, in form order."""

    assessed_on: str  # ISO date
    substances: str
    detox_needed: bool
    needs: tuple[Need, ...]


class Actor:
    """Someone with a browser window, signed in to the portal."""

    role = ""

    def __init__(self, page: Page, console: ConsoleWatch, base_url: str, email: str, password: str):
        self.page = page
        self.console = console
        self.base_url = base_url
        self.email = email
        self.password = password

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def badge(self, scope=None):
        return (scope or self.page).locator("#case-status .portal-badge")

    def mark_page(self) -> None:
        """Tag the document; `assert_same_page` then proves later changes came without a reload."""
        self.page.evaluate("window.__e2eSamePage = true")

    def tick(self, label: str, scope=None) -> None:
        """Tap a checkbox or radio by its label, as a thumb does (USWDS hides the native input)."""
        where = scope or self.page
        where.locator(".usa-checkbox__label, .usa-radio__label").filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        ).click()
        expect(where.get_by_label(label, exact=True)).to_be_checked()

    def assert_same_page(self) -> None:
        assert self.page.evaluate("window.__e2eSamePage === true"), "the page was reloaded"

    def sign_in(self, home_heading: str) -> None:
        page = self.page
        self.goto("/")  # the public program page: sign-in is one click away
        page.get_by_role("link", name="Staff sign in").click()
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.get_by_text("Authorised use only.")).to_be_visible()
        expect(page.get_by_label("Email")).to_have_attribute("type", "email")
        expect(page.get_by_label("Email")).to_have_attribute("autocomplete", "username")
        expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
        a11y(page, f"sign-in ({self.role})")
        page.get_by_label("Email").fill(self.email)
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(home_heading)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


class Officer(Actor):
    role = "officer"

    def sign_in(self) -> None:
        super().sign_in("My referrals")
        phone_friendly(self.page, "sign-in")

    def open_new_referral(self) -> None:
        page = self.page
        page.get_by_role("navigation", name="Main").get_by_role("link", name="New referral").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Refer a person to LEAD")
        # Types that bring up the right keyboard or picker on a phone; nothing autofilled
        # with the officer's own details.
        for label, kind in [
            ("Date of birth", "date"),
            ("Phone number for the program to reach them", "tel"),
            ("Date of contact", "date"),
            ("Time of contact", "time"),
        ]:
            expect(page.get_by_label(label, exact=False)).to_have_attribute("type", kind)
        for label in ["First name", "Last name", "Date of birth", "Phone number"]:
            expect(page.get_by_label(label, exact=False)).to_have_attribute("autocomplete", "off")
        a11y(page, "referral form")
        phone_friendly(page, "referral form")

    def sends_incomplete_referral(self) -> None:
        """Sent without what is required: the form comes back, each error beside its field."""
        page = self.page
        page.get_by_label("First name").fill("   ")
        with self.console.allowing(r"status of 422"):
            page.get_by_role("button", name="Send referral").click()
            expect(page.get_by_role("alert").first).to_contain_text(
                "Please correct 4 entries below."
            )
        # The page starts where the work is: the first field to fix has the focus.
        expect(page.get_by_label("First name", exact=True)).to_be_focused()
        for label, message in [
            ("First name", "Enter a name."),
            ("Last name", "Enter a name."),
            ("Date of birth", "Enter the date of birth."),
        ]:
            field = page.get_by_label(label, exact=True)
            expect(field).to_have_attribute("aria-invalid", "true")
            expect(field).to_have_accessible_description(re.compile(re.escape(message)))
        expect(page.get_by_role("group", name="Referral type")).to_contain_text(
            "Choose the referral type."
        )
        a11y(page, "referral form (errors)")
        phone_friendly(page, "referral form (errors)")

    def fill_referral(self, person: NewPerson) -> None:
        page = self.page
        page.get_by_label("First name").fill(person.first_name)
        page.get_by_label("Last name").fill(person.last_name)
        if person.aliases:
            page.get_by_label("Aliases or street names", exact=False).fill(person.aliases)
        page.get_by_label("Date of birth").fill(person.dob)
        page.get_by_label("Phone number", exact=False).fill(person.phone)
        self.tick(person.referral_type)
        if person.incident_number:
            page.get_by_label("Incident or report number", exact=False).fill(person.incident_number)
        if person.offences:
            page.get_by_label("Offence(s)", exact=False).fill(person.offences)
        if person.location:
            page.get_by_label("Location", exact=False).fill(person.location)
        checklist = page.get_by_role("group", name="Eligibility checklist")
        for label in checklist.locator(".usa-checkbox__label").all_inner_texts():
            self.tick(label.strip(), checklist)
        if person.notes:
            page.get_by_label("Notes for the program", exact=False).fill(person.notes)

    def refer(self, person: NewPerson) -> None:
        """Fill in and send the referral; the officer lands on the referral's own page."""
        page = self.page
        self.fill_referral(person)
        page.get_by_role("button", name="Send referral").click()
        self.sees_referral(person, "Referred")
        expect(page.locator("#flash")).to_contain_text("Referral sent to the program office.")
        a11y(page, "officer referral detail (new)")
        phone_friendly(page, "officer referral detail")

    def sees_referral(self, person: NewPerson, badge: str) -> None:
        page = self.page
        expect(page.get_by_role("heading", level=1)).to_have_text(person.full_name)
        expect(self.badge()).to_have_text(badge)
        expect(page.locator("#timeline")).to_contain_text("Referral received by the program")
        if person.incident_number:
            expect(page.locator(".portal-dl")).to_contain_text(person.incident_number)

    def finds_in_my_referrals(self, person: NewPerson, badge: str) -> None:
        """My referrals lists the person with their status badge, also when filtered by it."""
        page = self.page
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My referrals").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My referrals")
        card = page.locator(".portal-card").filter(has_text=person.full_name)
        expect(card).to_have_count(1)
        expect(card.locator(".portal-badge")).to_have_text(badge)
        a11y(page, "my referrals")
        phone_friendly(page, "my referrals")
        # The status filter swaps the list in place (htmx) and pushes the URL.
        self.mark_page()
        page.get_by_label("Status").select_option(label=badge)
        expect(page).to_have_url(re.compile(r"status=referred"))
        results = page.locator("#results")
        expect(results).to_contain_text("with this status")
        expect(results.locator(".portal-badge").filter(has_not_text=badge)).to_have_count(0)
        expect(results.locator(".portal-card").filter(has_text=person.full_name)).to_have_count(1)
        self.assert_same_page()
        a11y(page, "my referrals (filtered)")
        phone_friendly(page, "my referrals (filtered)")

    def open_referral(self, person: NewPerson) -> None:
        page = self.page
        page.locator(".portal-card").get_by_role("link", name=person.full_name).click()
        self.sees_referral(person, "Referred")
        a11y(self.page, "officer referral detail")
        phone_friendly(self.page, "officer referral detail")
        self.mark_page()

    def sees_progress(
        self, entry: str, badge: str, never_shown: tuple[str, ...] = (), notice: bool = False
    ) -> None:
        """The open referral page shows a new timeline entry and badge without a reload; what a
        consent discloses comes with the redisclosure notice (42 CFR 2.32)."""
        page = self.page
        expect(page.locator("#timeline .portal-timeline__text").first).to_contain_text(
            entry, timeout=POLL_TIMEOUT
        )
        expect(self.badge()).to_have_text(badge, timeout=POLL_TIMEOUT)
        if notice:
            expect(page.locator("#timeline .portal-notice")).to_contain_text("42 CFR part 2")
        self.assert_same_page()
        # What the officer sees stays status-level: no staff names, notes or clinical detail.
        for text in never_shown:
            expect(page.locator("main")).not_to_contain_text(text)
        a11y(page, f"officer referral detail ({badge})")
        phone_friendly(page, f"officer referral detail ({badge})")

    def unread(self) -> int:
        """The header's unread count, as shown (no badge when nothing is unread)."""
        badge = self.page.locator("#nav-unread-count .portal-unread")
        if not badge.count():
            return 0
        return int(re.match(r"\d+", badge.inner_text()).group())

    def _unread_is(self, count: int, timeout: float | None = None) -> None:
        expect(self.page.locator("#nav-unread-count")).to_have_text(
            f"{count} unread" if count else "", timeout=timeout
        )

    def sees_unread(self, count: int) -> None:
        """The header's count changes while the page stays open (it polls)."""
        self._unread_is(count, timeout=UNREAD_POLL_TIMEOUT)
        self.assert_same_page()
        a11y(self.page, "officer header (unread count updated)")

    def opens_inbox(self) -> None:
        page = self.page
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name=re.compile(r"^Inbox\b")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
        expect(nav.get_by_role("link", name=re.compile(r"^Inbox\b"))).to_have_attribute(
            "aria-current", "page"
        )
        a11y(page, "officer inbox")
        phone_friendly(page, "officer inbox")

    def sees_return(
        self, case_id: int, name: str, charge: HeldCharge, never_shown: tuple = ()
    ) -> None:
        """The newest update: the referral came back, with the held charge and its filing date."""
        page = self.page
        item = page.locator(".portal-inbox__item").first
        expect(item.get_by_role("heading", level=2)).to_have_text(f"Case {case_id}: {name}")
        expect(item.locator(".portal-badge")).to_have_text("New")
        expect(item).to_contain_text(
            "Returned for non-compliance: intake not completed by the deadline"
        )
        expect(item).to_contain_text(
            f"Held charge: incident {charge.incident}; {charge.offences} ({charge.statutes}). "
            f"File by {charge.file_by}."
        )
        mark_read = re.compile(rf"^Mark read\W+case {case_id}$")  # "case N" for screen readers
        expect(item.get_by_role("button", name=mark_read)).to_be_visible()
        for text in never_shown:
            expect(page.locator("main")).not_to_contain_text(text)

    def opens_update(
        self, case_id: int, name: str, charge: HeldCharge, unread: int, never_shown: tuple = ()
    ) -> None:
        """Opening an update marks it read and leads to the case page, which shows the return."""
        page = self.page
        item = page.locator(".portal-inbox__item").first
        item.get_by_role("link", name=f"Case {case_id}: {name}").click()
        expect(page).to_have_url(re.compile(rf"/officer/referrals/{case_id}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        self._unread_is(unread)
        expect(self.badge()).to_have_text("Non-compliant")
        expect(page.locator("#timeline .portal-timeline__text").first).to_have_text(
            "Returned for non-compliance: intake not completed by the deadline"
        )
        section = page.get_by_role("region", name="Held charge")
        assert HeldCharge.read(section) == charge
        for text in never_shown:
            expect(page.locator("body")).not_to_contain_text(text)
        a11y(page, "officer referral detail (returned)")
        phone_friendly(page, "officer referral detail (returned)")

    def sees_inbox_read(self, case_id: int) -> None:
        """Back in the inbox, the update is read: no New badge, no Mark read."""
        self.opens_inbox()
        item = self.page.locator(".portal-inbox__item").first
        expect(item.get_by_role("heading", level=2)).to_contain_text(f"Case {case_id}:")
        expect(item.locator(".portal-badge")).to_have_count(0)
        expect(item.get_by_role("button", name=re.compile("^Mark read"))).to_have_count(0)

    def sees_confidential(self, hidden: str) -> None:
        """Past screening, without the participant's consent: nothing more, said plainly."""
        page = self.page
        expect(page.locator("#timeline")).to_contain_text(
            "Further progress is confidential", timeout=POLL_TIMEOUT
        )
        expect(self.badge()).to_have_text("Accepted by the program")
        expect(page.locator("#timeline")).not_to_contain_text(hidden)
        expect(page.locator("#timeline .portal-notice")).to_have_count(0)
        self.assert_same_page()
        a11y(page, "officer referral detail (confidential)")


@dataclass(frozen=True)
class HeldCharge:
    """What an arrest diversion holds, as the case page's "Held charge" section reads."""

    incident: str
    offences: str
    statutes: str
    file_by: str  # as the page writes the date, e.g. "Oct 27, 2027"

    @classmethod
    def read(cls, section) -> HeldCharge:
        values = dict(
            zip(
                section.locator("dt").all_inner_texts(),
                section.locator("dd").all_inner_texts(),
                strict=True,
            )
        )
        return cls(
            values["Incident"], values["Offence(s)"], values["Statute(s)"], values["File by"]
        )
