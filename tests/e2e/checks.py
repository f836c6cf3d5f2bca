"""What every screen of the story must satisfy: axe (WCAG 2.1 A/AA), phone layout, a clean console.

`a11y(page, name)` and `shot(page, name)` are the two helpers every new step of the story calls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MIN_TARGET = 24  # WCAG 2.5.8 target size (minimum), in CSS pixels

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "e2e-artifacts"

_axe = Axe()
# Every (name, width) axe checked in this run: a step that forgets a11y() shows up in review.
CHECKED: list[tuple[str, int]] = []


def _axe_run(page: Page, name: str) -> list[str]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)  # the copy bundled with axe-playwright-python; no network
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    width = page.viewport_size["width"]
    CHECKED.append((name, width))
    problems = []
    for violation in result["violations"]:
        nodes = violation["nodes"]
        where = "; ".join(
            f"{' '.join(n['target'])}: {n.get('failureSummary', '').splitlines()[-1].strip()}"
            for n in nodes[:4]
        )
        problems.append(
            f"[{name} @ {width}px] {violation['id']} ({violation['impact']}): "
            f"{violation['help']} ({len(nodes)} node(s)) {where}"
        )
    return problems


DUPLICATE_IDS_JS = """
() => {
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `#${id} x${n}`);
}
"""


def a11y(page: Page, name: str) -> None:
    """axe with the WCAG 2.1 A and AA rules, at the page's width and then at the other one.

    Also no repeated id (WCAG 2.1 4.1.1; axe no longer checks it): a label or aria-describedby
    pointing at a repeated id names the wrong field.
    """
    original = dict(page.viewport_size)
    other = DESKTOP if original["width"] < DESKTOP["width"] else PHONE
    problems = [f"[{name}] repeated id {d}" for d in page.evaluate(DUPLICATE_IDS_JS)]
    problems += _axe_run(page, name)
    page.set_viewport_size(other)
    try:
        problems += _axe_run(page, name)
    finally:
        page.set_viewport_size(original)
    assert not problems, "Accessibility violations:\n" + "\n".join(problems)


def shot(page: Page, name: str, full_page: bool = True) -> None:
    """A README screenshot, written only by `make screenshots` (SCREENSHOTS=docs/screenshots).

    full_page=False keeps the top of a long page: what the person sees on arriving.
    """
    folder = os.environ.get("SCREENSHOTS")
    if not folder:
        return
    target = ROOT / folder
    target.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    if not full_page:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(
        path=str(target / f"{name}.png"), full_page=full_page, animations="disabled", caret="hide"
    )


TAP_TARGETS_JS = """
(min) => {
  const small = [];
  const candidates = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, label');
  for (const el of candidates) {
    if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      continue;  // USWDS hides the native control; its label is what a thumb presses
    }
    if (el.tagName === 'LABEL') {
      const control = el.control;
      if (!control || (control.type !== 'checkbox' && control.type !== 'radio')) continue;
    }
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    const r = el.getBoundingClientRect();
    // Not laid out, or off-screen until focused (the skip link).
    if (r.width === 0 || r.height === 0 || r.right <= 0 || r.bottom <= 0) continue;
    if (r.width < min || r.height < min) {
      const id = el.id ? '#' + el.id : '';
      const text = (el.textContent || el.value || '').trim().slice(0, 40);
      const size = `${r.width.toFixed(1)}x${r.height.toFixed(1)}`;
      small.push(`${el.tagName.toLowerCase()}${id} "${text}" ${size}`);
    }
  }
  return small;
}
"""


OVERFLOW_JS = """
(width) => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > width + 1
    && ![...el.children].some(c => c.getBoundingClientRect().right > width + 1))
  .slice(0, 5)
  .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} `
    + `"${(el.textContent || '').trim().slice(0, 30)}" right=${el.getBoundingClientRect().right}`)
"""


def phone_friendly(page: Page, name: str) -> None:
    """At phone width: no horizontal scrolling and every tap target at least 24 x 24 px."""
    original = dict(page.viewport_size)
    page.set_viewport_size(PHONE)
    try:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        small = page.evaluate(TAP_TARGETS_JS, MIN_TARGET)
        wide = page.evaluate(OVERFLOW_JS, PHONE["width"]) if scroll_width > PHONE["width"] else []
    finally:
        page.set_viewport_size(original)
    width = PHONE["width"]
    assert scroll_width <= width, (
        f"{name}: scrolls sideways ({scroll_width}px > {width}px): " + "; ".join(wide)
    )
    assert not small, f"{name}: tap targets under {MIN_TARGET}px: " + "; ".join(small)


CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__e2eReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} `
                        + `at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""


@dataclass
class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations of every page of one context."""

    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.expose_function("__e2eReportCsp", lambda text: self.problems.append(f"CSP {text}"))
        context.add_init_script(CSP_LISTENER)
        context.on("page", self._watch_page)

    def _watch_page(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allowed):
            location = message.location.get("url", "")
            self.problems.append(f"console error: {message.text} ({location})")

    @contextmanager
    def allowing(self, pattern: str) -> Iterator[None]:
        """Within a step that expects it, e.g. an htmx 422 (Chromium logs every 4xx fetch)."""
        compiled = re.compile(pattern)
        self.allowed.append(compiled)
        try:
            yield
        finally:
            self.allowed.remove(compiled)

    def assert_clean(self, who: str) -> None:
        assert not self.problems, f"{who}'s browser console:\n" + "\n".join(self.problems)


def save_artifacts(page: Page, label: str) -> None:
    """Keep what the person saw when a step failed: a screenshot and the page's HTML."""
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{label}.png"), full_page=True)
        (ARTIFACTS / f"{label}.html").write_text(page.content(), encoding="utf-8")
    except Error as error:  # a crashed or closed page: keep going for the others
        (ARTIFACTS / f"{label}.error.txt").write_text(str(error), encoding="utf-8")
