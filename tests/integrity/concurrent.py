"""Requests sent at the same instant from one signed-in browser session, on real threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask.testing import FlaskClient

from portal.extensions import db


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None
    body: str


def same_session(app, client, n: int) -> list[FlaskClient]:
    """n plain clients carrying `client`'s cookies: n tabs (or taps) of one signed-in session."""
    clients = []
    for _ in range(n):
        twin = FlaskClient(app, app.response_class, use_cookies=True)
        for cookie in client._cookies.values():
            twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        clients.append(twin)
    return clients


def post_together(app, posts: list[tuple[FlaskClient, str, dict, dict]]) -> list[Answer | str]:
    """Send each (client, url, form, headers) POST from its own thread, released together.

    Each request runs in its own app context and database session, as under a threaded server.
    An exception escaping a request is returned by name, so the caller's assertion shows it.
    """
    db.session.commit()  # the test's setup is written; its session holds no lock meanwhile
    barrier = threading.Barrier(len(posts))
    answers: list[Answer | str] = [""] * len(posts)

    def run(index: int) -> None:
        client, url, data, headers = posts[index]
        barrier.wait()
        try:
            response = client.post(url, data=data, headers=headers)
            answers[index] = Answer(
                response.status_code,
                response.headers.get("Location"),
                response.get_data(as_text=True),
            )
        except Exception as exc:  # noqa: BLE001 - reported to the assertion, never swallowed
            answers[index] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.rollback()
    db.session.expire_all()
    return answers
