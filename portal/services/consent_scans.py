"""The signed scan of a consent: attached by the program office, recognised by its content,
kept in the database, and only ever added to.

A new scan supersedes the earlier ones without replacing them: a scan is the evidence of what
the participant signed, so a wrong page attached by mistake is corrected by attaching the
right one, and the trail of what was on file when stays whole.
"""

from __future__ import annotations

import hashlib
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Case, Consent, ConsentDocument, User
from portal.policy import can_manage_case, require
from portal.services.errors import InvalidTransition, ValidationFailed

SCAN_MAX_BYTES = 10 * 1024 * 1024  # the default of the CONSENT_SCAN_MAX_BYTES setting
SCANS_PER_CONSENT = 10  # enough for every correction; a bound on what one consent can hold
FILENAME_MAX = 255

# What a scan may be, told by its first bytes: never by its name or the browser's word for it.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# Unicode controls (NUL, escapes, C1), format characters (text-direction overrides, zero-width)
# and lone surrogates: a name holding one could be shown as something it is not.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

NOT_A_SCAN = (
    "This file is not a PDF, PNG or JPEG image, whatever its name says. "
    "Choose the scan of the signed form."
)
PATH_IN_NAME = (
    "The file name holds a folder path (/, \\ or ..). Rename the file without it and choose it "
    "again."
)
HIDDEN_IN_NAME = (
    "The file name holds invisible control or text-direction characters. Rename the file and "
    "choose it again."
)


def scan_type(content: bytes) -> str | None:
    """The content type of a PDF, PNG or JPEG, read from its signature; None for anything else."""
    for signature, content_type in SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def describe_size(size: int) -> str:
    """A byte count as people read it (10 MB, 350 KB)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


def check_filename(filename: str | None) -> str:
    """The uploaded file's name, refused if it holds a path or a hidden character."""
    name = filename or ""
    if not name.strip():
        raise ValidationFailed("Choose the scan of the signed form.", field="file")
    if "/" in name or "\\" in name or ".." in name:
        raise ValidationFailed(PATH_IN_NAME, field="file")
    if any(unicodedata.category(c) in HIDDEN_CATEGORIES for c in name):
        raise ValidationFailed(HIDDEN_IN_NAME, field="file")
    if len(name) > FILENAME_MAX:
        raise ValidationFailed(
            f"Use a file name of at most {FILENAME_MAX} characters.", field="file"
        )
    return name


def attach_consent_scan(
    consent: Consent,
    actor: User,
    filename: str | None,
    content: bytes,
    max_bytes: int = SCAN_MAX_BYTES,
) -> ConsentDocument:
    """Attach the signed scan of a recorded consent (a PDF, PNG or JPEG of at most `max_bytes`,
    recognised by its content); it becomes the one on file, the earlier ones are kept. The same
    file sent twice in a row (a double click) is attached once."""
    require(can_manage_case(actor), "Only the program office attaches consent scans.")
    if consent.legacy:
        raise InvalidTransition("Record the consent itself before attaching its signed scan.")
    name = check_filename(filename)
    if not content:
        raise ValidationFailed("The file is empty. Choose the scan of the signed form.", "file")
    if len(content) > max_bytes:
        raise ValidationFailed(
            f"The file is larger than {describe_size(max_bytes)}. Scan it at a lower "
            "resolution, or in black and white, and choose it again.",
            field="file",
        )
    content_type = scan_type(content)
    if content_type is None:
        raise ValidationFailed(NOT_A_SCAN, field="file")
    digest = hashlib.sha256(content).hexdigest()
    latest = db.session.scalar(
        select(ConsentDocument)
        .where(ConsentDocument.consent_id == consent.id)
        .order_by(ConsentDocument.id.desc())
        .limit(1)
    )
    if latest is not None and latest.sha256 == digest:
        return latest
    count = db.session.scalar(select(func.count()).where(ConsentDocument.consent_id == consent.id))
    if count >= SCANS_PER_CONSENT:
        raise InvalidTransition(
            f"This consent already has {SCANS_PER_CONSENT} scans on file, the most it can hold. "
            "Record the consent again if the participant signed a new form."
        )
    scan = ConsentDocument(
        consent_id=consent.id,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        filename=name,
        uploaded_by_id=actor.id,
        data=content,
    )
    db.session.add(scan)
    db.session.flush()
    return scan


def scans_by_consent(case: Case) -> dict[int, list[ConsentDocument]]:
    """The scans of the case's consents, newest first, by consent id, in one query: what they
    are and who attached them, never their bytes."""
    found: dict[int, list[ConsentDocument]] = {}
    rows = db.session.scalars(
        select(ConsentDocument)
        .join(Consent, Consent.id == ConsentDocument.consent_id)
        .where(Consent.case_id == case.id)
        .options(joinedload(ConsentDocument.uploaded_by))
        .order_by(ConsentDocument.consent_id, ConsentDocument.id.desc())
    )
    for scan in rows:
        found.setdefault(scan.consent_id, []).append(scan)
    return found
