"""How an e-mail travels: SMTP (smtplib, STARTTLS or TLS, never falling back to plain text), or
the application log in development; and what is kept of an error (never the server's words)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from portal.log_safety import without_secrets


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass
class SmtpTransport:
    """Sends over SMTP (smtplib): STARTTLS, TLS from the start, or plain; one connection for a
    run, opened again after an error."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 30
    _smtp: smtplib.SMTP | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config) -> SmtpTransport:
        return cls(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            security=config["SMTP_SECURITY"],
            username=config["SMTP_USERNAME"],
            password=config["SMTP_PASSWORD"],
            timeout=config["SMTP_TIMEOUT"],
        )

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            # The server may have gone: the connection is closed either way.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._drop()


@dataclass
class LogTransport:
    """Development without SMTP_HOST: the e-mail's subject and body go to the application log
    (they hold no personal data), so the portal runs offline. An invitation's link is withheld:
    its token never reaches a log (to try invitations in development, run an SMTP server)."""

    log: Callable[[str], None]

    def send(self, message: EmailMessage) -> None:
        self.log(
            "E-mail written to the log, not sent (SMTP_HOST is not set):\n"
            + without_secrets(f"Subject: {message['Subject']}\n\n{message.get_content()}")
        )

    def close(self) -> None:
        return None


def error_text(error: BaseException) -> str:
    """What went wrong, for the record: the error's class and SMTP code, never the server's
    words (they may quote an address)."""
    code = getattr(error, "smtp_code", None)
    if code is None and isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code = next(iter(error.recipients.values()))[0]
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:120]


# The server refused this message (its sender, a recipient, its content): the next one may go.
MESSAGE_REFUSALS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def is_server_failure(error: BaseException) -> bool:
    """The server, or the way to it, failed (down, hung up, TLS, credentials), not this message:
    the rest of the run waits for the next one rather than each failing in turn."""
    return not isinstance(error, MESSAGE_REFUSALS)
