"""Real SMTP servers on loopback for the e-mail tests: one that takes mail (aiosmtpd), one that
answers every message with a temporary failure, and one that hangs up at once."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the server took, and how it answers the DATA command."""

    answer: str = "250 OK"
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    tries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.tries += 1
            if self.answer.startswith("250"):
                self.messages.append(email.message_from_bytes(envelope.content))
                self.recipients.append(list(envelope.rcpt_tos))
        return self.answer


@contextmanager
def smtp_server(answer: str = "250 OK") -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1 (no TLS): its port and mailbox."""
    mailbox = Mailbox(answer)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


@contextmanager
def hanging_up_server() -> Iterator[tuple[int, list[int]]]:
    """A server that accepts connections and closes them before the greeting; its port and a
    list counting the connections."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        listener.close()
