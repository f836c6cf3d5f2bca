"""Accounts, in the browser: a program administrator adds an officer with a password the
officer must replace, the officer turns on two-step sign-in and signs in with a code, ends a
session left open on another device, and an attacker guessing another officer's password locks
that account (the right password is then refused too, with the same message).
"""

from __future__ import annotations

import re
import subprocess
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal.demo.program import DEMO_PASSWORD
from tests.e2e.checks import DESKTOP, PHONE, ROOT, a11y, phone_friendly
from tests.e2e.conftest import FLASK
from tests.smtp import smtp_server

pytestmark = pytest.mark.e2e

ADMIN = "admin@lead.example.org"
NEW_OFFICER = ("Officer Rosa Diaz", "rosa.diaz@fcso.example.org", "F-2207")
SET_BY_ADMIN = "violet harbour lantern 58"
OWN_PASSWORD = "seven quiet orchards at noon"
INVITED = "jo.invitee@fmrs.example.org"
LOCKED_OUT = "officer.lee@ohpd.example.org"  # in no other browser test: locked for 10 minutes
WRONG = "The email or password is not correct."
TOO_MANY = "Too many sign-in attempts"


def _console(cast, page: Page):
    """The console watch of a window the cast opened."""
    return next(watch for _label, p, watch in cast.windows if p is page)


