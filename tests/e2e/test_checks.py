"""The story's checks are not blind: each one fails on a page made to break it."""

from __future__ import annotations

import pytest

from tests.e2e.checks import DESKTOP, PHONE, a11y, phone_friendly
from tests.e2e.keyboard import tab_to

pytestmark = pytest.mark.e2e


@pytest.fixture
def login_page(cast):
    page = cast.page("probe", DESKTOP)
    page.goto(cast.base_url + "/login")
    return page, cast.windows[-1][2]


def test_csp_violation_is_reported(login_page):
    page, watch = login_page
    assert watch.problems == []
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_timeout(200)
    assert any(p.startswith("CSP style-src") for p in watch.problems), watch.problems
    watch.problems.clear()  # the probe's own violation was expected


def test_axe_reports_an_unlabelled_field(login_page):
    page, _watch = login_page
    a11y(page, "sign-in")
    page.evaluate("document.querySelector('label[for=email]').remove()")
    with pytest.raises(AssertionError, match="label"):
        a11y(page, "sign-in without its label")


def test_a_repeated_id_is_reported(login_page):
    page, _watch = login_page
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p id=email>')")
    with pytest.raises(AssertionError, match="repeated id #email"):
        a11y(page, "sign-in with a repeated id")


def test_phone_checks_report_sideways_scrolling_and_small_targets(login_page):
    page, _watch = login_page
    page.set_viewport_size(PHONE)
    phone_friendly(page, "sign-in")
    main = "document.querySelector('main')"
    page.evaluate(
        f"{main}.insertAdjacentHTML('beforeend', '<div class=\"width-mobile-lg\">wide</div>')"
    )
    with pytest.raises(AssertionError, match="scrolls sideways"):
        phone_friendly(page, "sign-in, too wide")
    page.evaluate(f"{main}.lastElementChild.remove()")
    page.evaluate(
        f"{main}.insertAdjacentHTML('beforeend', '<a href=\"#x\" class=\"font-sans-3xs\">x</a>')"
    )
    with pytest.raises(AssertionError, match="tap targets"):
        phone_friendly(page, "sign-in, tiny link")


def test_keyboard_checks_report_reordered_focus_and_an_invisible_focus(login_page):
    page, _watch = login_page
    page.get_by_label("Email").focus()
    assert tab_to(page, "Password") == ["password"]
    main = "document.querySelector('main')"
    page.evaluate(
        f"{main}.insertAdjacentHTML('beforeend', '<button tabindex=\"2\">Later</button>')"
    )
    with pytest.raises(AssertionError, match="positive tabindex"):
        tab_to(page, "Later")
    page.evaluate(f"{main}.lastElementChild.remove()")
    page.evaluate("document.styleSheets[0].insertRule('#password:focus-visible { outline: none }')")
    page.get_by_label("Email").focus()
    with pytest.raises(AssertionError, match="no visible focus"):
        tab_to(page, "Password")
