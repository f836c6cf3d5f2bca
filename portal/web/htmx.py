"""Page-or-fragment rendering for htmx requests."""

from __future__ import annotations

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """True when htmx made the request for a fragment: not a boosted navigation, and not a
    history restore (after back/forward htmx asks for the whole page of a pushed URL)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render the whole page, or only `block` of the same template for an htmx request."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def render_blocks(template: str, blocks: list[str], status: int = 200, **context) -> Response:
    """An htmx answer made of several blocks (the first swapped in place, the rest out-of-band)."""
    body = "".join(render_block(template, name, **context) for name in blocks)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def trigger(response: Response, *events: str) -> Response:
    """Ask the page to fire events (for example `timeline-changed`) after the swap."""
    existing = response.headers.get("HX-Trigger")
    names = [e for e in (existing.split(",") if existing else []) if e] + list(events)
    response.headers["HX-Trigger"] = ", ".join(dict.fromkeys(n.strip() for n in names))
    return response