def _sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def test_an_officers_account_from_creation_to_two_step_sign_in(cast, live_server):
    admin = cast.admin(ADMIN, DESKTOP)
    admin.sign_in()
    page = admin.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Add a user").click()
    name, email, badge = NEW_OFFICER
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Role").select_option(label="Officer")
    page.get_by_label("Agency (officers)").select_option(label="Fayette County Sheriff's Office")
    page.get_by_label("Badge number (officers)").fill(badge)
    page.get_by_label("Password", exact=True).fill(SET_BY_ADMIN)
    page.get_by_label("Repeat the password").fill(SET_BY_ADMIN)
    a11y(page, "add a user")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("User created.")).to_be_visible()

    # The officer, on a phone: the administrator's password leads only to choosing their own.
    phone = cast.page("officer-rosa", PHONE)
    _sign_in(phone, live_server, email, SET_BY_ADMIN)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Change your password")
    phone.goto(live_server + "/officer/referrals")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Change your password")
    phone.get_by_label("Current password", exact=True).fill(SET_BY_ADMIN)
    phone.get_by_label("New password", exact=True).fill("password1234")
    phone.get_by_label("Repeat the new password").fill("password1234")
    with _console(cast, phone).allowing(r"status of 422"):
        phone.get_by_role("button", name="Change password").click()
        expect(phone.locator(".usa-error-message").first).to_contain_text("common")
    phone.get_by_label("Current password", exact=True).fill(SET_BY_ADMIN)
    phone.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    phone.get_by_label("Repeat the new password").fill(OWN_PASSWORD)
    phone.get_by_role("button", name="Change password").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My referrals")
    phone_friendly(phone, "my referrals after a password change")

    # Two-step sign-in: the QR code is drawn by the server, the key is there as text too.
    phone.get_by_role("link", name="Two-step sign-in").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    expect(phone.locator("figure svg")).to_be_visible()
    secret = "".join(phone.locator("#mfa-secret").inner_text().split())
    totp = pyotp.TOTP(secret)
    a11y(phone, "set up two-step sign-in")
    phone.get_by_label("Code").fill(totp.now())
    phone.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Two-step sign-in is on")
    codes = phone.get_by_role("list", name="Recovery codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    phone.get_by_role("link", name="I have kept my codes: continue").click()
    phone.get_by_role("button", name="Sign out").click()

    # Signing in again asks for a code; the next time step's code (a new one) lets them in.
    _sign_in(phone, live_server, email, OWN_PASSWORD)
    _enter_code(phone, totp.at(time.time() + 30))
    expect(phone.get_by_role("heading", level=1)).to_have_text("My referrals")

    # A second device, signed in with a recovery code (each works once).
    other = cast.page("officer-rosa-desktop", DESKTOP)
    _sign_in(other, live_server, email, OWN_PASSWORD)
    _enter_code(other, codes[0].strip())
    expect(other.get_by_role("heading", level=1)).to_have_text("My referrals")

    # From the phone, My sessions lists both; signing out the others ends the desktop's at once.
    phone.get_by_role("link", name="My sessions").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My sessions")
    expect(phone.get_by_text("This session")).to_be_visible()
    a11y(phone, "my sessions")
    phone.get_by_role("button", name="Sign out other sessions").click()
    other.reload()
    expect(other).to_have_url(re.compile(r"/login"))
    expect(other.get_by_role("heading", level=1)).to_have_text("Sign in")
    phone.goto(live_server + "/officer/referrals")
    expect(phone.get_by_role("heading", level=1)).to_have_text("My referrals")


def test_an_invited_provider_chooses_their_password_from_the_e_mail(cast, live_server, portal_env):
    admin = cast.admin(ADMIN, DESKTOP)
    admin.sign_in()
    page = admin.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Invite a user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a user")
    page.get_by_label("Full name").fill("Jo Invitee")
    page.get_by_label("Email").fill(INVITED)
    page.get_by_label("Role").select_option(label="Provider staff")
    page.get_by_label("Organisation (provider staff)").select_option(label="FMRS")
    a11y(page, "invite a user")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent.")).to_be_visible()

    # The mail worker, as cron runs it, hands the e-mail to a mail server.
    with smtp_server() as (port, mailbox):
        env = {**portal_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
        env["SMTP_SECURITY"] = "none"
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [*FLASK, "send-notifications"], cwd=ROOT, env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        sent = [
            m for m, to in zip(mailbox.messages, mailbox.recipients, strict=True) if INVITED in to
        ]
    assert len(sent) == 1
    body = (
        sent[0].get_payload(decode=True)
        if not sent[0].is_multipart()
        else (sent[0].get_payload(0).get_payload(decode=True))
    )
    link = re.search(r"https?://\S+(/invite/\S+)", body.decode()).group(1)

    phone = cast.page("invited-provider", PHONE)
    phone.goto(live_server + link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Choose your password")
    a11y(phone, "choose your password (invitation)")
    phone_friendly(phone, "choose your password (invitation)")
    phone.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    phone.get_by_label("Repeat the new password").fill(OWN_PASSWORD)
    phone.get_by_role("button", name="Set my password").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    _sign_in(phone, live_server, INVITED, OWN_PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Participants")
    # The link worked once.
    with _console(cast, phone).allowing(r"status of 410"):
        phone.goto(live_server + link)
        expect(
            phone.get_by_text(re.compile("no longer works|already been used|expired"))
        ).to_be_visible()


def test_guessing_passwords_is_limited_and_locks_the_account(cast, limits_server):
    # On a server of its own: ten sign-ins from one address in a minute are the limit, and the
    # stories before this one may have used them up on the live server.
    attacker = cast.page("attacker", PHONE)
    with _console(cast, attacker).allowing(r"status of 4(22|29)"):
        for _ in range(5):
            _sign_in(attacker, limits_server, LOCKED_OUT, "not-the-password-at-all")
            expect(attacker.get_by_text(WRONG)).to_be_visible()
        # A burst on one account runs into the rate limit (429, the portal's own page).
        for _ in range(12):
            _sign_in(attacker, limits_server, "nobody@example.org", "still-guessing-here")
            if attacker.get_by_text(TOO_MANY).count():
                break
        expect(attacker.get_by_text(TOO_MANY)).to_be_visible()
    # A minute later the limit has passed, but the account is still locked: the right password
    # is refused with the same words as a wrong one (nothing confirms a guess).
    time.sleep(61)
    officer = cast.officer(LOCKED_OUT, PHONE)
    with officer.console.allowing(r"status of 422"):
        _sign_in(officer.page, limits_server, LOCKED_OUT, officer.password)
        expect(officer.page.get_by_text(WRONG)).to_be_visible()
    expect(officer.page).to_have_url(re.compile(r"/login"))


def test_a_session_left_idle_is_signed_out(browser, idle_server):
    context = browser.new_context(viewport=PHONE, locale="en-US", service_workers="block")
    page = context.new_page()
    try:
        _sign_in(page, idle_server, "staff@fchd.example.org", DEMO_PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Participants")
        page.get_by_role("link", name="My sessions").click()  # a page that does not poll
        expect(page.get_by_role("heading", level=1)).to_have_text("My sessions")
        time.sleep(65)
        page.get_by_role("link", name="Home").click()
        expect(page).to_have_url(re.compile(r"/login"))
        notice = "You were signed out after 1 minute without activity."
        expect(page.get_by_text(notice)).to_be_visible()
    finally:
        context.close()
