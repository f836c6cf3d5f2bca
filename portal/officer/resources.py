"""The officer's resources for a warm hand-off: the program's on-call number, each provider's
number, address and hours, what to tell the person, and the pocket card to hand them."""

from __future__ import annotations

from flask import request

from portal.i18n import LANGUAGES, language
from portal.officer import bp
from portal.services.program_page import (
    directory_page,
    get_program_page,
    walk_in_clinics,
)
from portal.web.htmx import render


@bp.get("/resources")
def resources():
    """The program's and the providers' numbers, addresses and hours (the directory's active
    services, a page at a time), and what to tell the person."""
    services = directory_page(request.args.get("after"))
    return render(
        "officer/resources.html",
        program=get_program_page(),
        services=services,
        languages=LANGUAGES,
    )


@bp.get("/resources/card")
def resource_card():
    """The pocket card to hand the person, in the language chosen (?lang=en or es)."""
    return render(
        "officer/card.html",
        program=get_program_page(),
        clinics=walk_in_clinics(),
        card_language=language(),
        languages=LANGUAGES,
    )
