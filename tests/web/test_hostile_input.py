"""Hostile input never answers 500 and never half-writes: a walk over every route of the URL map.

For each role (anonymous, officer, provider, admin) the walk fills every route's path with ids out
of the 32-bit range, sends hostile query arguments to every page, submits every form found on the
role's pages with one field at a time replaced by a NUL byte, a bidi override, an overlong value, a
huge number or a file, and sends JSON bodies to every POST route. After each request the content of
every table is compared with what it was: a refused request (4xx) changes nothing, and no request
ever stores a control character.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    AttendanceStatus,
    CaseStatus,
    ComplianceFlag,
    Notification,
    OutboxEmail,
    UserSession,
)
from portal.services import attendance, cases, compliance, episodes, user_sessions
from portal.services.consent_scans import attach_consent_scan
from portal.web.forms import PortalForm
from tests.conftest import csrf_token, login
from tests.invitations import invite
from tests.worlds import provider_world

ROLES = ["anonymous", "officer", "provider", "admin"]
HUGE_IDS = [2**31, 2**63, 2**64, int("9" * 30)]
BAD_DAYS = ["0001-01-01", "9999-12-31", "2026-02-30", "x\x00"]
QUERY_VALUES = [str(2**31), str(2**64), "-1", "\x00", "a\u202eb", "a" * 10_000]
DATES = ["0001-01-01", "9999-12-31"]
CURSORS = ["0001-01-01T00:00:00+05:00_1", f"2020-01-01T00:00:00+00:00_{2**63}"]
# Query arguments every page gets, besides those its links and GET forms use; a timeline's
# "older" link (the `before` cursor) shows only past 20 entries, so timelines get it too.
COMMON_ARGS = {"page"}
TIMELINE_ARGS = {"before"}
NOT_WALKED = {"auth.logout", "static"}  # signing out would end the walk; static files hold no input
# What must never be stored: C0 controls but tab and line ends, DEL, C1, bidi controls, surrogates.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# Files a form that takes one refuses: not what their name says, or a name that is a path or
# holds control or text-direction characters.
HOSTILE_FILES = [
    ("not a scan", b"\x00\xff not text", "x.pdf"),
    ("html", b"<script>alert(1)</script>", "x.png"),
    ("path", b"%PDF-1.7\n", "../../x.pdf"),
    ("NUL in name", b"%PDF-1.7\n", "x\x00.pdf"),
    ("bidi in name", b"%PDF-1.7\n", "x\u202egnp.pdf"),
]
PARAM = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")


class Forms(HTMLParser):
    """The forms of a page (action, method, fields with their values) and the links' URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for key in ("hx-get",):
            if a.get(key):
                self.links.append(a[key])
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower()}
                | {"fields": {}, "picked": set(), "files": set()}
            )
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and self.forms:
                fields = self.forms[-1]["fields"]
                if not fields.get(self._select) or "selected" in a:
                    fields[self._select] = a.get("value") or ""
            return
        fields = self.forms[-1]["fields"]
        name = a["name"]
        if tag == "select":
            self._select = name
            fields.setdefault(name, "")
            self.forms[-1]["picked"].add(name)
        elif tag == "textarea":
            fields[name] = ""
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox", "hidden", "number"):
                self.forms[-1]["picked"].add(name)
            if kind == "file":
                self.forms[-1]["files"].add(name)
            if kind in ("radio", "checkbox"):
                if name not in fields or "checked" in a:
                    fields[name] = a.get("value") or "y"
            elif kind not in ("submit", "button"):
                fields[name] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def fingerprint() -> dict[str, list[str]]:
    """Every row of every table, as text (the world is small)."""
    with db.engine.connect() as conn:
        # Plain SQL: this runs after every request, and the names come from the metadata.
        queries = {t.name: f'SELECT * FROM "{t.name}"' for t in db.metadata.sorted_tables}  # noqa: S608
        return {
            name: sorted(repr(tuple(row)) for row in conn.exec_driver_sql(query))
            for name, query in queries.items()
        }


def stored_hostile(rows: dict[str, list[str]]) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if not rows.get(table.name):
                continue
            for row in conn.execute(select(table)):
                for value in row:
                    text = (
                        json.dumps(value, ensure_ascii=False)
                        if isinstance(value, dict | list)
                        else value
                    )
                    if isinstance(text, str) and FORBIDDEN.search(text):
                        found.append(f"{table.name}: {text[:60]!r}")
    return found


