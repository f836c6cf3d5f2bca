"""The signed scan of a consent: recognised by its content, its name checked, size-limited,
only ever added to, and audited without its name or content."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import InvalidRequestError

from portal.extensions import db
from portal.models import AuditAction, ConsentDocument
from portal.services import audit
from portal.services.consent_scans import (
    SCANS_PER_CONSENT,
    attach_consent_scan,
    check_filename,
    describe_size,
    scan_type,
    scans_by_consent,
)
from portal.services.errors import InvalidTransition, NotPermitted, ValidationFailed

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17) + b"IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32) + b"\xff\xd9"


def scans() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentDocument))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"Consent signed by the participant, see attached.", None),  # text named .pdf
        (b"PDF-1.7 but no percent sign", None),
        (b"\x89PNG but not the signature", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
)
def test_a_scan_is_told_by_its_first_bytes(content, expected):
    assert scan_type(content) == expected


@pytest.mark.parametrize(
    "name",
    [
        "../consent.pdf",
        "scans/consent.pdf",
        "/etc/passwd",
        "C:\\Users\\office\\consent.pdf",
        "consent..pdf",
        "..",
        "consent\x00.pdf",
        "consent\x1b[2J.pdf",
        "consent\x85.pdf",
        "consent\u202efdp.exe",
        "consent\u200b.pdf",
        "",
        "   ",
        None,
        "a" * 252 + ".pdf",
    ],
)
def test_a_file_name_with_a_path_or_hidden_character_is_refused(name):
    with pytest.raises(ValidationFailed) as refused:
        check_filename(name)
    assert refused.value.field == "file"


def test_a_plain_file_name_is_kept_as_given():
    assert check_filename("Consent form – signed 2026-03-01.pdf") == (
        "Consent form – signed 2026-03-01.pdf"
    )


def test_sizes_read_as_people_say_them():
    assert describe_size(10 * 1024 * 1024) == "10 MB"
    assert describe_size(1536) == "1.5 KB"
    assert describe_size(12) == "12 bytes"


@pytest.mark.parametrize(
    ("content", "kind", "extension"),
    [(PDF, "application/pdf", "pdf"), (PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg")],
)
def test_a_scan_is_stored_with_what_its_content_says(f, content, kind, extension):
    consent, admin = f.ConsentFactory(), f.admin()
    scan = attach_consent_scan(consent, admin, "form.pdf", content)  # the name says nothing
    assert (scan.content_type, scan.size, scan.filename) == (kind, len(content), "form.pdf")
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    assert scan.uploaded_by_id == admin.id and scan.uploaded_at is not None
    assert scan.download_name == f"consent-{consent.id}-scan-{scan.id}.{extension}"
    assert scan.is_image == (extension != "pdf")


def test_a_text_file_named_pdf_is_refused_and_nothing_is_stored(f):
    consent = f.ConsentFactory()
    with pytest.raises(ValidationFailed, match="not a PDF, PNG or JPEG") as refused:
        attach_consent_scan(consent, f.admin(), "consent.pdf", b"I consent. -- J.C.\n")
    assert refused.value.field == "file"
    assert scans() == 0


def test_an_empty_or_oversize_file_is_refused(f):
    consent, admin = f.ConsentFactory(), f.admin()
    with pytest.raises(ValidationFailed, match="empty"):
        attach_consent_scan(consent, admin, "consent.pdf", b"")
    big = PDF + b"0" * 100
    with pytest.raises(ValidationFailed, match="larger than 100 bytes"):
        attach_consent_scan(consent, admin, "consent.pdf", big, max_bytes=100)
    attach_consent_scan(consent, admin, "consent.pdf", big[:100], max_bytes=100)
    assert scans() == 1


def test_only_the_program_office_attaches_a_scan(f):
    consent = f.ConsentFactory()
    for user in (f.officer(), f.provider()):
        with pytest.raises(NotPermitted):
            attach_consent_scan(consent, user, "consent.pdf", PDF)
    assert scans() == 0


def test_a_release_still_to_complete_takes_no_scan(f):
    consent = f.ConsentFactory(legacy=True, signed_on=None, discloses_status=False)
    with pytest.raises(InvalidTransition, match="Record the consent itself"):
        attach_consent_scan(consent, f.admin(), "consent.pdf", PDF)
    assert scans() == 0


def test_a_newer_scan_is_added_and_the_earlier_kept(f):
    consent, admin = f.ConsentFactory(), f.admin()
    first = attach_consent_scan(consent, admin, "wrong page.pdf", PDF)
    again = attach_consent_scan(consent, admin, "wrong page.pdf", PDF)  # a double click
    second = attach_consent_scan(consent, admin, "signed.png", PNG)
    assert again.id == first.id
    assert [s.id for s in scans_by_consent(consent.case)[consent.id]] == [second.id, first.id]


def test_a_consent_holds_a_bounded_number_of_scans(f):
    consent, admin = f.ConsentFactory(), f.admin()
    for i in range(SCANS_PER_CONSENT):
        attach_consent_scan(consent, admin, f"scan {i}.pdf", PDF + str(i).encode())
    with pytest.raises(InvalidTransition, match=f"already has {SCANS_PER_CONSENT} scans"):
        attach_consent_scan(consent, admin, "one more.pdf", PDF + b"more")
    assert scans() == SCANS_PER_CONSENT


def test_listing_scans_never_loads_their_bytes(f):
    consent, admin = f.ConsentFactory(), f.admin()
    attach_consent_scan(consent, admin, "consent.pdf", PDF)
    db.session.expire_all()
    (scan,) = scans_by_consent(consent.case)[consent.id]
    assert scan.uploaded_by.id == admin.id  # loaded with it
    with pytest.raises(InvalidRequestError, match="raiseload"):
        _ = scan.data


def test_the_upload_is_audited_by_ids_only(f):
    consent, admin = f.ConsentFactory(), f.admin()
    scan = attach_consent_scan(consent, admin, "James Carter consent.pdf", PDF)
    pending = [row for _, row in db.session.info.get(audit.PENDING, [])]
    created = [r for r in pending if r["object_type"] == "consent_documents"]
    assert len(created) == 1
    (row,) = created
    assert (row["action"], row["object_id"], row["case_id"]) == (
        AuditAction.CREATE,
        scan.id,
        consent.case_id,
    )
    assert "James" not in repr(pending) and "%PDF" not in repr(pending)
