"""Security headers on every response; no-store on anything personal; noindex on everything but
the public program page."""

from __future__ import annotations

from flask import Flask, Response, request

INDEXABLE = {"web.index", "web.robots"}  # the public program page, and robots.txt that says so

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # No cross-origin window (a link's target, an opener) keeps a handle on the portal's.
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint not in INDEXABLE:
            # Only the public program page is for search engines; the rest is the program's.
            response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
        if not request.path.startswith("/static/"):
            # Case data must never sit in a shared or browser cache.
            response.headers["Cache-Control"] = "no-store"
        return response