class Walk:
    """Sends requests, and checks each answer and what it did to the database."""

    def __init__(self, client, role):
        self.client = client
        self.role = role
        self.before = fingerprint()
        self.count = 0

    def send(self, method: str, url: str, label: str, **kwargs):
        response = self.client.open(url, method=method, **kwargs)
        self.count += 1
        status = response.status_code
        where = f"{self.role} {method} {url[:120]!r} ({label}): {status}"
        assert status != 500, where
        after = fingerprint()
        if after != self.before:
            changed = [name for name in after if after[name] != self.before.get(name)]
            assert status < 400, f"{where} changed {changed} while refusing"
            new_rows = {
                name: [r for r in after[name] if r not in self.before[name]] for name in changed
            }
            assert not stored_hostile(new_rows), f"{where} stored {stored_hostile(new_rows)}"
            self.before = after
        return response


def build_world(f):
    world = provider_world(f)
    today = local_today()
    accepted = world.participant(accept=True)
    pending = world.participant(accept=False)
    attendance.record_attendance(accepted, today, AttendanceStatus.ATTENDED, world.staff)
    # A stay at an episode service, discharged with a step-down waiting for the office.
    stay = f.ServiceReferralFactory(
        case=accepted.case,
        service=f.episode_service(organization=world.service.organization),
        created_by=world.admin,
        accepted=True,
        decided_by=world.staff,
    )
    episode = episodes.admit(stay, today, set(), world.staff)
    step_down = episodes.Discharge(today, "stepped_down", f.ServiceFactory().id, "")
    episodes.discharge(episode, step_down, world.staff)
    officer = accepted.case.officer
    referred = f.CaseFactory(officer=officer, status=CaseStatus.REFERRED)
    waiting = f.CaseFactory(
        officer=officer,
        status=CaseStatus.ACCEPTED,
        intake_deadline=today - dt.timedelta(days=1),
        # A possible match of the referred case's person (the same last name and birth date).
        person=f.PersonFactory(dob=referred.person.dob),
    )
    compliance.evaluate_case(waiting)  # a compliance flag for the review queue's forms
    flag = db.session.scalar(select(ComplianceFlag))
    f.AgencyFactory()
    consent = f.ConsentFactory(case=accepted.case)
    scan = attach_consent_scan(consent, world.admin, "consent.pdf", b"%PDF-1.7\n%%EOF\n")
    told = f.CaseFactory(officer=officer)
    cases.accept_referral(told, world.admin)  # the officer's notification, and its e-mail
    notification = db.session.scalar(select(Notification).where(Notification.case_id == told.id))
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == officer.id))
    # A session of someone else's (the walk signs each role in afresh).
    user_sessions.start_session(f.officer(), ip_address=None, user_agent=None)
    session_id = db.session.scalar(select(UserSession.id))
    _invited, token = invite(f, world.admin)  # a working invitation link (its page is public)
    db.session.commit()
    users = {"admin": world.admin, "officer": officer, "provider": world.staff}
    values = {
        "case_id": [referred.id, waiting.id, accepted.case_id, pending.case_id],
        "referral_id": [accepted.id, pending.id],
        "episode_id": [episode.id],
        "consent_id": [consent.id],
        "scan_id": [scan.id],
        "flag_id": [flag.id],
        "code": ["no_contact"],
        "person_id": [waiting.person_id],  # a possible match of the referred case's person
        "other_id": [referred.person_id],
        "service_id": [world.service.id],
        "user_id": [officer.id],
        "agency_id": [officer.agency_id],
        "organization_id": [world.service.organization_id],
        "notification_id": [notification.id],
        "email_id": [email.id],
        "session_id": [session_id],
        "token": [token],
        "day": [today.isoformat()],
        "key": ["rearrest"],  # a report's table
        "action": ["deactivate"],
        "filename": ["css/portal.css"],
    }
    return users, values


def url_of(rule, values: dict, override: dict | None = None) -> str:
    override = override or {}

    def fill(match):
        name = match.group(2)
        return str(override.get(name, values[name][0]))

    return PARAM.sub(fill, rule.rule)


def rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in NOT_WALKED]


def pages(app, values):
    """Every GET page with each combination of valid path values (every case, for instance)."""
    for rule in rules(app):
        if "GET" not in rule.methods:
            continue
        names = [m.group(2) for m in PARAM.finditer(rule.rule)]
        if "case_id" in names:
            for case_id in values["case_id"]:
                yield rule, url_of(rule, values, {"case_id": case_id})
        else:
            yield rule, url_of(rule, values)


@pytest.fixture
def walk(client, f, request):
    role = request.param
    users, values = build_world(f)
    if role != "anonymous":
        login(client, users[role])
    w = Walk(client, role)
    w.values = values
    w.app = client.application
    return w


