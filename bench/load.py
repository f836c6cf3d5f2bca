"""Load for `make bench`: sign in over HTTP as a browser does, then keep N connections busy on
one page for a while. Loopback only; a stdlib HTTP client (keep-alive, one connection a thread),
so the benchmark needs nothing installed beyond the portal."""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HOST = "127.0.0.1"
# Flask-Login's "strong" session protection ties a session to its address and user agent: the
# load must send the agent the sign-in sent.
USER_AGENT = "lead-bench/1"


def sign_in(port: int, email: str, password: str) -> str:
    """A signed-in session's Cookie header (the real login form, CSRF token and all)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    base = f"http://{HOST}:{port}"
    html = opener.open(f"{base}/login", timeout=30).read().decode()  # noqa: S310 (loopback)
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the sign-in page")
    data = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": match.group(1)}
    ).encode()
    response = opener.open(f"{base}/login", data=data, timeout=30)  # noqa: S310 (loopback)
    if "/login" in response.geturl():
        raise RuntimeError(f"sign-in refused for {email}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: dict[int, int] = field(default_factory=dict)
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """In milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    @property
    def query_count(self) -> int | None:
        return int(statistics.median(self.queries)) if self.queries else None

    @property
    def size(self) -> int:
        return int(statistics.median(self.sizes)) if self.sizes else 0


def _worker(port, path, headers, stop_at, result, lock) -> None:
    headers = {"User-Agent": USER_AGENT, **headers}
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    mine = Result()
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            mine.statuses[0] = mine.statuses.get(0, 0) + 1
            continue
        mine.latencies.append(time.perf_counter() - t0)
        mine.statuses[response.status] = mine.statuses.get(response.status, 0) + 1
        mine.sizes.append(len(body))
        count = response.getheader("X-Query-Count")
        if count is not None:
            mine.queries.append(int(count))
    conn.close()
    with lock:
        result.latencies += mine.latencies
        result.queries += mine.queries
        result.sizes += mine.sizes
        for status, n in mine.statuses.items():
            result.statuses[status] = result.statuses.get(status, 0) + n


def hammer(port: int, path: str, headers: dict, seconds: float, concurrency: int) -> Result:
    """`concurrency` clients requesting the page back to back for `seconds` (after a short
    warm-up, not counted)."""
    warm = Result()
    _worker(port, path, headers, time.perf_counter() + 0.5, warm, threading.Lock())
    result, lock = Result(), threading.Lock()
    start = time.perf_counter()
    threads = [
        threading.Thread(target=_worker, args=(port, path, headers, start + seconds, result, lock))
        for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - start
    return result
