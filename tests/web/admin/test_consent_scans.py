"""The office attaches the signed scan of a consent and reads it back; nobody else can."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, ConsentDocument, TimelineEntry
from portal.services.consent_scans import attach_consent_scan
from tests.conftest import post
from tests.unit.test_consent_scans import JPEG, PDF, PNG

HTMX = {"HX-Request": "true"}


def scans() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentDocument))


def upload(client, consent, content: bytes, name: str = "signed consent.pdf", htmx=True):
    page = f"/admin/cases/{consent.case_id}"
    url = f"{page}/consents/{consent.id}/scans"
    data = {f"scan-{consent.id}-file": (BytesIO(content), name)}
    return post(client, url, data, page=page, htmx=htmx)


def last_audit_id() -> int:
    db.session.commit()
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def audit_rows(after: int, **criteria) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)
    for name, value in criteria.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


@pytest.mark.parametrize(
    ("content", "kind"), [(PDF, "PDF"), (PNG, "PNG image"), (JPEG, "JPEG image")]
)
def test_a_scan_is_attached_and_shown_as_on_file(client, login_as, f, content, kind):
    consent = f.ConsentFactory()
    login_as(f.admin(name="Ada Admin"))
    entries = db.session.scalar(select(func.count()).select_from(TimelineEntry))
    before = last_audit_id()
    response = upload(client, consent, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'id="consents"' in html and "Signed scan attached." in html
    assert "Signed scan on file:" in html and "signed consent.pdf" in html
    assert f"({kind}, " in html and "by Ada Admin" in html
    assert "HX-Trigger" not in response.headers  # no timeline entry: none of its kinds fits
    scan = db.session.scalar(select(ConsentDocument))
    assert scan.consent_id == consent.id and scan.size == len(content)
    assert db.session.scalar(select(func.count()).select_from(TimelineEntry)) == entries
    (row,) = audit_rows(before, object_type="consent_documents")
    assert (row.action, row.object_id, row.case_id) == (
        AuditAction.CREATE,
        scan.id,
        consent.case_id,
    )


def test_without_htmx_the_upload_returns_to_the_case_page(client, login_as, f):
    consent = f.ConsentFactory()
    login_as(f.admin())
    response = upload(client, consent, PDF, htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/cases/{consent.case_id}#consents"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Signed scan attached." in page and "Signed scan on file:" in page


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"I consent to the disclosure.\n", "consent.pdf", "not a PDF, PNG or JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "consent.png", "not a PDF, PNG or JPEG"),
        (PDF, "../consent.pdf", "folder path"),
        (PDF, "scans/consent.pdf", "folder path"),
        (PDF, "scans\\\\consent.pdf", "folder path"),  # the multipart header escapes \
        (PDF, "consent\x00.pdf", "control or text-direction"),
        (PDF, "consent\u202efdp.exe", "control or text-direction"),
        (b"", "consent.pdf", "Choose the scan"),  # an empty file is no file
    ],
)
def test_a_bad_file_is_refused_beside_the_field(client, login_as, f, content, name, message):
    consent = f.ConsentFactory()
    login_as(f.admin())
    response = upload(client, consent, content, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert f'id="scan-{consent.id}-file-error"' in html, html
    assert message in html
    assert "usa-input--error" in html and '<details class="portal-details" open>' in html
    assert scans() == 0


def test_no_file_chosen_is_refused(client, login_as, f):
    consent = f.ConsentFactory()
    login_as(f.admin())
    page = f"/admin/cases/{consent.case_id}"
    response = post(client, f"{page}/consents/{consent.id}/scans", {}, page=page, htmx=True)
    assert response.status_code == 422
    assert "Choose the scan of the signed form." in response.get_data(as_text=True)
    assert scans() == 0


def test_an_oversize_scan_is_refused_beside_the_field(app, client, login_as, f, monkeypatch):
    monkeypatch.setitem(app.config, "CONSENT_SCAN_MAX_BYTES", 1024)
    consent = f.ConsentFactory()
    login_as(f.admin())
    response = upload(client, consent, PDF + b"0" * 1024)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The file is larger than 1 KB" in html and "at most 1 KB" in html
    assert scans() == 0
    assert upload(client, consent, PDF).status_code == 200


def test_a_huge_body_is_refused_before_it_is_read(app, client, login_as, f, monkeypatch):
    monkeypatch.setitem(app.config, "CONSENT_SCAN_MAX_BYTES", 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    consent = f.ConsentFactory()
    login_as(f.admin())
    for htmx in (False, True):
        response = upload(client, consent, PDF + b"0" * 8192, htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 413
        assert "Too large" in html and "at most 1 KB" in html
    assert scans() == 0


def test_the_upload_needs_the_csrf_token(client, login_as, f):
    consent = f.ConsentFactory()
    login_as(f.admin())
    data = {f"scan-{consent.id}-file": (BytesIO(PDF), "consent.pdf")}
    url = f"/admin/cases/{consent.case_id}/consents/{consent.id}/scans"
    assert client.post(url, data=data).status_code == 400
    assert scans() == 0


def test_files_are_still_refused_by_every_other_form(client, login_as, f):
    consent = f.ConsentFactory()
    login_as(f.admin())
    page = f"/admin/cases/{consent.case_id}"
    data = {"contact-note": (BytesIO(PDF), "consent.pdf")}
    response = post(client, f"{page}/contacts", data, page=page)
    assert response.status_code == 400
    assert "typed text only" in response.get_data(as_text=True)


def test_a_newer_scan_supersedes_and_the_earlier_are_listed(client, login_as, f):
    consent = f.ConsentFactory()
    login_as(f.admin())
    assert upload(client, consent, PDF, "page one.pdf").status_code == 200
    response = upload(client, consent, PNG, "whole form.png")
    html = response.get_data(as_text=True)
    latest, earlier = html.index("Signed scan on file:"), html.index("Earlier scans (1)")
    assert latest < html.index("whole form.png") < earlier < html.index("page one.pdf")
    assert "Attach a newer scan" in html
    assert scans() == 2


def test_a_release_to_complete_offers_no_upload_and_refuses_one(client, login_as, f):
    consent = f.ConsentFactory(legacy=True, signed_on=None, discloses_status=False)
    login_as(f.admin())
    page = client.get(f"/admin/cases/{consent.case_id}").get_data(as_text=True)
    assert f"/consents/{consent.id}/scans" not in page
    response = upload(client, consent, PDF)
    assert response.status_code == 422
    assert "Record the consent itself" in response.get_data(as_text=True)
    assert scans() == 0


def test_a_consent_of_another_case_is_404(client, login_as, f):
    consent, other = f.ConsentFactory(), f.CaseFactory(active=True)
    login_as(f.admin())
    page = f"/admin/cases/{other.id}"
    data = {f"scan-{consent.id}-file": (BytesIO(PDF), "consent.pdf")}
    response = post(client, f"{page}/consents/{consent.id}/scans", data, page=page)
    assert response.status_code == 404
    assert scans() == 0


def test_the_case_page_never_loads_a_scans_bytes(client, login_as, f):
    consent, admin = f.ConsentFactory(), f.admin()
    attach_consent_scan(consent, admin, "consent.pdf", PDF)
    login_as(admin)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get(f"/admin/cases/{consent.case_id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200 and "Signed scan on file:" in response.get_data(True)
    about_scans = [s for s in statements if "consent_documents" in s]
    assert about_scans and not [s for s in about_scans if "consent_documents.data" in s]


# --- reading a scan -----------------------------------------------------------------------------


def attached(f, content=PDF):
    consent, admin = f.ConsentFactory(), f.admin()
    scan = attach_consent_scan(consent, admin, "James Carter consent.pdf", content)
    return consent, admin, scan


@pytest.mark.parametrize(
    ("content", "kind", "disposition"),
    [
        (PDF, "application/pdf", "attachment"),
        (PNG, "image/png", "inline"),
        (JPEG, "image/jpeg", "inline"),
    ],
)
def test_the_office_reads_a_scan_with_safe_headers(client, login_as, f, content, kind, disposition):
    consent, admin, scan = attached(f, content)
    login_as(admin)
    before = last_audit_id()
    response = client.get(f"/documents/consent-scans/{scan.id}")
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == kind
    assert response.headers["Content-Disposition"] == (
        f'{disposition}; filename="{scan.download_name}"'
    )
    assert "James" not in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    (row,) = audit_rows(before, object_type="consent_documents")
    assert (row.action, row.object_id, row.case_id, row.user_id) == (
        AuditAction.VIEW_RECORD,
        scan.id,
        consent.case_id,
        admin.id,
    )
    values = " ".join(str(getattr(row, c.key)) for c in AuditEvent.__table__.columns)
    assert "James" not in values and "consent.pdf" not in values


def test_each_reading_is_audited(client, login_as, f):
    _, admin, scan = attached(f)
    login_as(admin)
    before = last_audit_id()
    for _ in range(2):
        assert client.get(f"/documents/consent-scans/{scan.id}").status_code == 200
    assert len(audit_rows(before, object_type="consent_documents")) == 2


def test_the_case_page_links_each_scan(client, login_as, f):
    consent, admin, scan = attached(f)
    login_as(admin)
    page = client.get(f"/admin/cases/{consent.case_id}").get_data(as_text=True)
    assert f'href="/documents/consent-scans/{scan.id}"' in page


@pytest.mark.parametrize("who", ["referring officer", "named colleague", "provider staff"])
def test_officers_and_providers_get_404_and_no_view_is_recorded(client, login_as, f, who):
    consent, _, scan = attached(f)
    case = consent.case
    if who == "referring officer":
        user = case.officer
    elif who == "named colleague":  # the consent names their agency: they see the case
        user = f.officer(agency=case.agency)
    else:
        referral = f.ServiceReferralFactory(case=case)
        user = f.provider(organization=referral.service.organization)
    login_as(user)
    before = last_audit_id()
    for scan_id in (scan.id, scan.id + 1000):  # the same answer as for no scan at all
        response = client.get(f"/documents/consent-scans/{scan_id}")
        assert response.status_code == 404, who
        assert PDF not in response.data
    assert audit_rows(before, object_type="consent_documents") == []


def test_an_unknown_scan_is_404_to_the_office(client, login_as, f):
    _, admin, scan = attached(f)
    login_as(admin)
    assert client.get(f"/documents/consent-scans/{scan.id + 1000}").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, f):
    _, _, scan = attached(f)
    db.session.commit()
    response = client.get(f"/documents/consent-scans/{scan.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get(f"/documents/consent-scans/{scan.id}", headers=HTMX).status_code == 401
