"""Two app servers behind nginx (deploy/cluster.sh) on one PostgreSQL database and one Redis: the
portal is stateless. A session made on one server works on the other; the proxy serves pages;
one server killed (kill -9, master and workers) in the middle of a run of referrals loses no
acknowledged referral, and a user sends a referral at most twice (the POST in flight when the
server died, again); the e-mail worker run on both "hosts" at once sends each e-mail once.

Runs when the suite runs on PostgreSQL (in a schema of its own, dropped afterwards), with nginx
installed and a Redis at TEST_REDIS_URL; skipped otherwise. `make cluster` runs it alone.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from portal.passwords import DEMO_PASSWORD
from tests.conftest import CSRF_RE
from tests.smtp import Mailbox, smtp_server

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
OFFICER = "deputy.hall@fcso.example.org"  # e-mailed at once for each update (the demo's default)
OFFICERS = [OFFICER, "deputy.price@fcso.example.org", "officer.lee@ohpd.example.org"]
CASE_MANAGER = "casemanager@lead.example.org"


def _missing() -> str | None:
    if not DATABASE_URL.startswith("postgresql"):
        return "the suite is not running on PostgreSQL"
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return f"no Redis at {REDIS_URL}"
    return None


pytestmark = [
    pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
    pytest.mark.real_commits,  # the suite's own tables are untouched, but not rolled back
]


@dataclass
class Cluster:
    dir: Path
    proxy: str
    a: str
    b: str
    env: dict
    database: str

    def kill(self, name: str) -> None:
        """The host dies: gunicorn's master and its workers, at once."""
        pgid = int((self.dir / f"gunicorn-{name}.pgid").read_text())
        os.killpg(pgid, signal.SIGKILL)


def _url_with_schema(schema: str) -> str:
    url = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    options = urllib.parse.quote(f"-csearch_path={schema}")
    return f"{url}{'&' if '?' in url else '?'}options={options}"


