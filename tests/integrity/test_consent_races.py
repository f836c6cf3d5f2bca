"""A consent sent twice at once is recorded once; two revocations at once revoke it once."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Consent, TimelineEntry, TimelineKind
from tests.conftest import csrf_token
from tests.integrity.concurrent import Answer, post_together, same_session
from tests.web.admin.test_consents import consent_data

HTMX = {"HX-Request": "true"}


def _entries(kind: TimelineKind) -> int:
    return db.session.scalar(
        select(func.count()).select_from(TimelineEntry).where(TimelineEntry.kind == kind)
    )


def _together(app, client, url: str, page: str, data: dict, n: int = 4) -> list[Answer | str]:
    token = csrf_token(client, page)
    headers = {**HTMX, "X-CSRFToken": token}
    tabs = same_session(app, client, n)
    return post_together(app, [(tab, url, {"csrf_token": token, **data}, headers) for tab in tabs])


def test_the_same_consent_sent_at_once_is_recorded_once(app, client, login_as, f):
    login_as(f.admin())
    case = f.CaseFactory(active=True)
    page = f"/admin/cases/{case.id}"
    answers = _together(app, client, f"{page}/consents", page, consent_data(case))
    assert all(isinstance(a, Answer) and a.status == 200 for a in answers), answers
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 1
    assert _entries(TimelineKind.CONSENT_RECORDED) == 1


def test_two_revocations_at_once_revoke_once(app, client, login_as, f):
    login_as(f.admin())
    case = f.CaseFactory(active=True)
    consent = f.ConsentFactory(case=case)
    page = f"/admin/cases/{case.id}"
    prefix = f"revoke-{consent.id}"
    data = {f"{prefix}-revoked_on": local_today().isoformat(), f"{prefix}-received": "A letter"}
    answers = _together(app, client, f"{page}/consents/{consent.id}/revoke", page, data)
    statuses = sorted(a.status for a in answers if isinstance(a, Answer))
    assert len(statuses) == len(answers), answers
    # The first revokes; the others find it no longer in force and say so.
    assert _entries(TimelineKind.CONSENT_REVOKED) == 1, statuses
    assert statuses.count(200) == 1, answers
    assert set(statuses) <= {200, 422}, answers
    assert _entries(TimelineKind.CONSENT_REVOKED) == 1
