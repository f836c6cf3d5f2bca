"""Load: the three roles' real journeys against a running portal (`make load` starts one).

    locust -f bench/locustfile.py --headless --host http://127.0.0.1:PORT -u 20 -t 5m

Each simulated user signs in as a demo user of its role (the demo's published password) and
repeats its journey, reading CSRF tokens and form values from the pages as a browser would:

- officer: opens the referral form, refers a new person, opens the referral and polls its
  timeline (the htmx fragment the page polls);
- case manager: opens the queue, takes a referred case, accepts it, records the intake, opens
  the matching screen (services with a free place) and assigns one;
- provider: accepts a pending service referral when there is one, opens a session of one of
  its services for today and logs a participant's attendance (one tap).

Besides locust's figures per request, each finished journey is reported as a request of type
JOURNEY (its time is the sum of its requests' times, think time left out), so the report gives
p50/p95 per journey. A case manager who finds the case already screened by another (409 or
422: the form was out of date) counts as a lost race (type RACE), not an error: that is the
portal refusing a stale form, as it must. Loopback only: never aim this at another host.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from html import unescape

from locust import HttpUser, between, events, task

from portal.passwords import DEMO_PASSWORD

OFFICERS = [
    "deputy.hall@fcso.example.org",
    "deputy.price@fcso.example.org",
    "officer.lee@ohpd.example.org",
]
CASE_MANAGERS = ["casemanager@lead.example.org", "admin@lead.example.org"]
PROVIDERS = ["staff@fchd.example.org", "staff@recovery.example.org", "staff@fmrs.example.org"]
HX = {"HX-Request": "true"}

CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
ELIGIBILITY = re.compile(r'name="eligibility" type="checkbox" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/admin/cases/(\d+)"')
VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')
ASSIGN = re.compile(r'action="(/admin/cases/\d+/matching/\d+/assign)"')
ACCEPT_SERVICE = re.compile(r'action="(/provider/service-referrals/\d+/accept)"')
SERVICE_OPTION = re.compile(r'<option value="(\d+)"')
TODAY = re.compile(r'id="session_date" name="session_date" required type="date" value="([^"]+)"')
COMPLETED_ON = re.compile(r'name="completed_on" required type="date" value="([^"]+)"')
RECORD = re.compile(r'action="(/provider/sessions/\d+/[\d-]+/\d+)"')


def _one(pattern: re.Pattern, html: str, what: str) -> str:
    match = pattern.search(html)
    if not match:
        raise JourneyFailed(f"no {what} on the page")
    return unescape(match.group(1))


class JourneyFailed(Exception):
    """A page did not answer as a user needs it to (reported as the journey's failure)."""


class LostRace(Exception):
    """Another user changed the record first; the portal refused the stale form."""


class NothingToDo(Exception):
    """The queue or the rosters are empty for now: the user has nothing to do this time."""


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    accounts: list[str] = []
    journey = ""

    def on_start(self) -> None:
        self.spent = 0.0
        self.email = random.choice(self.accounts)
        page = self._get("/login", "sign in: form")
        response = self.client.post(
            "/login",
            data={
                "email": self.email,
                "password": DEMO_PASSWORD,
                "csrf_token": _one(FORM_TOKEN, page, "CSRF token"),
            },
            allow_redirects=False,
            name="sign in",
        )
        if response.status_code != 302:
            raise JourneyFailed(f"sign-in answered {response.status_code}")

    # --- requests that add their time to the journey's --------------------------------------
    def _send(self, method: str, url: str, name: str, expect, race: bool, **kwargs):
        with self.client.request(
            method, url, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as r:
            self.spent += r.elapsed.total_seconds() * 1000
            if race and r.status_code in (409, 422):
                r.success()  # the portal refusing a stale form, as it must
                raise LostRace(name)
            if r.status_code not in expect:
                r.failure(f"answered {r.status_code}")
                raise JourneyFailed(f"{name}: {r.status_code}")
            r.success()
            return r

    def _get(self, url: str, name: str, headers=None) -> str:
        return self._send("GET", url, name, (200,), False, headers=headers or {}).text

    def _post(self, url, name, page, data=None, htmx=True, expect=(200,), race=False):
        """POST as the page would: its CSRF token, through htmx unless a plain form."""
        token = _one(CSRF, page, "CSRF token")
        headers = {**HX, "X-CSRFToken": token} if htmx else {}
        data = {"csrf_token": token, **(data or {})}
        return self._send("POST", url, name, expect, race, data=data, headers=headers)

    def _run(self, steps) -> None:
        """One journey: its total request time, or its failure, reported under its name."""
        self.spent = 0.0
        kind, name, failure = "JOURNEY", self.journey, None
        try:
            steps()
        except LostRace as race:
            kind, name = "RACE", f"{self.journey} ({race})"
        except NothingToDo as idle:
            kind, name = "IDLE", f"{self.journey} ({idle})"
        except JourneyFailed as failed:
            failure = failed
        events.request.fire(
            request_type=kind,
            name=name,
            response_time=self.spent,
            response_length=0,
            exception=failure,
            context={},
        )


class Officer(PortalUser):
    """Refers a person from the street, then watches the referral's timeline."""

    weight = 3
    accounts = OFFICERS
    journey = "officer: refer and poll the timeline"

    @task
    def refer_and_poll(self) -> None:
        self._run(self._refer_and_poll)

    def _refer_and_poll(self) -> None:
        form = self._get("/officer/referrals/new", "officer: referral form")
        born = dt.date(1960, 1, 1) + dt.timedelta(days=random.randint(0, 40 * 365))
        data = {
            "submission_key": _one(SUBMISSION_KEY, form, "submission key"),
            "first_name": "Load",
            # A new person each time: no "is this the same person?" question.
            "last_name": f"Test {uuid.uuid4().hex[:10]}",
            "dob": born.isoformat(),
            "referral_type": "social_contact",
            "eligibility": [unescape(v) for v in ELIGIBILITY.findall(form)],
            "notes": "Load test referral.",
        }
        sent = self._post(
            "/officer/referrals/new", "officer: refer", form, data, htmx=False, expect=(302,)
        )
        case_url = sent.headers["Location"]
        if not re.search(r"/officer/referrals/\d+$", case_url):
            raise JourneyFailed(f"refer: redirected to {case_url}")
        self._get(case_url, "officer: referral page")
        for _ in range(3):
            time.sleep(random.uniform(0.5, 1.5))  # the page polls; not counted in the journey
            self._get(f"{case_url}/timeline", "officer: poll timeline", headers=HX)


class CaseManager(PortalUser):
    """Screens a referral in the queue, takes the person in and matches them to a service."""

    weight = 2
    accounts = CASE_MANAGERS
    journey = "case manager: accept, intake, match and assign"

    @task
    def screen_and_match(self) -> None:
        self._run(self._screen_and_match)

    def _screen_and_match(self) -> None:
        queue = self._get("/admin/", "case manager: queue")
        ids = list(dict.fromkeys(CASE_LINK.findall(queue)))
        for case_id in random.sample(ids, len(ids)):
            url = f"/admin/cases/{case_id}"
            page = self._get(url, "case manager: case page")
            if f'action="{url}/accept"' in page:
                break
        else:
            raise NothingToDo("no referred case in the queue")
        version = _one(VERSION, page[page.index(f'action="{url}/accept"') :], "version")
        self._post(
            f"{url}/accept",
            "case manager: accept",
            page,
            {"version": version, "note": ""},
            race=True,
        )
        page = self._get(url, "case manager: case page")
        intake = page[page.index(f'action="{url}/intake"') :]
        today = _one(COMPLETED_ON, intake, "intake date")
        self._post(
            f"{url}/intake",
            "case manager: intake",
            page,
            {"version": _one(VERSION, intake, "version"), "completed_on": today},
            race=True,
        )
        matches = self._get(f"{url}/matching?capacity=1", "case manager: matching")
        choices = ASSIGN.findall(matches)
        if not choices:
            raise JourneyFailed("no service with a free place")
        self._post(random.choice(choices), "case manager: assign", matches)


class Provider(PortalUser):
    """Takes a participant referred to the organisation, and logs a session's attendance."""

    weight = 1
    accounts = PROVIDERS
    journey = "provider: accept a referral, log attendance"

    @task
    def log_attendance(self) -> None:
        self._run(self._log_attendance)

    def _log_attendance(self) -> None:
        roster = self._get("/provider/", "provider: roster")
        pending = ACCEPT_SERVICE.findall(roster)
        if pending:
            self._post(random.choice(pending), "provider: accept referral", roster, race=True)
        week = self._get("/provider/sessions", "provider: sessions")
        today = _one(TODAY, week, "today's date")
        services = SERVICE_OPTION.findall(week)
        for service_id in random.sample(services, len(services)):
            answer = self._send(
                "GET", f"/provider/sessions/{service_id}/{today}", "provider: session page",
                (200, 302), False,
            )  # fmt: skip
            if answer.status_code == 302:  # a drop-in: its day is visits, not a session
                continue
            session = answer.text
            rows = RECORD.findall(session)
            if rows:
                break
        else:
            raise NothingToDo("everyone on the rosters recorded today")
        self._post(
            random.choice(rows), "provider: record attendance", session, {"status": "attended"}
        )