def _token(walk) -> str:
    home = {"anonymous": "/login", "officer": "/officer/referrals", "provider": "/provider/"}
    return csrf_token(walk.client, home.get(walk.role, "/admin/"))


@pytest.mark.parametrize("walk", ROLES, indirect=True)
def test_ids_out_of_range_answer_404(walk):
    token = _token(walk)
    for rule in rules(walk.app):
        params = [(m.group(1), m.group(2)) for m in PARAM.finditer(rule.rule)]
        method = "GET" if "GET" in rule.methods else "POST"
        data = {"csrf_token": token} if method == "POST" else None
        for converter, name in params:
            bad = HUGE_IDS if converter == "int" else BAD_DAYS if name == "day" else []
            for value in bad:
                url = url_of(rule, walk.values, {name: value})
                response = walk.send(method, url, f"{name}={value}", data=data)
                if converter == "int":
                    assert response.status_code == 404, f"{walk.role} {url}"


def _shape(text: str) -> str:
    """A URL or field name with its ids blotted out: the same form of two cases is walked once."""
    return re.sub(r"[0-9]+", "#", text)


def _scrape(walk):
    """The forms and the query arguments of every page the role can open (each shape once)."""
    forms, args, seen = {}, {}, set()
    for _rule, url in pages(walk.app, walk.values):
        response = walk.send("GET", url, "page", headers={})
        if response.status_code != 200:
            if "/timeline" in url and walk.role != "anonymous":  # htmx only: not a page
                args.setdefault(_shape(url), (url, set()))[1].update(TIMELINE_ARGS)
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        names = COMMON_ARGS | (TIMELINE_ARGS if "/timeline" in url else set())
        for link in parser.links:
            parts = urlsplit(link)
            if parts.path in ("", url.split("?")[0]):
                names |= {k for k, _ in parse_qsl(parts.query)}
        for form in parser.forms:
            action = form["action"] or url
            if form["method"] == "get":
                target = action.split("?")[0]
                names |= set(form["fields"]) if target == url.split("?")[0] else set()
                args.setdefault(_shape(target), (target, set(COMMON_ARGS)))[1].update(
                    form["fields"]
                )
            else:
                shape = (_shape(action), tuple(sorted(_shape(n) for n in form["fields"])))
                if shape not in seen:
                    seen.add(shape)
                    forms[action] = form
        args.setdefault(_shape(url), (url.split("?")[0], set()))[1].update(names)
    return forms, args


@pytest.mark.parametrize("walk", ROLES, indirect=True)
def test_hostile_query_arguments(walk):
    _, args = _scrape(walk)
    assert args, "no page was walked"
    for url, names in args.values():
        for name in sorted(names):
            extra = (
                CURSORS if name == "before" else DATES if "week" in name or "date" in name else []
            )
            for i, value in enumerate(QUERY_VALUES + extra):
                # Pages answer htmx with a fragment, by another path: half the values go that way
                # (all of them for the timeline's cursor, which only htmx asks for).
                htmx = name == "before" or i % 2
                headers = {"HX-Request": "true"} if htmx else {}
                walk.send("GET", url, name, query_string={name: value}, headers=headers)


def _hostile(base: str, picked: bool) -> dict:
    values = {
        "NUL and escapes": f"{base or 'x'}\x00\x1b[2J\x7f\x85",
        "bidi": f"{base or 'x'}\u202egnp.exe\u2066",
    }
    if picked:  # a select, radio, checkbox, hidden or number field: an id, a version, a count
        values["huge number"] = str(2**63)  # past SQLite's 64 bits as well as PostgreSQL's 32
    else:
        values["overlong"] = "a" * 100_000
    return values


def _good_file(action: str) -> tuple[tuple[bytes, str], int]:
    """What a file-taking form accepts, and its answer: the directory file (the page listing
    what changed), or a consent's signed scan (back to the case)."""
    if action.endswith("/directory/file"):
        return (b'{"organizations": [], "services": []}', "directory.json"), 200
    return (b"%PDF-1.7\n%%EOF\n", "scan.pdf"), 302


