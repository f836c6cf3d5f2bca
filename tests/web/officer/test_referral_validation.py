"""Bad input on the referral form: 422, the message beside the field, nothing saved."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Case, Person, TimelineEntry
from tests.conftest import csrf_token, post

URL = "/officer/referrals/new"
GOOD = {
    "submission_key": str(uuid.uuid4()),  # what the rendered form carries
    "first_name": "Ann",
    "last_name": "Smith",
    "dob": "1990-01-02",
    "referral_type": "community",
}

BAD = {
    "empty first name": ({"first_name": ""}, "first_name", "Enter a name."),
    "blank first name": ({"first_name": "   "}, "first_name", "Enter a name."),
    "blank last name": ({"last_name": " \t "}, "last_name", "Enter a name."),
    "missing date of birth": ({"dob": ""}, "dob", "Enter the date of birth."),
    "date of birth in the future": ({"dob": "future"}, "dob", "cannot be in the future"),
    "date of birth before 1900": ({"dob": "1899-12-31"}, "dob", "cannot be before 1900"),
    "malformed date": ({"dob": "02/01/1990"}, "dob", "Enter a real date"),
    "impossible date": ({"dob": "1990-02-30"}, "dob", "Enter a real date"),
    "unknown referral type": ({"referral_type": "bounty"}, "referral_type", "Not a valid choice"),
    "missing referral type": ({"referral_type": ""}, "referral_type", "Choose the referral type"),
    "overlong first name": ({"first_name": "A" * 121}, "first_name", "at most 120"),
    "overlong aliases": ({"aliases": "x" * 501}, "aliases", "at most 500"),
    "overlong incident number": ({"incident_number": "9" * 41}, "incident_number", "at most 40"),
    "overlong location": ({"location": "L" * 256}, "location", "at most 255"),
    "overlong notes": ({"notes": "n" * 4001}, "notes", "at most 4,000"),
    "contact date in the future": ({"occurred_on": "future"}, "occurred_on", "in the future"),
    "time without date": ({"occurred_time": "10:00"}, "occurred_time", "date of contact"),
    "unknown checklist item": ({"eligibility": "Knows the chief"}, "eligibility", "listed items"),
}


def _rows() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Person, Case, TimelineEntry)
    )


def _described_by(html: str, field: str) -> bool:
    """The field (or its fieldset/inputs) names its error message in aria-describedby."""
    pattern = rf'<[^>]*aria-describedby="[^"]*\b{re.escape(field)}-error\b[^"]*"[^>]*>'
    return any(f'id="{field}' in tag or "<fieldset" in tag for tag in re.findall(pattern, html))


@pytest.mark.parametrize(("changes", "field", "message"), list(BAD.values()), ids=list(BAD))
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_input_is_refused_beside_the_field(client, login_as, f, changes, field, message, htmx):
    login_as(f.officer())
    future = (local_today() + dt.timedelta(days=1)).isoformat()
    data = {**GOOD, **{k: (future if v == "future" else v) for k, v in changes.items()}}

    response = post(client, URL, data, htmx=htmx)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(
        rf'<span class="usa-error-message" id="{field}-error"[^>]*>([^<]*)</span>', html
    )
    assert error, f"no message beside {field}"
    assert message in error.group(1)
    assert _described_by(html, field), f"{field} does not point at its message"
    assert "Please correct" in html  # the summary at the top
    assert _rows() == (0, 0, 0)


def test_the_form_keeps_what_was_typed(client, login_as, f):
    login_as(f.officer())
    html = post(client, URL, {**GOOD, "dob": "1899-01-01", "location": "Fayetteville"}).get_data(
        as_text=True
    )
    assert 'value="Ann"' in html
    assert 'value="Fayetteville"' in html


def test_csrf_token_missing_is_refused(client, login_as, f):
    login_as(f.officer())
    response = client.post(URL, data=GOOD)
    assert response.status_code == 400
    assert "expired or was tampered with" in response.get_data(as_text=True)
    assert _rows() == (0, 0, 0)


def test_csrf_token_tampered_is_refused(client, login_as, f):
    login_as(f.officer())
    token = csrf_token(client, URL)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for sent in (tampered, "not-a-token", token[::-1]):
        response = client.post(URL, data={**GOOD, "csrf_token": sent})
        assert response.status_code == 400, sent
    response = client.post(URL, data=GOOD, headers={"X-CSRFToken": tampered, "HX-Request": "true"})
    assert response.status_code == 400
    assert _rows() == (0, 0, 0)


def test_a_token_from_another_session_is_refused(client, login_as, f, app):
    other = app.test_client()
    foreign = csrf_token(other, "/login")
    login_as(f.officer())
    response = client.post(URL, data={**GOOD, "csrf_token": foreign})
    assert response.status_code == 400
    assert _rows() == (0, 0, 0)


def test_the_valid_token_is_accepted(client, login_as, f):
    # The refusals above are meaningful only if the same request with the real token passes.
    login_as(f.officer())
    assert post(client, URL, GOOD).status_code == 302
    assert _rows() == (1, 1, 1)
