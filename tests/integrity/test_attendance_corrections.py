"""A correction of attendance applies only to the value it was made from."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Attendance, AttendanceCorrection, AttendanceStatus
from portal.services import attendance
from portal.services.errors import Conflict
from tests.conftest import csrf_token, post
from tests.integrity.concurrent import Answer, post_together, same_session
from tests.worlds import provider_world

A = AttendanceStatus
CONFLICT = "Someone else corrected this entry while you were working on it"


@pytest.fixture
def row(f):
    """A participant recorded as attended at today's session, and the session page."""
    world = provider_world(f)
    referral = world.participant(first_name="Ada")
    attendance.record_attendance(referral, local_today(), A.ATTENDED, world.staff)
    page = f"/provider/sessions/{world.service.id}/{local_today().isoformat()}"
    return world, referral, page


def _version(html: str, referral_id: int) -> str | None:
    """The version the row's correction form carries."""
    found = re.search(rf'name="fix-{referral_id}-version" type="hidden" value="(\d+)"', html)
    return found.group(1) if found else None


def _correction(referral_id: int, status: A, reason: str, version: str | None) -> dict:
    prefix = f"fix-{referral_id}"
    data = {f"{prefix}-status": status.value, f"{prefix}-reason": reason}
    if version is not None:
        data[f"{prefix}-version"] = version
    return data


def _history(referral_id: int) -> tuple[A, list[AttendanceCorrection]]:
    entry = db.session.scalar(
        select(Attendance).where(Attendance.service_referral_id == referral_id)
    )
    corrections = db.session.scalars(
        select(AttendanceCorrection)
        .where(AttendanceCorrection.attendance_id == entry.id)
        .order_by(AttendanceCorrection.id)
    ).all()
    return entry.status, list(corrections)


def _chain_is_true(initial: A, final: A, corrections: list[AttendanceCorrection]) -> bool:
    """Each correction's earlier value is the value it really replaced."""
    current = initial
    for correction in corrections:
        if correction.old_status != current:
            return False
        current = correction.new_status
    return current == final


def test_simultaneous_corrections_of_one_entry_apply_once(app, client, login_as, row):
    """Six staff correct the same entry at once, from the same page: one wins, five are told."""
    world, referral, page = row
    login_as(world.staff)
    targets = [A.MISSED, A.EXCUSED, A.CANCELLED] * 2
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, page)}
    tabs = same_session(app, client, len(targets))  # the session now holds the CSRF secret
    fix = f"{page}/{referral.id}/correct"
    rounds = []
    for n in range(3):
        before, _ = _history(referral.id)
        seen = _version(client.get(page).get_data(as_text=True), referral.id)
        posts = [
            (tab, fix, _correction(referral.id, target, f"round {n}, tab {i}", seen), headers)
            for i, (tab, target) in enumerate(zip(tabs, targets, strict=True))
            if target != before
        ]
        answers = post_together(app, posts)
        assert all(isinstance(a, Answer) for a in answers), answers
        rounds.append(sorted(a.status for a in answers))
        losers = [a for a in answers if a.status == 409]
        assert all(CONFLICT in a.body for a in losers)
    status, corrections = _history(referral.id)
    assert rounds == [[200] + [409] * (len(r) - 1) for r in rounds]
    assert len(corrections) == 3
    assert _chain_is_true(A.ATTENDED, status, corrections), [
        (c.old_status, c.new_status) for c in corrections
    ]


def test_a_correction_from_a_stale_page_is_a_conflict(client, login_as, row):
    world, referral, page = row
    login_as(world.staff)
    seen = _version(client.get(page).get_data(as_text=True), referral.id)
    fix = f"{page}/{referral.id}/correct"
    first = post(client, fix, _correction(referral.id, A.MISSED, "No show", seen), page=page)
    assert first.status_code == 302
    late = _correction(referral.id, A.EXCUSED, "Called in sick", seen)
    response = post(client, fix, late, page=page, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 409, html
    assert CONFLICT in html
    assert "portal-badge--missed" in html  # the row shows the value that is stored now
    assert _version(html, referral.id) != seen  # and its form now carries the new version
    status, corrections = _history(referral.id)
    assert status == A.MISSED
    assert [(c.old_status, c.new_status) for c in corrections] == [(A.ATTENDED, A.MISSED)]
    # Without htmx the page comes back with the message beside the row.
    page_answer = post(client, fix, late, page=page)
    assert page_answer.status_code == 409
    assert CONFLICT in page_answer.get_data(as_text=True)


def test_a_correction_without_the_version_it_saw_is_refused(client, login_as, row):
    world, referral, page = row
    login_as(world.staff)
    fix = f"{page}/{referral.id}/correct"
    for version in (None, "", "stale"):
        data = _correction(referral.id, A.MISSED, "No show", version)
        response = post(client, fix, data, page=page, htmx=True)
        assert response.status_code in (409, 422), version
    assert _history(referral.id) == (A.ATTENDED, [])


def test_the_service_refuses_a_stale_version(f, row):
    world, referral, _ = row
    entry = db.session.scalar(select(Attendance))
    seen = entry.version
    attendance.correct_attendance(entry, A.MISSED, "No show", world.staff, version=seen)
    with pytest.raises(Conflict):
        attendance.correct_attendance(entry, A.EXCUSED, "Called in", world.staff, version=seen)
    assert entry.status == A.MISSED
