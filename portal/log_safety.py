"""What never reaches a log: the one-time tokens some paths carry (an invitation's link).

Used by every log line that names a request's path (gunicorn's access log, the error and audit
failure logs) and by the development mail transport, which writes e-mails to the log.
"""

from __future__ import annotations

import re

# Paths whose last part is a secret: the route is declared with this prefix.
INVITATION_PREFIX = "/invite/"
SECRET_PREFIXES = (INVITATION_PREFIX,)
WITHHELD = "[withheld]"
_SECRET_IN_TEXT = re.compile("(" + "|".join(re.escape(p) for p in SECRET_PREFIXES) + r")[^\s\"']+")


def safe_path(path: str | None) -> str | None:
    """The path, with the token of a secret-bearing path replaced."""
    if path is None:
        return None
    for prefix in SECRET_PREFIXES:
        if path.startswith(prefix):
            return prefix + WITHHELD
    return path


def without_secrets(text: str) -> str:
    """Text (a request line, a referrer, an e-mail) with every secret-bearing link's token
    replaced."""
    return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + WITHHELD, text)
