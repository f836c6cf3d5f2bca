"""The admin case page's engagement sections: assessment, contacts, services, exit, edits."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Assessment,
    Case,
    CaseStatus,
    Contact,
    ExitReason,
    NeedDomain,
    ReferralStatus,
    TimelineEntry,
    TimelineKind,
)
from portal.services import referrals
from tests.conftest import post


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def assessment_data(**levels) -> dict:
    data = {"assess-assessed_on": local_today().isoformat(), "assess-substances": "heroin"}
    for d in NeedDomain:
        data[f"assess-level_{d.value}"] = levels.get(d.value, "none")
        data[f"assess-note_{d.value}"] = f"about {d.value}" if d.value in levels else ""
    return data


@pytest.fixture
def active(f, login_as):
    admin = f.admin()
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    client = login_as(admin)
    return client, case, admin, f"/admin/cases/{case.id}"


def test_case_page_shows_the_sections(active):
    client, case, _, url = active
    html = client.get(url).get_data(as_text=True)
    for text in ["Needs assessment", "Case-manager contacts", "Services", "Exit from the program"]:
        assert text in html
    assert f"/admin/cases/{case.id}/matching" in html
    assert "Edit referral details" in html


def test_record_assessment_through_htmx(active):
    client, case, _, url = active
    data = {**assessment_data(housing="high"), "assess-detox_needed": "y"}
    response = post(client, f"{url}/assessments", data, page=url, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.strip().startswith('<section id="assessment"')
    assert "Needs assessment recorded." in html
    assert "about housing" in html
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assessment = db.session.scalar(select(Assessment))
    assert assessment.detox_needed is True


def test_assessment_missing_a_domain_is_422_and_nothing_saved(active):
    client, case, _, url = active
    data = assessment_data(housing="high")
    data["assess-level_family"] = ""
    response = post(client, f"{url}/assessments", data, page=url, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a need level for family." in html
    assert 'aria-describedby="assess-level_family-error"' in html
    assert count(Assessment) == 0
    assert count(TimelineEntry) == 0


def test_contact_in_the_future_refused_beside_the_field(active):
    client, case, _, url = active
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    data = {"contact-contacted_on": tomorrow, "contact-kind": "phone", "contact-note": "hi"}
    response = post(client, f"{url}/contacts", data, page=url, htmx=True)
    assert response.status_code == 422
    assert "The contact date cannot be in the future." in response.get_data(as_text=True)
    assert count(Contact) == 0
    data["contact-contacted_on"] = local_today().isoformat()
    response = post(client, f"{url}/contacts", data, page=url, htmx=True)
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip().startswith('<section id="contacts"')
    assert count(Contact) == 1


def test_contact_without_htmx_redirects_to_the_section(active):
    client, case, _, url = active
    data = {"contact-contacted_on": local_today().isoformat(), "contact-kind": "in_person"}
    response = post(client, f"{url}/contacts", data, page=url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}#contacts")


def test_complete_and_end_service_referrals(active, f):
    client, case, admin, url = active
    one, two = f.ServiceFactory(name="Group A"), f.ServiceFactory(name="Group B")
    a = referrals.assign_service(case, one, admin)
    b = referrals.assign_service(case, two, admin)
    referrals.accept_service_referral(a, admin)
    referrals.accept_service_referral(b, admin)
    response = post(client, f"{url}/service-referrals/{a.id}/complete", page=url, htmx=True)
    assert response.status_code == 200
    assert "Service marked completed" in response.get_data(as_text=True)
    response = post(
        client,
        f"{url}/service-referrals/{b.id}/end",
        {f"end-{b.id}-reason": ""},
        page=url,
        htmx=True,
    )
    assert response.status_code == 422
    assert "Give the reason the service ended." in response.get_data(as_text=True)
    response = post(
        client,
        f"{url}/service-referrals/{b.id}/end",
        {f"end-{b.id}-reason": "Moved to another county"},
        page=url,
        htmx=True,
    )
    assert response.status_code == 200
    assert "Moved to another county" in response.get_data(as_text=True)
    assert (a.status, b.status) == (ReferralStatus.COMPLETED, ReferralStatus.ENDED)
    assert one.capacity_available == 10 and two.capacity_available == 10
    # Completing twice is refused with a message, not a crash.
    response = post(client, f"{url}/service-referrals/{a.id}/complete", page=url, htmx=True)
    assert response.status_code == 422


def test_referral_of_another_case_is_404(active, f):
    client, case, admin, url = active
    other = f.CaseFactory(status=CaseStatus.ACTIVE)
    referral = referrals.assign_service(other, f.ServiceFactory(), admin)
    response = post(client, f"{url}/service-referrals/{referral.id}/complete", page=url)
    assert response.status_code == 404


def exit_data(case, **changes) -> dict:
    data = {
        "exit-version": str(case.version),
        "exit-closed_on": local_today().isoformat(),
        "exit-reason": "completed",
        "exit-note": "",
    }
    return data | {f"exit-{k}": v for k, v in changes.items()}


def error_beside(html: str, field_id: str) -> str:
    """The message shown beside a field (its usa-error-message span)."""
    match = re.search(rf'<span class="usa-error-message" id="{field_id}-error"[^>]*>([^<]*)', html)
    return unescape(match.group(1)) if match else ""


def test_exit_completed(active):
    client, case, _, url = active
    response = post(client, f"{url}/exit", exit_data(case, reason=""), page=url, htmx=True)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "exit-reason") == (
        "Choose the reason for the exit."
    )
    data = exit_data(case, note="Met the service plan goals")
    response = post(client, f"{url}/exit", data, page=url, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="engagement" hx-swap-oob="true"' in html
    assert "Record contact" not in html  # the sections are read-only once the case is closed
    assert case.status == CaseStatus.COMPLETED
    assert (case.exit_reason, case.exit_note) == (
        ExitReason.COMPLETED,
        "Met the service plan goals",
    )
    assert "Exit on" in html and "Completed the program" in html


def test_exit_form_offers_the_office_codes_but_not_a_confirmed_non_compliance(active):
    client, _, _, url = active
    html = client.get(url).get_data(as_text=True)
    form = html[
        html.index('id="exit-reason"') : html.index("</select>", html.index('id="exit-reason"'))
    ]
    offered = re.findall(r'<option value="([^"]*)"', form)
    assert offered == ["", "completed", "withdrew", "moved_away", "died", "other"]


def test_exit_for_other_needs_a_note_beside_the_field_and_saves_nothing(active):
    client, case, _, url = active
    version = case.version
    response = post(client, f"{url}/exit", exit_data(case, reason="other"), page=url, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "exit-note") == "Describe the reason for the exit."
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert (stored.status, stored.exit_reason, stored.version) == (
        CaseStatus.ACTIVE,
        None,
        version,
    )
    assert count(TimelineEntry) == 0

    data = exit_data(case, reason="other", note="Entered residential treatment out of county")
    response = post(client, f"{url}/exit", data, page=url, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert (stored.status, stored.exit_reason) == (CaseStatus.WITHDRAWN, ExitReason.OTHER)
    assert stored.exit_note == "Entered residential treatment out of county"


def test_a_confirmed_non_compliance_cannot_be_posted_through_the_exit_form(active):
    client, case, _, url = active
    data = exit_data(case, reason="non_compliant_confirmed", note="Never came back")
    response = post(client, f"{url}/exit", data, page=url, htmx=True)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "exit-reason") == (
        "Choose one of the listed reasons."
    )
    assert case.status == CaseStatus.ACTIVE


def test_an_exit_before_the_referral_is_refused_beside_the_date(active):
    client, case, _, url = active
    before = (case.referred_at - dt.timedelta(days=2)).date().isoformat()
    response = post(client, f"{url}/exit", exit_data(case, closed_on=before), page=url, htmx=True)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "exit-closed_on").startswith(
        "The exit date cannot be before the referral"
    )
    assert case.status == CaseStatus.ACTIVE


def test_the_admin_timeline_shows_the_exit_reason_label_and_note(active):
    client, case, _, url = active
    data = exit_data(case, reason="moved_away", note="To family in Ohio")
    assert post(client, f"{url}/exit", data, page=url).status_code == 302
    entry = db.session.scalar(select(TimelineEntry).where(TimelineEntry.case_id == case.id))
    assert entry.kind == TimelineKind.CASE_WITHDRAWN
    assert (entry.payload["exit_reason"], entry.payload["note"]) == (
        "moved_away",
        "To family in Ohio",
    )
    html = unescape(
        client.get(f"{url}/timeline", headers={"HX-Request": "true"}).get_data(as_text=True)
    )
    assert "Reason:</span> Moved away" in html
    assert "Note:</span> To family in Ohio" in html
    assert "moved_away" not in html


def details(case, **changes) -> dict:
    data = {
        "details-version": str(case.version),
        "details-incident_number": case.incident_number or "",
        "details-offences": case.offences,
        "details-statutes": case.statutes,
        "details-location": case.location or "",
        "details-notes": case.notes,
        "details-phone": "",
        "details-aliases": "",
    }
    return data | {f"details-{k}": v for k, v in changes.items()}


def test_edit_details_saved(active):
    client, case, _, url = active
    response = post(
        client, f"{url}/details", details(case, incident_number="FC-77"), page=url, htmx=True
    )
    assert response.status_code == 200
    assert "FC-77" in response.get_data(as_text=True)
    assert case.incident_number == "FC-77"
    entry = db.session.scalar(select(TimelineEntry))
    assert entry.kind == TimelineKind.CASE_UPDATED


def test_edit_from_a_stale_copy_is_409_and_overwrites_nothing(active):
    client, case, admin, url = active
    stale = details(case, location="Elm St")
    # Someone else saves first.
    response = post(client, f"{url}/details", details(case, location="Oak St"), page=url)
    assert response.status_code == 302
    response = post(client, f"{url}/details", stale, page=url, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this case" in html
    assert "Your entry differs from them in: location" in html
    assert "Oak St" in html  # the latest value is shown
    assert 'value="Elm St"' in html  # and the person's own entry is kept in the form
    assert f'name="details-version" type="hidden" value="{case.version}"' in html
    assert db.session.get(Case, case.id).location == "Oak St"
    assert count(TimelineEntry) == 1


def test_stale_data_error_is_a_conflict_too(active, monkeypatch):
    client, case, _, url = active

    def collide(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row")

    monkeypatch.setattr("portal.admin.engagement.update_case_details", collide)
    response = post(client, f"{url}/details", details(case, location="Elm"), page=url, htmx=True)
    assert response.status_code == 409
    assert case.location is None


def test_intake_through_htmx_brings_the_engagement_sections(f, login_as):
    case = f.CaseFactory(status=CaseStatus.ACCEPTED)
    client = login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    data = {
        "version": str(case.version),
        "completed_on": local_today().isoformat(),
    }
    response = post(client, f"{url}/intake", data, page=url, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert 'id="case-status" hx-swap-oob="true"' in html
    assert 'id="engagement" hx-swap-oob="true"' in html
    assert "Find and assign services" in html
    assert case.status == CaseStatus.ACTIVE


def test_exit_from_a_stale_copy_is_409(f, login_as):
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    client = login_as(f.admin())
    page = f"/admin/cases/{case.id}"
    data = {
        "exit-version": str(case.version - 1),
        "exit-closed_on": local_today().isoformat(),
        "exit-reason": "moved_away",
    }
    response = post(client, f"{page}/exit", data, page=page, htmx=True)
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert case.status == CaseStatus.ACTIVE
