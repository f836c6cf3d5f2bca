"""Log lines that never carry an exception's message: it can quote personal data (a database
error lists a row's values, a driver's error the statement it ran)."""

from __future__ import annotations

import logging
import sys
import traceback

from gunicorn.glogging import Logger

from portal.log_safety import safe_path, without_secrets


def describe_database_error(error: BaseException) -> str:
    """The error's class, the driver's class and its code (a PostgreSQL SQLSTATE, an SQLite
    error name): enough to tell an outage from a full disk, and no text from the driver."""
    orig = getattr(error, "orig", None)
    parts = [type(error).__name__]
    if orig is not None:
        parts.append(f"{type(orig).__module__}.{type(orig).__qualname__}")
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        if code:
            parts.append(str(code))
    return " ".join(parts)


class WithoutExceptionText(logging.Formatter):
    """A formatter whose tracebacks show the frames and the exception's type, not its message.

    gunicorn's error log uses it (gunicorn.conf.py): an error the portal did not handle itself
    would otherwise be printed there in full.
    """

    def formatException(self, ei) -> str:  # noqa: N802 (logging.Formatter's name)
        exc_type, _value, tb = ei
        frames = "".join(traceback.format_tb(tb)).rstrip()
        name = f"{exc_type.__module__}.{exc_type.__qualname__}"
        return f"Traceback (most recent call last):\n{frames}\n{name} (message not logged)"


class GunicornLogger(Logger):
    """gunicorn's logger (`logger_class` in gunicorn.conf.py) with `WithoutExceptionText` on
    its error log, and on the root logger for the libraries that log through it; its access log
    never holds an invitation's token (not in the path, the request line or the referrer)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = without_secrets(value)
        atoms["U"] = safe_path(atoms.get("U"))
        return atoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            current = handler.formatter or logging.Formatter(self.error_fmt, self.datefmt)
            handler.setFormatter(WithoutExceptionText(current._fmt, current.datefmt))
        root = logging.getLogger()
        if not root.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(WithoutExceptionText(self.error_fmt, self.datefmt))
            root.addHandler(handler)
