"""All models, imported here so Alembic and the app see one metadata."""

from portal.models.audit import AuditAction, AuditEvent, AuditOutcome
from portal.models.base import Base, utcnow
from portal.models.case import (
    Case,
    CaseStatus,
    Person,
    ProgramSettings,
    ReferralType,
    TimelineEntry,
    TimelineKind,
)
from portal.models.consent import (
    Consent,
    ConsentScope,
    Disclosure,
    RecipientKind,
    SignatureMethod,
)
from portal.models.directory import (
    Agency,
    Organization,
    Service,
    ServiceCategory,
    ServiceSchedule,
    ServiceStatus,
)
from portal.models.engagement import (
    Assessment,
    AssessmentNeed,
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    Contact,
    ContactKind,
    DeclineReason,
    NeedDomain,
    NeedLevel,
    ReferralStatus,
    ServiceReferral,
)
from portal.models.person_match import MatchDecision, PersonMatchDecision
from portal.models.user import Role, User

__all__ = [
    "Consent",
    "ConsentScope",
    "Disclosure",
    "RecipientKind",
    "SignatureMethod",
    "Agency",
    "Assessment",
    "AuditAction",
    "AuditEvent",
    "AuditOutcome",
    "AssessmentNeed",
    "Attendance",
    "AttendanceCorrection",
    "AttendanceStatus",
    "Base",
    "Case",
    "CaseStatus",
    "Contact",
    "ContactKind",
    "DeclineReason",
    "NeedDomain",
    "NeedLevel",
    "MatchDecision",
    "Organization",
    "Person",
    "PersonMatchDecision",
    "ProgramSettings",
    "ReferralStatus",
    "ReferralType",
    "Role",
    "Service",
    "ServiceCategory",
    "ServiceReferral",
    "ServiceSchedule",
    "ServiceStatus",
    "TimelineEntry",
    "TimelineKind",
    "User",
    "utcnow",
]
