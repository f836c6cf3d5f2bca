"""Keyboard-only use: each Tab stop must show a visible focus, in the page's reading order."""

from __future__ import annotations

import re

from playwright.sync_api import Page

FOCUS_JS = """
() => {
  const el = document.activeElement;
  // USWDS hides the native checkbox and radio; their focus ring is drawn on the label's box.
  const box = el.matches('input[type=checkbox], input[type=radio]') && el.labels[0]
    ? getComputedStyle(el.labels[0], '::before') : getComputedStyle(el);
  // Reading order: each stop comes after the previous one in the document (no positive tabindex
  // or CSS reordering makes the focus jump back).
  const prev = window.__e2ePrevFocus;
  const forward = !prev || !prev.isConnected || prev === el
    || Boolean(prev.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  window.__e2ePrevFocus = el;
  return {
    key: el.id || el.name || el.textContent.trim(),
    name: (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent).trim(),
    tag: el.tagName.toLowerCase(),
    type: el.type || '',
    forward,
    outline: box.outlineStyle !== 'none' && parseFloat(box.outlineWidth) >= 2
      && box.outlineColor !== 'rgba(0, 0, 0, 0)',
  };
}
"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUS_JS)


def tab(page: Page) -> dict:
    """Press Tab; the newly focused element must show its focus and follow the previous one."""
    page.keyboard.press("Tab")
    focus = focused(page)
    assert focus["outline"], f"no visible focus on {focus}"
    assert focus["forward"], f"focus went backwards to {focus}"
    return focus


def no_positive_tabindex(page: Page) -> None:
    """A tabindex above 0 takes an element out of the reading order."""
    found = page.evaluate(
        "() => [...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0)"
        ".map(e => e.outerHTML.slice(0, 80))"
    )
    assert not found, f"positive tabindex: {found}"


def tab_to(page: Page, name: str | re.Pattern, max_stops: int = 30) -> list[str]:
    """Tab forward from the current focus until an element whose text or label matches `name`.

    Returns the stops passed on the way (for asserting the order); fails if it takes too long.
    """
    no_positive_tabindex(page)
    page.evaluate("window.__e2ePrevFocus = document.activeElement")
    pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^{re.escape(name)}$")
    stops = []
    for _ in range(max_stops):
        focus = tab(page)
        stops.append(focus["key"])
        if pattern.search(focus["name"]):
            return stops
    raise AssertionError(f"{name!r} not reached by Tab within {max_stops} stops: {stops}")
