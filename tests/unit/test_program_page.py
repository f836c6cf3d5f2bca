"""The program's page: simple formatting that is never HTML, and the service's own checks."""

from __future__ import annotations

import pytest

from portal.models import ProgramPage
from portal.services.errors import NotPermitted, ValidationFailed
from portal.services.program_page import (
    DEFAULTS,
    get_program_page,
    recent_changes,
    update_program_page,
)
from portal.web.simple_text import simple_text


def test_paragraphs_lists_and_bold():
    html = simple_text("One\nline two\n\n- a\n- **b**\nAfter\n\n\n")
    assert str(html) == (
        "<p>One<br>line two</p>\n<ul><li>a</li><li><strong>b</strong></li></ul>\n<p>After</p>"
    )


@pytest.mark.parametrize(
    "typed",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**<i>x</i>**", "- <a href=x>"],
)
def test_markup_is_shown_as_typed(typed):
    html = str(simple_text(typed))
    assert "<script" not in html and "<img" not in html and "<i>" not in html
    assert "<a " not in html and "&lt;" in html


def test_empty_text_is_nothing():
    assert str(simple_text(None)) == "" and str(simple_text("  \n ")) == ""


def test_reading_the_page_before_it_is_saved_writes_nothing(f):
    page = get_program_page()
    assert page.name == DEFAULTS["name"] and page.id is None


def test_only_administrators_change_it(f):
    with pytest.raises(NotPermitted):
        update_program_page(f.case_manager(), **DEFAULTS)


@pytest.mark.parametrize(
    "field, value",
    [
        ("contact_email", "two@@example.org"),
        ("contact_phone", "12345"),
        ("name", " "),
        ("description", "x" * 5001),
    ],
)
def test_the_service_checks_what_a_form_might_not(f, field, value):
    with pytest.raises(ValidationFailed) as refused:
        update_program_page(f.program_admin(), **{**DEFAULTS, field: value})
    assert refused.value.field == field


def test_the_answer_names_what_changed(f):
    admin = f.program_admin()
    assert update_program_page(admin, **DEFAULTS) == []
    changed = update_program_page(admin, **{**DEFAULTS, "goals": "- One", "on_call_phone": ""})
    assert changed == ["goals"]
    assert [c.fields for c in recent_changes()] == [["goals"]]  # the unchanged save left none
    assert isinstance(get_program_page(), ProgramPage) and get_program_page().goals == "- One"


def test_the_page_is_one_row(f):
    from sqlalchemy.exc import IntegrityError

    from portal.database import savepoint
    from portal.extensions import db

    update_program_page(f.admin(), **DEFAULTS)
    with pytest.raises(IntegrityError), savepoint(db.session):
        db.session.add(ProgramPage(id=2, **DEFAULTS))


def test_a_first_save_made_meanwhile_by_another_is_changed_not_doubled(f, monkeypatch):
    """Two administrators' first saves at once: the second finds no row, the first stores it
    before the second's insert; the second changes that row."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.services import program_page

    update_program_page(f.admin(), **(DEFAULTS | {"contact_name": "First"}))
    monkeypatch.setattr(program_page, "_saved_page", lambda: None)  # as read before theirs
    changed = update_program_page(f.admin(), **(DEFAULTS | {"contact_name": "Second"}))
    assert changed == ["contact name"]
    assert db.session.scalar(select(func.count()).select_from(ProgramPage)) == 1
    assert db.session.get(ProgramPage, 1).contact_name == "Second"
