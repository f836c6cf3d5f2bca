"""Hostile input is stopped at the door, once for every view.

- Ids in a path are 32-bit (the databases' integer columns): a larger one matches no route (404).
- Whole numbers read from the query string (`request.args.get(..., type=int)`) out of that range
  count as absent, and a `page` out of it answers 404.
- Query arguments with control or text-direction characters are ignored; path values with
  them match nothing (404).
- Forms accept form encodings only (url-encoded, or multipart): a JSON or other body answers
  415, a file 400, except on a view marked `takes_files` (the upload of a consent's signed
  scan). Form fields are checked by `portal.web.forms.PortalForm`.
- A body larger than MAX_CONTENT_LENGTH answers 413 before it is read (Werkzeug); a view marked
  `limits_body` (the directory file's upload) answers 413 past its own, smaller limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, Request, current_app, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from portal.services.consent_scans import describe_size
from portal.web.errors import render_error

MAX_ID = 2**31 - 1  # PostgreSQL's integer; every primary key of the portal is one
MIN_INT = -(2**31)

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates and lone surrogates.
_CONTROLS = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_SINGLE_LINE = re.compile(f"[\x00-\x1f{_CONTROLS}]")
_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_CONTROLS}]")  # tab and line ends allowed

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def has_forbidden_characters(text: str, multiline: bool = False) -> bool:
    """Text holds a character that is never stored (tab and line ends pass in a multi-line text)."""
    return bool((_MULTILINE if multiline else _SINGLE_LINE).search(text))


def without_forbidden_characters(text: str, multiline: bool = False) -> str:
    return (_MULTILINE if multiline else _SINGLE_LINE).sub("", text)


def in_int_range(value: int) -> bool:
    return MIN_INT <= value <= MAX_ID


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: an id from 0 to 2^31-1; anything larger matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class Args(ImmutableMultiDict):
    """Query and form values whose `get(..., type=int)` treats a number out of range as absent."""

    def get(self, key, default=None, type=None):
        value = super().get(key, default=default, type=type)
        if type is int and isinstance(value, int) and not in_int_range(value):
            return default
        return value


class PortalRequest(Request):
    parameter_storage_class = Args


def takes_files(view: Callable) -> Callable:
    """Mark a view whose form takes a file: the guards let its files through (its form checks
    them); every other view answers 400 to a file."""
    view.takes_files = True
    return view


def _takes_files() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "takes_files", False))


FORM_ALLOWANCE = 64 * 1024  # a multipart body's headers and other fields beside its file


def limits_body(setting: str, message: str) -> Callable[[Callable], Callable]:
    """Mark a view whose body may be no larger than the `setting` bytes (and a form's
    allowance): a larger one answers 413 with `message` before a byte of it is read."""

    def mark(view: Callable) -> Callable:
        view.body_limit = (setting, message)
        return view

    return mark


def check_body_size():
    """A view marked `limits_body` refuses a larger body by its length, before anything (the
    CSRF check included) reads the body."""
    if request.method not in BODY_METHODS:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "body_limit", None)
    if limit is None:
        return None
    setting, message = limit
    allowed = current_app.config[setting] + FORM_ALLOWANCE
    if (request.content_length or 0) > allowed:
        return render_error(413, message.format(limit=describe_size(current_app.config[setting])))
    request.max_content_length = allowed  # a body sent without its length is cut off there
    return None


def _out_of_range(text: str) -> bool:
    try:
        return not in_int_range(int(text))
    except ValueError:
        return False  # not a number: the view reads it as absent, as it always did


def check_request():
    """Refuse what no view can read safely, before any view runs."""
    pairs = list(request.args.items(multi=True))
    kept = [(k, v) for k, v in pairs if not has_forbidden_characters(k + v)]
    if len(kept) != len(pairs):
        request.args = Args(kept)  # such an argument is ignored, as a malformed one is
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and has_forbidden_characters(value):
            raise NotFound()
    page = request.args.get("page")
    if page is not None and _out_of_range(page):
        raise NotFound()
    if request.method not in BODY_METHODS:
        return None
    if request.mimetype not in FORM_TYPES and (request.mimetype or request.content_length):
        return render_error(415)
    if request.files and not _takes_files():
        return render_error(400, "This form takes typed text only, not files.")
    return None


def init_app(app: Flask) -> None:
    """Install the guards; call before the blueprints register (routes compile their converters)."""
    app.request_class = PortalRequest
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
    # First of all the before-request functions: the CSRF check would read the whole body.
    app.before_request_funcs.setdefault(None, []).insert(0, check_body_size)
