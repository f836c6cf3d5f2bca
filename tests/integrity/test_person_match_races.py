"""The office's answer to a possible match, sent twice at the same instant, applies once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, Person, PersonMatchDecision, TimelineEntry, TimelineKind
from tests.conftest import csrf_token
from tests.integrity.concurrent import Answer, post_together, same_session

DOB = dt.date(1988, 6, 15)


def _pair(f):
    earlier = f.CaseFactory(person=f.PersonFactory(first_name="James", last_name="Carter", dob=DOB))
    case = f.CaseFactory(person=f.PersonFactory(first_name="Jim", last_name="Carter", dob=DOB))
    return earlier, case


def _entries(kind: TimelineKind) -> int:
    query = select(func.count()).select_from(TimelineEntry).where(TimelineEntry.kind == kind)
    return db.session.scalar(query)


def test_a_link_sent_twice_at_once_links_once(app, client, login_as, f):
    earlier, case = _pair(f)
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    prefix = f"link-{earlier.person_id}"
    data = {"csrf_token": csrf_token(client, url), f"{prefix}-version": str(case.version)}
    action = f"{url}/matches/{earlier.person_id}/link"

    answers = post_together(app, [(tab, action, data, {}) for tab in same_session(app, client, 2)])

    assert all(isinstance(a, Answer) for a in answers), answers
    # Each is answered: linked, or (arriving while the first wrote) the latest version to check.
    assert sorted(a.status for a in answers) in ([302, 302], [302, 409]), answers
    assert db.session.get(Case, case.id).person_id == earlier.person_id
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert _entries(TimelineKind.PERSON_LINKED) == 1


def test_keep_apart_sent_twice_at_once_is_recorded_once(app, client, login_as, f):
    earlier, case = _pair(f)
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    token = csrf_token(client, url)
    data = {"version": str(case.version)}
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    action = f"{url}/matches/{earlier.person_id}/keep-apart"

    answers = post_together(
        app, [(tab, action, data, headers) for tab in same_session(app, client, 2)]
    )

    assert [a.status if isinstance(a, Answer) else a for a in answers] == [200, 200]
    assert db.session.scalar(select(func.count()).select_from(PersonMatchDecision)) == 1
    assert _entries(TimelineKind.PERSONS_KEPT_APART) == 1