@pytest.mark.parametrize("walk", ROLES, indirect=True)
def test_hostile_form_fields(walk):
    forms, _ = _scrape(walk)
    if walk.role != "anonymous":
        assert forms, "the role's pages hold no form"
    for action, form in forms.items():
        if action.endswith("/logout"):
            continue
        fields = form["fields"]
        texts = [n for n in fields if n != "csrf_token"]
        for name in texts:
            for label, value in _hostile(fields[name], name in form["picked"]).items():
                walk.send("POST", action, f"{name}: {label}", data={**fields, name: value})
        if texts:  # files in place of the texts: one field, then all of them
            upload = {texts[0]: (BytesIO(b"\x00\xff not text"), "x.bin")}
            walk.send("POST", action, "a file", data={**fields, **upload})
            uploads = {n: (BytesIO(b"\x00\xff not text"), "x.bin") for n in texts}
            walk.send("POST", action, "files", data={**fields, **uploads})
        for name in form["files"]:  # a form that takes a file: hostile files, then a good one
            for label, content, filename in HOSTILE_FILES:
                upload = {name: (BytesIO(content), filename)}
                response = walk.send("POST", action, f"{name}: {label}", data={**fields, **upload})
                assert response.status_code == 422, f"{action} {label}"
            (content, filename), status = _good_file(action)
            upload = {name: (BytesIO(content), filename)}
            response = walk.send("POST", action, f"{name}: {filename}", data={**fields, **upload})
            assert response.status_code == status, action


@pytest.mark.parametrize("walk", ROLES, indirect=True)
def test_json_and_other_bodies_are_refused(walk):
    token = _token(walk)
    headers = {"X-CSRFToken": token}
    bodies = [
        ("json", {"json": {"csrf_token": token, "note": ["a"], "version": {"x": 1}, "q": 2**70}}),
        ("json surrogate", {"json": {"csrf_token": token, "name": "\ud800", "note": "\udfff"}}),
        ("json list", {"json": [1, 2, 3]}),
        ("text", {"data": "csrf_token=" + token, "content_type": "text/plain"}),
    ]
    for rule in rules(walk.app):
        if "POST" not in rule.methods:
            continue
        for case_id in walk.values["case_id"][:1]:
            url = url_of(rule, walk.values, {"case_id": case_id})
            for label, body in bodies:
                response = walk.send("POST", url, label, headers=headers, **body)
                assert response.status_code in (400, 415), f"{walk.role} {url} {label}"


def test_the_walk_reaches_every_form(client, f):
    """The walk is only as good as its reach: the admin's pages hold the forms of every status."""
    users, values = build_world(f)
    login(client, users["admin"])
    walk = Walk(client, "admin")
    walk.values, walk.app = values, client.application
    forms, _ = _scrape(walk)
    actions = {re.sub(r"/\d+", "/<id>", action) for action in forms}
    for expected in [
        "/admin/cases/<id>/accept",
        "/admin/cases/<id>/intake",
        "/admin/cases/<id>/details",
        "/admin/cases/<id>/assessments",
        "/admin/cases/<id>/contacts",
        "/admin/cases/<id>/exit",
        "/admin/cases/<id>/consents/<id>/scans",
        "/admin/cases/<id>/matches/<id>/link",
        "/admin/cases/<id>/matches/<id>/keep-apart",
        "/admin/referrals/new",
        "/admin/people/<id>/merge/<id>",
        "/admin/users/new",
        "/admin/services/<id>",
        "/admin/settings",
    ]:
        assert expected in actions, sorted(actions)


def test_every_form_of_the_portal_is_a_portal_form(app):
    """New forms inherit the checks: each FlaskForm of the portal derives from PortalForm."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [c for c in subclasses(FlaskForm) if c.__module__.startswith("portal.")]
    assert len(forms) > 10
    strays = [f"{c.__module__}.{c.__name__}" for c in forms if not issubclass(c, PortalForm)]
    assert not strays


def test_forms_never_read_json_or_files(app):
    """Behind the request guards, a form still reads form fields only (Flask-WTF reads JSON)."""
    from portal.admin.forms import AcceptForm

    with app.test_request_context("/", method="POST", json={"note": ["a"], "version": {}}):
        form = AcceptForm(meta={"csrf": False})
        assert form.note.data is None and not form.validate()
    upload = {"note": (BytesIO(b"text"), "note.txt"), "version": "1"}
    with app.test_request_context("/", method="POST", data=upload):
        form = AcceptForm(meta={"csrf": False})
        assert form.note.data in (None, "") and form.validate()


def test_control_characters_are_refused_beside_the_field(app):
    from portal.admin.forms import AcceptForm

    data = {"note": "fine\ttab\r\nnew line\u202e", "version": "1"}
    with app.test_request_context("/", method="POST", data=data):
        form = AcceptForm(meta={"csrf": False})
        assert not form.validate()
        assert "control or text-direction characters" in form.note.errors[0]
        assert form.note.data == "fine\ttab\r\nnew line"
    with app.test_request_context(
        "/", method="POST", data={"note": "tab\tand\nlines", "version": "1"}
    ):
        assert AcceptForm(meta={"csrf": False}).validate()
