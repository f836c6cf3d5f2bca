"""The main story (test_story.py) through the production shape: nginx in front of two gunicorn
servers on one PostgreSQL database and one Redis (deploy/cluster.sh; tests/e2e/proxy.py).

nginx hands the requests out in turn, so one person's clicks land on both servers: a page signed
in on one is followed by an htmx swap or a form post on the other. The story passing proves the
portal keeps nothing in a process (sessions, CSRF tokens, flashes, the sign-in limits all live in
the database or in Redis); the two gunicorn access logs prove both servers did serve it.
Skipped, with the reason, when nginx, PostgreSQL or Redis is absent.
"""

from __future__ import annotations

import pytest

from tests.e2e import proxy
from tests.e2e.test_story import referral_to_engaged_in_services

pytestmark = pytest.mark.e2e


def test_the_story_through_the_proxy_on_two_servers(proxy_cluster, proxy_cast, monkeypatch):
    monkeypatch.delenv("SCREENSHOTS", raising=False)  # README screenshots come from test_story
    marks = proxy_cluster.marks()

    referral_to_engaged_in_services(proxy_cast)

    served = proxy_cluster.served_since(marks)
    summary = proxy.summary(served)
    proxy.SERVED.append(summary)
    total = sum(len(requests) for requests in served.values())
    assert total >= 100, summary  # the story is a few hundred requests
    for name, requests in served.items():
        # Round robin: each server takes about half; a server left out would take none.
        assert len(requests) >= total // 5, f"server {name} barely served the story: {summary}"
        assert any(r.method == "POST" for r in requests), f"no form post on {name}: {summary}"
        signed_in = [r for r in requests if r.path.startswith(proxy.SIGNED_IN_AREAS)]
        assert any(r.status == 200 for r in signed_in), f"no signed-in page on {name}: {summary}"
        errors = [r for r in requests if r.status >= 500]
        assert not errors, f"server {name} failed: {errors}"

    # nginx's side: every request went to one of the two servers and none failed.
    proxied = proxy_cluster.proxied_since(marks)
    assert len(proxied) >= total
    ports = set(proxy_cluster.ports.values())
    for request, upstreams in proxied:
        assert request.status < 500, (request, upstreams)
        assert upstreams and set(upstreams) <= ports, (request, upstreams)
