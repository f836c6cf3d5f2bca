"""The case timeline fragment, one implementation for every role's case page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Response, redirect, request, url_for
from flask_login import current_user

from portal.models import Case
from portal.services.timeline import get_timeline
from portal.web.htmx import is_htmx, render_blocks


def timeline_fragment(
    case: Callable[[], Case],
    template: str,
    page_endpoint: str,
    case_id: int,
    *,
    also: Sequence[str] = (),
    present: Callable[[Case, list], object] = lambda case, entries: case,
    **context,
) -> Response:
    """The newest page of a case's timeline (with the `also` blocks, out of band), or the page
    of older entries when `before` is given; a plain request goes to the case's page.

    `case` loads the case through the role's scoped loader; `present` is what the template
    sees of it, given the entries shown (an officer's template sees a status-only projection).
    """
    if not is_htmx():
        return redirect(url_for(page_endpoint, case_id=case_id))
    loaded = case()
    before = request.args.get("before")
    page = get_timeline(loaded, current_user, before=before)
    blocks = ["older"] if before else ["timeline", *also]
    shown = present(loaded, page.entries)
    return render_blocks(template, blocks, case=shown, timeline=page, **context)
