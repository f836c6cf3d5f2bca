"""The office records, revokes and prints consents, and prints the accounting of disclosures."""

from __future__ import annotations

import datetime as dt

from markupsafe import escape
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Consent, Disclosure, TimelineEntry, TimelineKind
from tests.conftest import login, post

HTMX = {"HX-Request": "true"}


def consent_data(case, **overrides) -> dict:
    data = {
        "consent-scopes": ["status"],
        "consent-recipient_kind": "agency",
        "consent-recipient_agency_id": str(case.agency_id),
        "consent-purpose": "Keep the referring officer informed",
        "consent-revocation_terms": "In writing to the program office",
        "consent-signed_on": local_today().isoformat(),
        "consent-signature_method": "wet",
        "consent-expiry_event": "Exit from the program",
    }
    return data | overrides


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_recording_a_consent_answers_the_section_and_writes_the_timeline(client, login_as, f):
    case = f.CaseFactory(active=True)
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    response = post(client, f"{url}/consents", consent_data(case), page=url, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'id="consents"' in html and "Consent recorded." in html and "In force" in html
    assert response.headers["HX-Trigger"] == "timeline-changed"
    consent = db.session.scalar(select(Consent))
    assert consent.discloses_status and not consent.discloses_outcome
    assert consent.recipient_agency_id == case.agency_id and consent.witness_id is not None
    kinds = db.session.scalars(
        select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id)
    ).all()
    assert TimelineKind.CONSENT_RECORDED in kinds


def test_a_consent_missing_an_element_is_refused_beside_the_field(client, login_as, f):
    case = f.CaseFactory(active=True)
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    cases = [
        ({"consent-scopes": []}, "Choose what may be disclosed."),
        ({"consent-purpose": ""}, "Enter the purpose of the disclosure."),
        ({"consent-expiry_event": ""}, "Enter an expiry date or event."),
        (
            {"consent-expires_on": (local_today() - dt.timedelta(days=1)).isoformat()},
            "The expiry cannot be before the signature.",
        ),
        ({"consent-recipient_agency_id": "999999"}, "Choose one of the program's agencies."),
        (
            {"consent-criminal_justice": "y"},
            "Enter the date or event until which it cannot be revoked.",
        ),
    ]
    for change, message in cases:
        response = post(
            client, f"{url}/consents", consent_data(case, **change), page=url, htmx=True
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (change, html[:300])
        assert message.replace("'", "&#39;") in html, (change, message)
        assert "usa-error-message" in html
    assert _count(Consent) == 0


def test_an_irrevocable_consent_cannot_be_revoked_until_its_date(client, login_as, f):
    case = f.CaseFactory(active=True)
    until = local_today() + dt.timedelta(days=30)
    consent = f.ConsentFactory(case=case, criminal_justice=True, irrevocable_until=until)
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    prefix = f"revoke-{consent.id}"
    data = {f"{prefix}-revoked_on": local_today().isoformat(), f"{prefix}-received": "In person"}
    refused = post(client, f"{url}/consents/{consent.id}/revoke", data, page=url, htmx=True)
    assert refused.status_code == 422
    assert "cannot be revoked until" in refused.get_data(as_text=True)
    assert db.session.get(Consent, consent.id).revoked_on is None


def test_revoking_hides_further_progress_from_the_officer_at_once(client, login_as, f):
    case = f.CaseFactory(active=True)
    consent = f.ConsentFactory(case=case)
    officer_client = client.application.test_client()
    login(officer_client, case.officer)
    assert "Intake complete" in officer_client.get(f"/officer/referrals/{case.id}").get_data(
        as_text=True
    )
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    prefix = f"revoke-{consent.id}"
    data = {f"{prefix}-revoked_on": local_today().isoformat(), f"{prefix}-received": "A letter"}
    done = post(client, f"{url}/consents/{consent.id}/revoke", data, page=url, htmx=True)
    assert done.status_code == 200
    assert db.session.get(Consent, consent.id).revoked_on == local_today()
    page = officer_client.get(f"/officer/referrals/{case.id}").get_data(as_text=True)
    assert "Intake complete" not in page
    assert "Further progress is confidential" in page


def test_the_consent_form_prints_from_the_record(client, login_as, f):
    consent = f.ConsentFactory()
    login_as(f.admin())
    page = client.get(f"/admin/cases/{consent.case_id}/consents/{consent.id}/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert consent.case.person.full_name in html and str(escape(consent.purpose)) in html
    assert "42 CFR Part 2" in html and "Signature of the participant" in html
    assert client.get(f"/admin/cases/{consent.case_id}/consents/999999/print").status_code == 404


def test_the_accounting_lists_each_disclosure_once(client, login_as, f):
    consent = f.ConsentFactory()
    case = consent.case
    officer_client = client.application.test_client()
    login(officer_client, case.officer)
    for _ in range(3):
        officer_client.get(f"/officer/referrals/{case.id}")
        officer_client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX)
    disclosed = _count(Disclosure)
    assert disclosed >= 1  # intake (and nothing before screening's end counts)
    login_as(f.admin())
    html = client.get(f"/admin/cases/{case.id}/disclosures").get_data(as_text=True)
    assert html.count("Signed consent no.") == disclosed
    assert case.officer.name in html and "42 CFR part 2" in html


def test_a_consent_irrevocable_until_an_event_is_revoked_once_the_event_happened(
    client, login_as, f
):
    case = f.CaseFactory(active=True)
    consent = f.ConsentFactory(
        case=case, criminal_justice=True, irrevocable_event="Final disposition of the charge"
    )
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    prefix = f"revoke-{consent.id}"
    data = {f"{prefix}-revoked_on": local_today().isoformat(), f"{prefix}-received": "In person"}
    refused = post(client, f"{url}/consents/{consent.id}/revoke", data, page=url, htmx=True)
    assert refused.status_code == 422
    assert "Final disposition of the charge" in refused.get_data(as_text=True)
    assert db.session.get(Consent, consent.id).revoked_on is None
    data[f"{prefix}-event_occurred"] = "y"
    done = post(client, f"{url}/consents/{consent.id}/revoke", data, page=url, htmx=True)
    assert done.status_code == 200
    assert db.session.get(Consent, consent.id).revoked_on == local_today()


def test_the_same_consent_sent_twice_is_recorded_once(client, login_as, f):
    case = f.CaseFactory(active=True)
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    for _ in range(2):  # a double click
        response = post(client, f"{url}/consents", consent_data(case), page=url, htmx=True)
        assert response.status_code == 200
    assert _count(Consent) == 1
    entries = db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.CONSENT_RECORDED)
    ).all()
    assert len(entries) == 1
