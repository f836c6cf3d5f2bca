"""The browser story's second home: two app servers behind nginx (deploy/cluster.sh), as in
production, on a fresh PostgreSQL database holding the demo data and a Redis for the sign-in
limits. The `proxy_cluster` fixture (conftest.py) starts it; test_proxy_story.py plays the main
story through it and reads the two gunicorn access logs to prove both servers took part.

Where things are: PostgreSQL at E2E_PG_URL (default postgresql://postgres@127.0.0.1:5432; a
database of its own is created, E2E_PG_DB or a random lead_e2e_proxy_* name, and dropped after),
Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379/0, keys under a prefix of their own,
deleted after), nginx from Debian (`make e2e` installs it).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from tests.e2e.checks import ARTIFACTS, ROOT

PG_URL = os.environ.get("E2E_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLUSTER_SH = ROOT / "deploy" / "cluster.sh"
# gunicorn.conf.py's access_log_format: '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')
# The cluster's nginx log_format (deploy/nginx/cluster.conf.in): ... $status $body_bytes_sent
# $request_time $upstream_addr $upstream_status
NGINX_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+)" (?P<status>\d{3}) \d+ \S+ (?P<upstream>.*)$'
)
UPSTREAM_PORT = re.compile(r"127\.0\.0\.1:(\d+)")
SIGNED_IN_AREAS = ("/officer/", "/admin/", "/provider/")
# What each server served in this run's story through the proxy (the e2e terminal summary).
SERVED: list[str] = []


def missing() -> str | None:
    """Why the cluster cannot run here (nginx, PostgreSQL or Redis absent), or None."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx is not installed (apt-get install -y nginx; make e2e does it)"
    try:
        psycopg.connect(f"{PG_URL}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no PostgreSQL at {PG_URL} (set E2E_PG_URL): {first}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError:
        return f"no Redis at {REDIS_URL} (set TEST_REDIS_URL)"
    return None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int


@dataclass
class ProxyCluster:
    """nginx at `url` in front of gunicorn A and B; their logs in `dir` (cluster.sh's layout)."""

    dir: Path
    url: str
    ports: dict[str, str]
    env: dict[str, str]

    def log(self, name: str) -> Path:
        return self.dir / ("access.log" if name == "nginx" else f"gunicorn-{name}.log")

    def marks(self) -> dict[str, int]:
        """Where each access log ends now: served_since() reads what comes after."""
        return {name: self.log(name).stat().st_size for name in ("a", "b", "nginx")}

    def _lines(self, name: str, marks: dict[str, int]) -> list[str]:
        with open(self.log(name), encoding="utf-8", errors="replace") as log:
            log.seek(marks[name])
            return log.read().splitlines()

    def served_since(self, marks: dict[str, int]) -> dict[str, list[Request]]:
        """The requests each app server's gunicorn logged since `marks`."""
        served = {}
        for name in ("a", "b"):
            served[name] = [
                Request(m["method"], m["path"], int(m["status"]))
                for m in map(ACCESS_LINE.search, self._lines(name, marks))
                if m
            ]
        return served

    def proxied_since(self, marks: dict[str, int]) -> list[tuple[Request, list[str]]]:
        """nginx's own log since `marks`: each request with the port of each server it was
        passed to (two when the first did not answer; none when nginx answered itself)."""
        proxied = []
        for m in map(NGINX_LINE.search, self._lines("nginx", marks)):
            if m:
                request = Request(m["method"], m["path"], int(m["status"]))
                proxied.append((request, UPSTREAM_PORT.findall(m["upstream"])))
        return proxied


def summary(served: dict[str, list[Request]]) -> str:
    parts = []
    for name, requests in served.items():
        methods = Counter(r.method for r in requests)
        signed_in = sum(r.path.startswith(SIGNED_IN_AREAS) for r in requests)
        parts.append(
            f"server {name.upper()} {len(requests)} requests "
            f"({methods['GET']} GET, {methods['POST']} POST, {signed_in} signed-in pages)"
        )
    return "; ".join(parts)


def _flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "portal", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)


@contextmanager
def serve_cluster(workdir: Path, base_env: dict[str, str]) -> Iterator[ProxyCluster]:
    """A fresh database (`flask db upgrade`, `flask demo`), then `deploy/cluster.sh start` in
    `workdir`; afterwards `stop`, the database dropped and the Redis keys deleted. The cluster's
    logs are copied to e2e-artifacts/proxy/ for a look after a failure."""
    database = os.environ.get("E2E_PG_DB") or f"lead_e2e_proxy_{secrets.token_hex(4)}"
    prefix = f"lead-e2e-proxy-{secrets.token_hex(8)}"
    env = {
        **base_env,
        "DATABASE_URL": f"{PG_URL}/{database}",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_ENABLED": "1",
        "WEB_CONCURRENCY": "1",  # two servers of one worker (4 threads) each: a 2-core machine
        "VENV": str(Path(sys.executable).parent.parent),  # cluster.sh runs $VENV/bin/gunicorn
    }
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
    _admin(drop)
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        _flask(env, "db", "upgrade")
        _flask(env, "demo")
        subprocess.run(  # noqa: S603 - the repository's own script
            [str(CLUSTER_SH), "start", str(workdir)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
        proxy, a, b = (workdir / "ports").read_text().split()
        yield ProxyCluster(workdir, f"http://127.0.0.1:{proxy}", {"a": a, "b": b}, env)
    finally:
        # Stops whatever `start` got to (by its pid files); the database goes WITH (FORCE),
        # the stopping servers' connections with it.
        subprocess.run(  # noqa: S603 - the repository's own script
            [str(CLUSTER_SH), "stop", str(workdir)], cwd=ROOT, env=env, timeout=60
        )
        _keep_logs(workdir)
        _admin(drop)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()


def _keep_logs(workdir: Path) -> None:
    keep = ARTIFACTS / "proxy"
    keep.mkdir(parents=True, exist_ok=True)
    for name in ("access.log", "error.log", "gunicorn-a.log", "gunicorn-b.log"):
        if (workdir / name).exists():
            shutil.copyfile(workdir / name, keep / name)