def _flask(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own venv's flask, fixed arguments
        [str(ROOT / ".venv/bin/flask"), "--app", "portal", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    schema = f"cluster_{uuid.uuid4().hex[:12]}"
    admin = create_engine(DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    prefix = f"test-cluster-{uuid.uuid4().hex}"
    work = tmp_path_factory.mktemp("cluster")
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "SECRET_KEY": "cluster-secret",
        "DATABASE_URL": _url_with_schema(schema),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_ENABLED": "1",
        "WEB_CONCURRENCY": "2",
    }
    deploy = [str(ROOT / "deploy/cluster.sh")]
    try:
        _flask(env, "db", "upgrade")
        _flask(env, "demo")
        subprocess.run(  # noqa: S603
            [*deploy, "start", str(work)], cwd=ROOT, env=env, check=True, timeout=120
        )
        proxy, a, b = (work / "ports").read_text().split()
        yield Cluster(
            work,
            f"http://127.0.0.1:{proxy}",
            f"http://127.0.0.1:{a}",
            f"http://127.0.0.1:{b}",
            env,
            env["DATABASE_URL"],
        )
    finally:
        subprocess.run([*deploy, "stop", str(work)], cwd=ROOT, env=env, timeout=60)  # noqa: S603
        time.sleep(1)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie jar and CSRF tokens read from pages; requests to any of the cluster's ports."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, url: str, data: dict | None = None, headers=None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def token(self, url: str) -> tuple[str, str]:
        status, html, _ = self.request(url)
        assert status == 200, (url, status)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {url}"
        return match.group(1) or match.group(2), html

    def sign_in(self, base: str, email: str) -> None:
        token, _ = self.token(f"{base}/login")
        status, _, headers = self.request(
            f"{base}/login", {"email": email, "password": DEMO_PASSWORD, "csrf_token": token}
        )
        assert status == 302, status


def _count(cluster: Cluster, sql: str, **params) -> int:
    engine = create_engine(cluster.database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()


def test_the_proxy_serves_pages_from_both_servers(cluster):
    browser = Browser()
    status, html, _ = browser.request(f"{cluster.proxy}/login")
    assert status == 200 and "Sign in" in html
    browser.sign_in(cluster.proxy, OFFICER)
    for _ in range(4):  # round robin: both servers answer in turn
        status, html, _ = browser.request(f"{cluster.proxy}/officer/referrals")
        assert status == 200 and "My referrals" in html
    served = (cluster.dir / "access.log").read_text()
    assert cluster.a.rsplit(":", 1)[1] in served and cluster.b.rsplit(":", 1)[1] in served


def test_a_session_made_on_one_server_works_on_the_other(cluster):
    browser = Browser()
    browser.sign_in(cluster.a, OFFICER)
    status, html, _ = browser.request(f"{cluster.b}/officer/referrals")
    assert status == 200 and "My referrals" in html
    # Signed out on B: the session ends on A too (it lives in the database, not in a process).
    token, _ = browser.token(f"{cluster.b}/officer/referrals")
    assert browser.request(f"{cluster.b}/logout", {"csrf_token": token})[0] == 302
    status, _, headers = browser.request(f"{cluster.a}/officer/referrals")
    assert status == 302 and "/login" in headers["Location"]


def _refer(browser: Browser, base: str, last_name: str) -> tuple[int, int]:
    """One referral as a user sends it: the form, then the POST, sent again once when the
    answer did not come (the server died with it in flight). Returns (case id or 0, tries)."""
    for _ in range(5):  # the form itself: GETs are passed to the live server by nginx
        try:
            token, html = browser.token(f"{base}/officer/referrals/new")
            break
        except (AssertionError, OSError):
            time.sleep(0.2)
    else:
        return 0, 0
    key = html.split('name="submission_key" type="hidden" value="', 1)[1].split('"', 1)[0]
    data = {
        "csrf_token": token,
        "submission_key": key,
        "first_name": "Cluster",
        "last_name": last_name,
        "dob": "1990-05-05",
        "referral_type": "social_contact",
    }
    for tries in (1, 2):
        try:
            status, _, headers = browser.request(f"{base}/officer/referrals/new", data)
        except OSError:
            status, headers = 0, {}
        if status == 302:
            return int(headers["Location"].rsplit("/", 1)[1]), tries
    return 0, 2


def test_killing_one_server_mid_run_loses_no_acknowledged_referral(cluster):
    acknowledged: dict[str, tuple[int, int]] = {}
    unanswered: list[str] = []
    lock = threading.Lock()
    browsers = []
    for email in OFFICERS:
        browsers.append(Browser())
        browsers[-1].sign_in(cluster.proxy, email)

    def officer(browser: Browser, n: int) -> None:
        for _ in range(n):
            name = f"Run {uuid.uuid4().hex[:8]}"
            case_id, tries = _refer(browser, cluster.proxy, name)
            with lock:
                if case_id:
                    acknowledged[name] = (case_id, tries)
                else:
                    unanswered.append(name)

    threads = [threading.Thread(target=officer, args=(b, 20)) for b in browsers]
    for thread in threads:
        thread.start()
    time.sleep(2)  # referrals are flowing through both servers
    cluster.kill("a")
    for thread in threads:
        thread.join(timeout=180)

    assert len(acknowledged) + len(unanswered) == 60
    assert not unanswered  # every user got an answer, the second try at worst
    assert all(tries <= 2 for _, tries in acknowledged.values())
    for name, (case_id, _) in acknowledged.items():
        # Exactly one case for each acknowledged referral, the one the user was shown.
        found = _count(
            cluster,
            "SELECT count(*) FROM cases JOIN persons ON persons.id = cases.person_id "
            "WHERE persons.last_name = :name AND cases.id = :id",
            name=name,
            id=case_id,
        )
        assert found == 1, name
        assert (
            _count(
                cluster,
                "SELECT count(*) FROM cases JOIN persons ON persons.id = cases.person_id "
                "WHERE persons.last_name = :name",
                name=name,
            )
            == 1
        ), name
    # Still served, by B alone.
    assert browsers[0].request(f"{cluster.proxy}/officer/referrals")[0] == 200


class SlowMailbox(Mailbox):
    """Takes a moment over each e-mail, so the two workers' runs overlap."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_the_mail_worker_on_both_hosts_sends_each_email_once(cluster, monkeypatch):
    # The officer refers, the office accepts each through the proxy: an e-mail for each.
    officer, office = Browser(), Browser()
    officer.sign_in(cluster.proxy, OFFICER)
    office.sign_in(cluster.proxy, CASE_MANAGER)
    ids = [_refer(officer, cluster.proxy, f"Mail {uuid.uuid4().hex[:8]}")[0] for _ in range(20)]
    assert all(ids)
    for case_id in ids:
        url = f"{cluster.proxy}/admin/cases/{case_id}"
        token, html = office.token(url)
        version = html.split('name="version" type="hidden" value="', 1)[1].split('"', 1)[0]
        status, _, _ = office.request(
            f"{url}/accept", {"csrf_token": token, "version": version, "note": ""}
        )
        assert status == 302
    waiting = _count(cluster, "SELECT count(*) FROM outbox_emails WHERE status = 'pending'")
    assert waiting >= len(ids)

    monkeypatch.setattr("tests.smtp.Mailbox", SlowMailbox)
    with smtp_server() as (port, mailbox):
        env = {
            **cluster.env,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_SECURITY": "none",
            "PUBLIC_URL": "https://portal.example.org",
        }
        hosts = [
            subprocess.Popen(  # noqa: S603
                [str(ROOT / ".venv/bin/flask"), "--app", "portal", "send-notifications"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in ("host A", "host B")
        ]
        outputs = [host.communicate(timeout=120) for host in hosts]
        assert [host.returncode for host in hosts] == [0, 0], outputs
    sent = [int(out.split(" sent", 1)[0].split()[-1]) for out, _ in outputs]
    assert sum(sent) == waiting
    assert all(sent), sent  # both hosts did part of the work, at the same time
    assert len(mailbox.messages) == waiting  # none twice
    ids_sent = {m["Message-ID"] for m in mailbox.messages}
    assert len(ids_sent) == waiting
    assert _count(cluster, "SELECT count(*) FROM outbox_emails WHERE status = 'pending'") == 0
