"""One referral submission makes one case, however often (and however fast) it arrives."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, Person, TimelineEntry
from portal.services.settings import get_settings
from tests.conftest import csrf_token, login, post
from tests.integrity.concurrent import Answer, post_together, same_session

URL = "/officer/referrals/new"
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]*)"')
FORM = {
    "first_name": "Ann",
    "last_name": "Smith",
    "dob": "1990-01-02",
    "referral_type": "social_contact",
    "offences": "Possession of a controlled substance",
}


def _rows() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Person, Case, TimelineEntry)
    )


def _key(html: str) -> str | None:
    match = KEY_RE.search(html)
    return match.group(1) if match else None


def _form_key(client) -> str | None:
    """The submission key of a freshly rendered referral form."""
    return _key(client.get(URL).get_data(as_text=True))


def test_each_rendering_of_the_form_carries_its_own_key(client, login_as, f):
    login_as(f.officer())
    first, second = _form_key(client), _form_key(client)
    assert first and second and first != second
    assert str(uuid.UUID(first)) == first


def test_a_repeated_submission_answers_with_the_first_case(client, login_as, f):
    login_as(f.officer())
    data = {**FORM, "submission_key": _form_key(client)}
    first = post(client, URL, data)
    assert first.status_code == 302
    # The repeat (a second tap, a retry after a timeout, Back then Send again) arrives after the
    # person exists, so without the key it would also be asked "is this the same person?".
    again = post(client, URL, data)
    assert again.status_code == 302, again.get_data(as_text=True)
    assert again.headers["Location"] == first.headers["Location"]
    assert _rows() == (1, 1, 1)


def test_the_same_key_from_another_officer_is_their_own_referral(app, client, login_as, f):
    """Keys are scoped to the officer: someone else's key never answers with their case."""
    first_officer, second_officer = f.officer(), f.officer()
    login_as(first_officer)
    key = _form_key(client)
    theirs = post(client, URL, {**FORM, "submission_key": key})
    other = app.test_client()
    login(other, second_officer)
    mine = post(other, URL, {**FORM, "first_name": "Bea", "submission_key": key})
    assert mine.status_code == 302
    assert mine.headers["Location"] != theirs.headers["Location"]
    assert _rows() == (2, 2, 2)


def test_a_missing_or_malformed_key_is_refused_and_a_fresh_one_offered(client, login_as, f):
    login_as(f.officer())
    for sent in ({}, {"submission_key": ""}, {"submission_key": "not-a-key"}):
        response = post(client, URL, {**FORM, **sent})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, sent
        assert "This form was out of date: check the entries below and send it again." in html
        assert 'value="Ann"' in html  # nothing typed is lost
        offered = _key(html)
        assert offered and str(uuid.UUID(offered)) == offered, sent
        assert _rows() == (0, 0, 0)
    again = post(client, URL, {**FORM, "submission_key": offered})
    assert again.status_code == 302
    assert _rows() == (1, 1, 1)


def test_double_submits_at_the_same_instant_make_one_case(app, client, login_as, f):
    """Ten people, each referral sent twice at once from one session: ten cases, ten people."""
    get_settings()  # the program's settings row exists, as it does once the office has opened
    login_as(f.officer())
    token = csrf_token(client, URL)
    pairs = []
    for n in range(10):
        data = {**FORM, "first_name": f"Ann{n}", "csrf_token": token}
        key = _form_key(client)
        if key is not None:
            data["submission_key"] = key
        pairs.append(data)
    tabs = same_session(app, client, 2)
    results = [post_together(app, [(tab, URL, data, {}) for tab in tabs]) for data in pairs]
    failed = [r for r in results if not all(isinstance(a, Answer) and a.status == 302 for a in r)]
    assert failed == [], [
        [(a.status, a.location) if isinstance(a, Answer) else a for a in r] for r in failed
    ]
    duplicates = sum(1 for first, second in results if first.location != second.location)
    cases = db.session.scalar(select(func.count()).select_from(Case))
    people = db.session.scalar(select(func.count()).select_from(Person))
    assert (duplicates, people, cases) == (0, 10, 10)
