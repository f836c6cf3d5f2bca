"""Languages: the public program page and the officers' pocket card are translated (Flask-Babel
message catalogues in portal/translations); the rest of the portal is in English.

A new language is a translation file (see the README), not code: LANGUAGES lists the codes
offered, and a page is shown in one when its catalogue exists.
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_time
from flask import Flask, request
from flask_babel import get_locale, gettext

from portal.extensions import babel

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
# The pages shown in the visitor's language: from ?lang=, else (the public page only) the
# browser's Accept-Language. The card's language is the officer's choice, never their browser's.
FROM_BROWSER = {"web.index"}
FROM_QUERY = {"web.index", "officer.resource_card"}


def select_language() -> str:
    """The language of this request's page (English but on the translated pages)."""
    endpoint = request.endpoint or ""
    if endpoint not in FROM_QUERY:
        return DEFAULT_LANGUAGE
    asked = (request.args.get("lang") or "")[:8].lower()
    if asked in LANGUAGES:
        return asked
    if endpoint in FROM_BROWSER:
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def language() -> str:
    """The current page's language code ("en", "es")."""
    return str(get_locale() or DEFAULT_LANGUAGE).split("_")[0]


def session_hours(weekday: int, opens_at: dt.time, closes_at: dt.time) -> str:
    """A weekly session in the page's language: "Every Wednesday, 1:00 PM to 3:00 PM"."""
    locale = Locale.parse(language())
    return gettext(
        "Every %(day)s, %(start)s to %(end)s",
        day=locale.days["format"]["wide"][weekday],
        start=format_time(opens_at, format="short", locale=locale),
        end=format_time(closes_at, format="short", locale=locale),
    )


def service_hours(service) -> list[str]:
    """A service's weekly sessions in the page's language (or "By appointment")."""
    if service.by_appointment or not service.schedules:
        return [gettext("By appointment")] if service.by_appointment else []
    return [session_hours(s.weekday, s.opens_at, s.closes_at) for s in service.schedules]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_language)
    app.add_template_global(language, "page_language")
    app.add_template_global(service_hours, "service_hours")
    app.add_template_global(LANGUAGE_NAMES, "LANGUAGE_NAMES")
