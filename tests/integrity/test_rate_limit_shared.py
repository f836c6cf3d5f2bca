"""The sign-in limits hold across app servers: two processes sharing one Redis count together.

Skipped only when no Redis answers at TEST_REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from portal.auth import limits
from tests.conftest import CSRF_RE

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# One app server: the portal under werkzeug, its port printed once it listens.
SERVER = """
from werkzeug.serving import make_server
from portal import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def shared_redis() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis, its keys deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def two_servers(app, shared_redis) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": shared_redis,
    }
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        yield [f"http://127.0.0.1:{int(p.stdout.readline())}" for p in processes]
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
            process.stdout.close()


def _attempt(base: str, email: str) -> int:
    """A sign-in attempt from a fresh browser, with the CSRF token its page gave: the status."""
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with browser.open(base + "/login", timeout=30) as page:
        match = CSRF_RE.search(page.read().decode())
    form = {"email": email, "password": "not the password", "csrf_token": match[1] or match[2]}
    try:
        with browser.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=30):
            return 200
    except urllib.error.HTTPError as answer:
        answer.close()
        return answer.code


def test_two_app_servers_share_the_account_limit(two_servers):
    first, second = two_servers
    email = "pat.doe@example.org"
    # Three attempts on one server and two on the other: five for the account in all.
    statuses = [_attempt(server, email) for server in (first, second, first, second, first)]
    assert statuses == [422] * limits.PER_ACCOUNT_COUNT
    # The second server has seen only two of them, yet refuses the sixth: the count is shared.
    assert _attempt(second, email) == 429
    assert _attempt(first, email) == 429
    assert _attempt(second, "lee.roe@example.org") == 422  # another account is not held back
