"""Behind a trusted proxy (nginx), the client's address is what the audit trail records."""

from __future__ import annotations

import pytest
from flask import request

from portal import create_app


def _app(hops: int):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PROXY_HOPS": hops,
        }
    )
    app.add_url_rule("/test-address", "test_address", lambda: request.remote_addr or "")
    return app


@pytest.mark.parametrize(
    ("hops", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")], ids=["direct", "behind nginx"]
)
def test_the_client_address_is_taken_from_trusted_proxies_only(hops, seen):
    client = _app(hops).test_client()
    response = client.get(
        "/test-address",
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.get_data(as_text=True) == seen
