"""Sessions and one-tap attendance via htmx: recorded once, refused with a message, corrected."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    TimelineEntry,
    TimelineKind,
)
from tests.conftest import post


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _session_url(world, day=None, service=None):
    day = day or local_today()
    return f"/provider/sessions/{(service or world.service).id}/{day.isoformat()}"


def test_sessions_page_shows_today_and_the_week(client, login_as, world, f):
    world.participant()
    f.ServiceFactory(name="Counselling by appointment", organization=world.service.organization)
    login_as(world.staff)
    page = client.get("/provider/sessions").get_data(as_text=True)
    today = local_today()
    link = f'href="/provider/sessions/{world.service.id}/{today.isoformat()}"'
    assert page.count(link) == 2  # under Today and under its weekday
    assert "1 participant, 0 recorded" in page
    assert "Counselling by appointment" in page
    assert "Detox beds" not in page
    assert client.get("/provider/sessions?week=2026-01-07").status_code == 200
    assert client.get("/provider/sessions?week=nonsense").status_code == 200


def test_date_picker_refuses_the_future(client, login_as, world):
    login_as(world.staff)
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    refused = client.get(
        f"/provider/sessions/pick?service_id={world.service.id}&session_date={tomorrow}"
    )
    assert refused.status_code == 422
    assert "cannot be recorded for a date in the future" in refused.get_data(as_text=True)
    past = (local_today() - dt.timedelta(days=9)).isoformat()
    chosen = client.get(
        f"/provider/sessions/pick?service_id={world.service.id}&session_date={past}"
    )
    assert chosen.status_code == 302
    assert chosen.headers["Location"].endswith(f"/provider/sessions/{world.service.id}/{past}")
    theirs = client.get(
        f"/provider/sessions/pick?service_id={world.other_service.id}&session_date={past}"
    )
    assert theirs.status_code == 422  # not one of the choices


def test_session_page_lists_accepted_participants_with_tap_buttons(client, login_as, world):
    accepted = world.participant(first_name="Ada")
    pending = world.participant(accept=False, first_name="Bea")
    login_as(world.staff)
    page = client.get(_session_url(world)).get_data(as_text=True)
    assert f'id="attendance-{accepted.id}"' in page
    assert f'id="attendance-{pending.id}"' not in page
    for status in AttendanceStatus:
        assert f'name="status" value="{status.value}"' in page
    assert "Mark all present" in page
    assert '<span class="usa-sr-only">: Ada Doe</span>' in page


def test_future_session_page_shows_the_roster_without_buttons(client, login_as, world):
    world.participant()
    login_as(world.staff)
    page = client.get(_session_url(world, local_today() + dt.timedelta(days=7)))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This session is in the future" in body
    assert 'name="status"' not in body and "Mark all present" not in body


def test_one_tap_records_and_a_double_tap_records_once(client, login_as, world):
    referral = world.participant(first_name="Ada")
    login_as(world.staff)
    url = f"{_session_url(world)}/{referral.id}"
    first = post(client, url, {"status": "attended"}, page=_session_url(world), htmx=True)
    second = post(client, url, {"status": "attended"}, page=_session_url(world), htmx=True)
    for response in (first, second):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert body.lstrip().startswith(f'<tr id="attendance-{referral.id}"')
        assert "portal-badge--attended" in body
        assert 'name="status" value="missed"' not in body  # the buttons gave way to the status
        assert '<div id="session-status" hx-swap-oob="innerHTML">Ada Doe: attended' in body
    assert "timeline-changed" in first.headers["HX-Trigger"]
    assert _count(Attendance) == 1
    assert _count(TimelineEntry, TimelineEntry.kind == TimelineKind.ATTENDANCE_RECORDED) == 1


def test_bad_taps_answer_422_with_a_message(client, login_as, world):
    referral = world.participant()
    pending = world.participant(accept=False)
    login_as(world.staff)
    page = _session_url(world)
    tomorrow = _session_url(world, local_today() + dt.timedelta(days=1))
    cases = [
        (f"{tomorrow}/{referral.id}", {"status": "attended"}, "date in the future"),
        (f"{page}/{referral.id}", {"status": "asleep"}, "Choose attended, missed, excused"),
        (f"{page}/{pending.id}", {"status": "attended"}, "accept the referral first"),
    ]
    for url, data, message in cases:
        response = post(client, url, data, page=page, htmx=True)
        assert response.status_code == 422, url
        body = response.get_data(as_text=True)
        assert message in body
        assert 'role="alert"' in body
    assert _count(Attendance) == 0


def test_another_organisations_participant_or_service_answers_404(client, login_as, world):
    theirs = world.participant(service=world.other_service)
    login_as(world.staff)
    page = _session_url(world)
    wrong_service = post(client, f"{page}/{theirs.id}", {"status": "attended"}, page=page)
    their_session = f"{_session_url(world, service=world.other_service)}/{theirs.id}"
    other_org = post(client, their_session, {"status": "attended"}, page=page)
    assert (wrong_service.status_code, other_org.status_code) == (404, 404)
    assert client.get(_session_url(world, service=world.other_service)).status_code == 404
    assert client.get(f"/provider/sessions/{world.service.id}/not-a-date").status_code == 404
    mark = post(client, f"{_session_url(world, service=world.other_service)}/all", page=page)
    assert mark.status_code == 404
    assert _count(Attendance) == 0


def test_a_different_tap_needs_a_correction_with_a_reason(client, login_as, world):
    referral = world.participant(first_name="Ada")
    login_as(world.staff)
    page = _session_url(world)
    post(client, f"{page}/{referral.id}", {"status": "attended"}, page=page, htmx=True)
    stale = post(client, f"{page}/{referral.id}", {"status": "missed"}, page=page, htmx=True)
    assert stale.status_code == 422
    assert "Already recorded as attended" in stale.get_data(as_text=True)
    fix = f"{page}/{referral.id}/correct"
    prefix = f"fix-{referral.id}"
    seen = {f"{prefix}-version": "1"}  # the entry's version, as the form carries it
    no_reason = post(client, fix, {f"{prefix}-status": "excused", **seen}, page=page, htmx=True)
    assert no_reason.status_code == 422
    body = no_reason.get_data(as_text=True)
    assert "Give the reason for the correction." in body
    assert '<details class="portal-disclosure" open>' in body
    same = post(
        client,
        fix,
        {f"{prefix}-status": "attended", f"{prefix}-reason": "x", **seen},
        page=page,
        htmx=True,
    )
    assert same.status_code == 422 and "already attended" in same.get_data(as_text=True)
    done = post(
        client,
        fix,
        {f"{prefix}-status": "excused", f"{prefix}-reason": "Was at the clinic", **seen},
        page=page,
        htmx=True,
    )
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert "portal-badge--excused" in body
    assert "Was attended, corrected to excused by" in body and "Was at the clinic" in body
    assert _count(AttendanceCorrection) == 1
    assert _count(TimelineEntry, TimelineEntry.kind == TimelineKind.ATTENDANCE_CORRECTED) == 1
    nothing = f"{_session_url(world, local_today() - dt.timedelta(days=1))}/{referral.id}/correct"
    assert post(client, nothing, {f"{prefix}-status": "missed"}, page=page).status_code == 404


def test_mark_all_present_then_adjust(client, login_as, world):
    people = [world.participant() for _ in range(3)]
    world.participant(accept=False)
    login_as(world.staff)
    page = _session_url(world)
    post(client, f"{page}/{people[0].id}", {"status": "excused"}, page=page, htmx=True)
    response = post(client, f"{page}/all", page=page, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="participants">')
    assert "Marked 2 participants present." in body
    assert body.count("portal-badge--attended") == 2 and body.count("portal-badge--excused") == 1
    assert _count(Attendance) == 3
    assert _count(TimelineEntry, TimelineEntry.kind == TimelineKind.ATTENDANCE_RECORDED) == 3
    again = post(client, f"{page}/all", page=page, htmx=True)
    assert "already recorded" in again.get_data(as_text=True)
    assert _count(Attendance) == 3
    fix = post(
        client,
        f"{page}/{people[1].id}/correct",
        {
            f"fix-{people[1].id}-status": "missed",
            f"fix-{people[1].id}-reason": "Left early",
            f"fix-{people[1].id}-version": "1",  # the entry's version, as the form carries it
        },
        page=page,
        htmx=True,
    )
    assert fix.status_code == 200
    assert (
        db.session.scalar(
            select(Attendance.status).where(Attendance.service_referral_id == people[1].id)
        )
        == AttendanceStatus.MISSED
    )


def test_mark_all_for_a_future_date_is_refused(client, login_as, world):
    world.participant()
    login_as(world.staff)
    future = _session_url(world, local_today() + dt.timedelta(days=1))
    response = post(client, f"{future}/all", page=_session_url(world), htmx=True)
    assert response.status_code == 422
    assert "date in the future" in response.get_data(as_text=True)
    assert _count(Attendance) == 0


def test_without_htmx_a_tap_redirects_back_to_the_session(client, login_as, world):
    referral = world.participant()
    login_as(world.staff)
    page = _session_url(world)
    response = post(client, f"{page}/{referral.id}", {"status": "missed"}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(page)
    refused = post(client, f"{page}/{referral.id}", {"status": "nope"}, page=page)
    assert refused.status_code == 422
    assert "<html" in refused.get_data(as_text=True)
