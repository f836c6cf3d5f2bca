"""Administrators edit the program's page: its public text and contact, the on-call number and
what officers tell people. Plain text with simple formatting, never HTML; audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, ProgramPage, ProgramPageChange
from portal.services.program_page import DEFAULTS, get_program_page
from tests.conftest import post
from tests.web.admin.helpers import count, text

URL = "/admin/settings/program-page"


def page_data(**overrides) -> dict:
    return {**DEFAULTS, **overrides}


def test_the_form_starts_from_the_programs_own_words(client, acting_admin):
    page = text(client.get(URL))
    assert "Law Enforcement Assisted Diversion (LEAD) is a pre-booking program" in page
    assert 'href="/admin/settings/program-page"' in text(client.get("/admin/settings"))


def test_saved_text_and_contact_show_on_the_public_page_and_are_audited(client, acting_admin):
    response = post(
        client,
        URL,
        page_data(
            description="We **help** people.\r\n\r\n- First point\r\n- Second point",
            contact_name="LEAD program office",
            contact_phone="(304) 555-0100",
            contact_email="LEAD@Example.org",
            on_call_phone="304-555-0199",
        ),
    )
    assert response.status_code == 302, text(response)
    flashed = text(client.get(URL))
    assert "Changed: description, contact name, contact phone, contact e-mail, on-call number" in (
        flashed
    )
    saved = get_program_page()
    assert saved.contact_email == "LEAD@example.org"  # the domain as e-mail compares it
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "program_pages")
    ).all()
    assert [e.action for e in events] == [AuditAction.CREATE]
    assert events[0].user_id == acting_admin.id
    public = client.application.test_client()
    html = public.get("/").get_data(as_text=True)
    assert "<p>We <strong>help</strong> people.</p>" in html
    assert "<ul><li>First point</li><li>Second point</li></ul>" in html
    assert "LEAD program office" in html and 'href="tel:3045550100"' in html
    assert 'href="mailto:LEAD@example.org"' in html
    # A second save changes the row: audited as a change of it.
    response = post(client, URL, {**_saved_values(), "contact_name": "Program office"})
    assert response.status_code == 302
    assert "Changed: contact name." in text(client.get(URL))
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "program_pages")
    ).all()
    assert actions == [AuditAction.CREATE, AuditAction.CHANGE]
    # The page's history: who changed which fields, newest first.
    history = db.session.scalars(select(ProgramPageChange).order_by(ProgramPageChange.id)).all()
    assert [c.fields for c in history] == [
        ["description", "contact_name", "contact_phone", "contact_email", "on_call_phone"],
        ["contact_name"],
    ]
    assert {c.user_id for c in history} == {acting_admin.id}
    latest = text(client.get(URL)).split('id="history-heading"', 1)[1]
    assert latest.index("contact name") < latest.index("description")
    assert "Ada Admin" in latest


def _saved_values() -> dict:
    saved = get_program_page()
    return {name: getattr(saved, name) for name in DEFAULTS}


def test_html_typed_in_is_shown_as_text(client, acting_admin):
    hostile = '<script>alert("x")</script> **<b>bold</b>**'
    assert post(client, URL, page_data(description=hostile, goals=hostile)).status_code == 302
    html = client.application.test_client().get("/").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<strong>&lt;b&gt;bold&lt;/b&gt;</strong>" in html


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "Enter the program name."),
        ("description", "  ", "Enter the description."),
        ("name", "x" * 121, "Use at most 120 characters."),
        ("goals", "x" * 5001, "Use at most 5,000 characters."),
        ("handoff_text", "x" * 3001, "Use at most 3,000 characters."),
        ("contact_phone", "call me", "Enter a phone number of 7 to 15 digits"),
        ("on_call_phone", "12", "Enter a phone number of 7 to 15 digits"),
        ("contact_email", "not-an-address", "Enter an e-mail address such as lead@example.org."),
        ("contact_name", "Bad\x00name", "invisible control or text-direction characters"),
    ],
)
def test_bad_input_is_refused_beside_its_field(client, acting_admin, field, value, message):
    response = post(client, URL, page_data(**{"contact_name": "Kept out", field: value}))
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error"' in page
    error = page.split(f'id="{field}-error"', 1)[1].split("</span>", 1)[0]
    assert message in error
    assert count(ProgramPage) == 0 and count(ProgramPageChange) == 0  # nothing saved
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "program_pages")
    ).all()


@pytest.mark.parametrize("role", ["officer", "provider", "case_manager", "evaluator"])
def test_only_administrators_edit_the_program_page(client, login_as, f, role):
    login_as(getattr(f, role)())
    assert client.get(URL).status_code == 403
    response = client.post(URL, data=page_data(name="Taken over"))
    assert response.status_code in (400, 403)
    assert count(ProgramPage) == 0
