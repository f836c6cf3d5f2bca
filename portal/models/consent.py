"""Consents to disclose (42 CFR Part 2, section 2.31), and the record of each disclosure made.

A consent names who may disclose, what (as scopes the software understands), to whom, for what
purpose, until when, and how it may be revoked. Nothing reaches law enforcement without one.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, enum_type, intpk, str255
from portal.models.case import Case
from portal.models.directory import Agency
from portal.models.user import User


class ConsentScope(enum.StrEnum):
    """What a consent lets the program disclose."""

    STATUS = "status"  # program status: enrolled, engaged in services, withdrawn
    ATTENDANCE = "attendance"  # an attendance summary (sessions attended and missed)
    OUTCOME = "outcome"  # completion of the program, or non-compliance

    @property
    def label(self) -> str:
        return {
            "status": "Program status (enrolled, engaged in services, withdrawn)",
            "attendance": "Attendance summary (sessions attended and missed)",
            "outcome": "Completion of the program or non-compliance",
        }[self.value]


class RecipientKind(enum.StrEnum):
    AGENCY = "agency"  # every officer of a law-enforcement agency
    OFFICER = "officer"  # one named officer
    PROSECUTOR = "prosecutor"  # the prosecutor's office (named)

    @property
    def label(self) -> str:
        return {
            "agency": "A law-enforcement agency",
            "officer": "A named officer",
            "prosecutor": "The prosecutor's office",
        }[self.value]


class SignatureMethod(enum.StrEnum):
    WET = "wet"  # signed on paper
    ELECTRONIC = "electronic"  # signed on a device

    @property
    def label(self) -> str:
        return {"wet": "Signed on paper", "electronic": "Signed electronically"}[self.value]


class Consent(Base):
    """A participant's written consent to disclose (section 2.31), or, when `legacy`, a release
    recorded as a yes/no at intake before consents existed: it counts for nothing until an
    administrator records the consent itself."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_case_id", "case_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    legacy: Mapped[bool] = mapped_column(default=False)
    # Who may disclose: the program, and the named provider organisations (ids).
    provider_ids: Mapped[list] = mapped_column(JSON, default=list)
    # What may be disclosed (one flag a scope, so a query can ask for one).
    discloses_status: Mapped[bool] = mapped_column(default=False)
    discloses_attendance: Mapped[bool] = mapped_column(default=False)
    discloses_outcome: Mapped[bool] = mapped_column(default=False)
    recipient_kind: Mapped[RecipientKind | None] = mapped_column(
        enum_type(RecipientKind, "recipient_kind")
    )
    recipient_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    recipient_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient_name: Mapped[str255 | None]
    purpose: Mapped[str] = mapped_column(Text, default="")
    revocation_terms: Mapped[str] = mapped_column(Text, default="")
    expires_on: Mapped[dt.date | None]
    expiry_event: Mapped[str255 | None]
    signed_on: Mapped[dt.date | None]
    signature_method: Mapped[SignatureMethod | None] = mapped_column(
        enum_type(SignatureMethod, "signature_method")
    )
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Section 2.35: a criminal-justice consent cannot be revoked until this date or event.
    criminal_justice: Mapped[bool] = mapped_column(default=False)
    irrevocable_until: Mapped[dt.date | None]
    irrevocable_event: Mapped[str255 | None]
    revoked_on: Mapped[dt.date | None]
    revocation_received: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    recipient_agency: Mapped[Agency | None] = relationship(foreign_keys=[recipient_agency_id])
    recipient_officer: Mapped[User | None] = relationship(foreign_keys=[recipient_officer_id])
    witness: Mapped[User | None] = relationship(foreign_keys=[witness_id])

    @property
    def scopes(self) -> list[ConsentScope]:
        """The scopes it covers, in their order."""
        return [s for s in ConsentScope if getattr(self, f"discloses_{s.value}")]


class Disclosure(Base):
    """One disclosure to law enforcement (section 2.25's accounting): what reached whom, when,
    for what purpose, under which consent. One row per recipient and timeline entry, however
    often the page that shows it is reloaded or polled."""

    __tablename__ = "disclosures"
    __table_args__ = (
        UniqueConstraint("recipient_id", "entry_id", name="uq_disclosures_recipient_id"),
        Index("ix_disclosures_case_id_disclosed_at", "case_id", "disclosed_at"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recipient_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("timeline_entries.id"))
    what: Mapped[str255]
    purpose: Mapped[str] = mapped_column(Text, default="")
    disclosed_at: Mapped[created_at]

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    recipient_agency: Mapped[Agency | None] = relationship(foreign_keys=[recipient_agency_id])


SCAN_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
SCAN_LABELS = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image"}


class ConsentDocument(Base):
    """A scan of a signed consent form (PDF, PNG or JPEG), kept in the database: app servers
    hold no state, and nothing of it sits under the web root. Scans are only ever added: a
    new one supersedes the earlier ones, which stay as they were received.

    `data` is deferred and raises when touched without being asked for, so a page that lists
    scans never loads their bytes by mistake.
    """

    __tablename__ = "consent_documents"
    __table_args__ = (Index("ix_consent_documents_consent_id_id", "consent_id", "id"),)

    id: Mapped[intpk]
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    content_type: Mapped[str] = mapped_column(String(40))  # from the content, never the request
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str255]  # the name it was uploaded under, checked to hold no path
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[created_at]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])

    @property
    def is_image(self) -> bool:
        """A PNG or JPEG (shown in the browser); a PDF is downloaded instead."""
        return self.content_type.startswith("image/")

    @property
    def type_label(self) -> str:
        return SCAN_LABELS.get(self.content_type, "File")

    @property
    def download_name(self) -> str:
        """The name a download is saved under: ids and the type's extension, never the uploaded
        name (which may name the participant, and stays in the browser's download history)."""
        extension = SCAN_EXTENSIONS.get(self.content_type, "bin")
        return f"consent-{self.consent_id}-scan-{self.id}.{extension}"
