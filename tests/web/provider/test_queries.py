"""The provider's pages run a fixed number of queries whatever the number of rows (no N+1)."""

from __future__ import annotations

import datetime as dt

from portal.clock import local_today
from portal.extensions import db
from portal.models import AttendanceStatus, Case, TimelineKind
from portal.services import attendance
from portal.services.timeline import add_entry
from tests.web.provider.helpers import count_queries


def _queries(client, url, **kw) -> int:
    with count_queries() as statements:
        response = client.get(url, **kw)
    assert response.status_code == 200, url
    return len(statements)


def _grow(world, n, with_attendance=True):
    """Bring the roster to n participants (half accepted with attendance, half pending)."""
    while len(world.made) < n:
        accepted = len(world.made) % 2 == 0
        referral = world.participant(accept=accepted)
        if accepted and with_attendance:
            for days in range(6):
                day = local_today() - dt.timedelta(days=days)
                attendance.record_attendance(referral, day, AttendanceStatus.ATTENDED, world.staff)


def test_roster_queries_do_not_grow_with_participants(client, login_as, f, world):
    _grow(world, 2)
    login_as(world.staff)
    small = _queries(client, "/provider/")
    _grow(world, 20)
    assert _queries(client, "/provider/") == small


def test_session_page_queries_do_not_grow_with_participants(client, login_as, f, world):
    url = f"/provider/sessions/{world.service.id}/{local_today().isoformat()}"
    _grow(world, 4)
    login_as(world.staff)
    small = _queries(client, url)
    _grow(world, 40)  # 20 accepted
    assert _queries(client, url) == small


def test_sessions_week_queries_do_not_grow_with_services(client, login_as, f, world):
    login_as(world.staff)
    small = _queries(client, "/provider/sessions")
    for _ in range(10):
        extra = f.ServiceFactory(organization=world.service.organization, by_appointment=False)
        world.participant(service=extra)
    assert _queries(client, "/provider/sessions") == small


def test_participant_timeline_queries_do_not_grow_with_entries(client, login_as, f, world):
    referral = world.participant()
    case = db.session.get(Case, referral.case_id)
    url = f"/provider/participants/{case.id}"
    login_as(world.staff)

    def add(n):
        for i in range(n):
            actor = world.staff if i % 2 else world.admin  # several actors to load
            add_entry(
                case,
                TimelineKind.ATTENDANCE_RECORDED,
                actor,
                {"service_name": world.service.name},
                organization_id=world.service.organization_id,
            )

    add(2)
    attendance.record_attendance(referral, local_today(), AttendanceStatus.MISSED, world.staff)
    page_small = _queries(client, url)
    fragment_small = _queries(client, f"{url}/timeline", headers={"HX-Request": "true"})
    add(18)
    for days in range(1, 20):
        day = local_today() - dt.timedelta(days=days)
        attendance.record_attendance(referral, day, AttendanceStatus.MISSED, world.staff)
    assert _queries(client, url) == page_small
    assert _queries(client, f"{url}/timeline", headers={"HX-Request": "true"}) == fragment_small
