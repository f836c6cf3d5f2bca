"""The browser story's fixtures: the real app under gunicorn on a loopback port, with its own fresh
SQLite database holding the demo data, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: Chromium comes from the Debian package.
`proxy_cluster` and `proxy_cast` serve the same stories from two gunicorn servers behind nginx on
PostgreSQL and Redis instead (tests/e2e/proxy.py, test_proxy_story.py).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from portal.demo.program import DEMO_PASSWORD
from tests.e2e import proxy
from tests.e2e.admin import Admin
from tests.e2e.checks import ARTIFACTS, CHECKED, DESKTOP, ROOT, ConsoleWatch, save_artifacts
from tests.e2e.proxy import ProxyCluster
from tests.e2e.roles import Actor, Officer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEZONE = "America/New_York"
FLASK = [sys.executable, "-m", "flask", "--app", "portal"]


def pytest_terminal_summary(terminalreporter):
    if CHECKED:
        names = sorted({name for name, _width in CHECKED})
        widths = sorted({width for _name, width in CHECKED})
        terminalreporter.write_line(
            f"axe (WCAG 2.1 A/AA): {len(CHECKED)} checks, {len(names)} screens, "
            f"widths {widths}: " + "; ".join(names)
        )
    for line in proxy.SERVED:
        terminalreporter.write_line(f"through the proxy: {line}")


@pytest.fixture(autouse=True)
def _app_context():
    """The unit suites' per-test app context and table wipe do not apply: the app runs elsewhere."""
    yield


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or workers still booting
            time.sleep(0.2)
    raise RuntimeError(f"the portal did not start within 30 s; see {log}")


def _server_env() -> dict[str, str]:
    """Development without SMTP (e-mail goes to the log), a secret of its own, the story's zone."""
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "PORTAL_TIMEZONE": TIMEZONE,
    }
    for name in ("FLASK_APP", "SMTP_HOST"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="session")
def portal_env(tmp_path_factory) -> dict[str, str]:
    """The environment the live server runs in: its own SQLite database, migrated and loaded
    with the demo data. The story's `flask` commands (flask_cli) run in it too."""
    workdir = tmp_path_factory.mktemp("e2e")
    env = {**_server_env(), "DATABASE_URL": f"sqlite:///{workdir / 'portal.db'}"}
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [*FLASK, *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return env


@pytest.fixture(scope="session")
def flask_cli(portal_env) -> Callable[..., subprocess.CompletedProcess]:
    """Run `flask --app portal COMMAND ...` on the live server's database, as cron would;
    returns the finished process (its stdout, and stderr where the application log goes)."""

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [*FLASK, *args], cwd=ROOT, env=portal_env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    return run


def _serve(portal_env, log_name: str, **overrides: str) -> Iterator[str]:
    """The portal served by gunicorn on a free loopback port (settings overridden as given)."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env={**portal_env, **overrides, "BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_server(portal_env) -> Iterator[str]:
    """The portal served by gunicorn, on a database migrated and loaded with the demo data."""
    yield from _serve(portal_env, "server.log")


@pytest.fixture
def idle_server(portal_env) -> Iterator[str]:
    """A second server on the same database that signs users out after one idle minute."""
    yield from _serve(portal_env, "idle-server.log", SESSION_IDLE_MINUTES="1")


@pytest.fixture
def limits_server(portal_env) -> Iterator[str]:
    """A second server on the same database whose sign-in limits start from nothing: each
    process counts them in memory, and the live server's count for 127.0.0.1 already holds the
    other stories' sign-ins of the last minute."""
    yield from _serve(portal_env, "limits-server.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make e2e does it)")
    expect.set_options(timeout=5_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Cast:
    """Opens a browser window (its own context: cookies, viewport) for each person in a test."""

    def __init__(self, browser: Browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.windows: list[tuple[str, Page, ConsoleWatch]] = []

    def page(self, label: str, viewport: dict) -> Page:
        context = self.browser.new_context(
            viewport=viewport, locale="en-US", timezone_id=TIMEZONE, service_workers="block"
        )
        context.set_default_timeout(10_000)
        watch = ConsoleWatch()
        watch.attach(context)
        page = context.new_page()
        self.windows.append((label, page, watch))
        return page

    def actor(self, cls: type[Actor], email: str, viewport: dict) -> Actor:
        """A window for a person of any role class (for example a Provider(Actor) to come)."""
        label = re.sub(r"[^a-z0-9]+", "-", f"{cls.role}-{email.split('@')[0]}")
        page = self.page(label, viewport)
        return cls(page, self.windows[-1][2], self.base_url, email, DEMO_PASSWORD)

    def officer(self, email: str, viewport: dict) -> Officer:
        return self.actor(Officer, email, viewport)

    def admin(self, email: str, viewport: dict = DESKTOP) -> Admin:
        return self.actor(Admin, email, viewport)

    def assert_consoles_clean(self) -> None:
        for label, _page, watch in self.windows:
            watch.assert_clean(label)

    def close(self, test_name: str, failed: bool) -> None:
        for label, page, _watch in self.windows:
            if failed:
                save_artifacts(page, f"{test_name}-{label}")
            page.context.close()


def _cast(browser: Browser, base_url: str, request) -> Iterator[Cast]:
    """The people of one test; on failure each one's screen and HTML go to e2e-artifacts/."""
    people = Cast(browser, base_url)
    failed = True
    try:
        yield people
        report = getattr(request.node, "report_call", None)
        failed = report is None or report.failed
        if not failed:
            failed = True  # until the consoles prove clean
            people.assert_consoles_clean()
            failed = False
    finally:
        people.close(re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name), failed)


@pytest.fixture
def cast(browser, live_server, request) -> Iterator[Cast]:
    """The people of one test, on the live server (SQLite, one gunicorn)."""
    yield from _cast(browser, live_server, request)


@pytest.fixture(scope="module")
def proxy_cluster(tmp_path_factory) -> Iterator[ProxyCluster]:
    """Two gunicorn servers behind nginx (deploy/cluster.sh) on a fresh PostgreSQL database with
    the demo data and a Redis (tests/e2e/proxy.py); skipped when nginx, PostgreSQL or Redis is
    absent."""
    reason = proxy.missing()
    if reason:
        pytest.skip(f"the story through the proxy needs nginx, PostgreSQL and Redis: {reason}")
    with proxy.serve_cluster(tmp_path_factory.mktemp("proxy"), _server_env()) as cluster:
        yield cluster


@pytest.fixture
def proxy_cast(browser, proxy_cluster, request) -> Iterator[Cast]:
    """The people of one test, on the cluster: every page through nginx, to either server."""
    yield from _cast(browser, proxy_cluster.url, request)
