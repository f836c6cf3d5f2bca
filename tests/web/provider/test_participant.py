"""The participant page: scoped to the organisation, its own timeline entries only, live."""

from __future__ import annotations

from portal.clock import local_today
from portal.extensions import db
from portal.models import AttendanceStatus, Case, CaseStatus, DeclineReason, TimelineKind
from portal.services import attendance, referrals
from portal.services.timeline import add_entry
from tests.conftest import post


def test_another_organisations_participant_answers_404(client, login_as, world, f):
    theirs = world.participant(service=world.other_service)
    never_referred = f.CaseFactory(status=CaseStatus.ACTIVE)
    declined = world.participant(accept=False)
    referrals.decline_service_referral(declined, world.staff, DeclineReason.OTHER, "x")
    login_as(world.staff)
    # Minimum necessary: an organisation that declined the referral sees nothing more of them.
    for case_id in (theirs.case_id, never_referred.id, declined.case_id, 999999):
        assert client.get(f"/provider/participants/{case_id}").status_code == 404
        timeline = client.get(
            f"/provider/participants/{case_id}/timeline", headers={"HX-Request": "true"}
        )
        assert timeline.status_code == 404


def test_timeline_shows_only_this_organisations_entries(client, login_as, world):
    mine = world.participant(first_name="Ada")
    case = db.session.get(Case, mine.case_id)
    theirs = referrals.assign_service(case, world.other_service, world.admin, note="Other note")
    referrals.accept_service_referral(theirs, world.other_staff)
    add_entry(case, TimelineKind.ASSESSMENT_RECORDED, world.admin, {"summary": "Secret assessment"})
    add_entry(case, TimelineKind.CONTACT_RECORDED, world.admin, {"note": "Private contact note"})
    attendance.record_attendance(mine, local_today(), AttendanceStatus.MISSED, world.staff)
    login_as(world.staff)
    page = client.get(f"/provider/participants/{case.id}").get_data(as_text=True)
    assert "<h1>Ada Doe</h1>" in page
    for hidden in ("Secret assessment", "Private contact note", "Detox beds", "Other note"):
        assert hidden not in page, hidden
    assert "Needs assessment recorded" not in page
    assert "Case-manager contact recorded" not in page
    assert "Engaged in services" not in page  # program-level entry, not about their services
    assert "Service referral accepted" in page and "Attendance recorded" in page
    assert 'hx-trigger="every 15s, timeline-changed from:body"' in page
    fragment = client.get(
        f"/provider/participants/{case.id}/timeline", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="timeline"')
    assert "Secret assessment" not in fragment and "Attendance recorded" in fragment
    full = client.get(f"/provider/participants/{case.id}/timeline")
    assert full.status_code == 302


def test_timeline_pages_older_entries(client, login_as, world):
    mine = world.participant()
    case = db.session.get(Case, mine.case_id)
    for n in range(25):
        add_entry(
            case,
            TimelineKind.ATTENDANCE_RECORDED,
            world.staff,
            {"service_name": f"Session {n}"},
            organization_id=world.service.organization_id,
        )
    login_as(world.staff)
    page = client.get(f"/provider/participants/{case.id}").get_data(as_text=True)
    assert "Show older entries" in page
    older = client.get(
        f"/provider/participants/{case.id}/timeline?before=9999-01-01T00:00:00%2B00:00_1",
        headers={"HX-Request": "true"},
    )
    assert older.status_code == 200
    assert older.get_data(as_text=True).lstrip().startswith('<ol class="portal-timeline">')


def test_attendance_history_keeps_corrections(client, login_as, world):
    referral = world.participant()
    login_as(world.staff)
    page = f"/provider/sessions/{world.service.id}/{local_today().isoformat()}"
    post(client, f"{page}/{referral.id}", {"status": "attended"}, page=page, htmx=True)
    post(
        client,
        f"{page}/{referral.id}/correct",
        {
            f"fix-{referral.id}-status": "cancelled",
            f"fix-{referral.id}-reason": "Clinic closed",
            f"fix-{referral.id}-version": "1",  # the entry's version, as the form carries it
        },
        page=page,
        htmx=True,
    )
    body = client.get(f"/provider/participants/{referral.case_id}").get_data(as_text=True)
    assert "portal-badge--cancelled" in body
    assert "Attended corrected to cancelled by" in body and "Clinic closed" in body
    assert "Attendance corrected" in body
