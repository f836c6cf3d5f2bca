"""All models, imported here so Alembic and the app see one metadata."""

from portal.models.audit import AuditAction, AuditEvent, AuditOutcome
from portal.models.base import Base, utcnow
from portal.models.case import (
    Case,
    CaseStatus,
    ExitReason,
    Person,
    ProgramSettings,
    ReferralType,
    TimelineEntry,
    TimelineKind,
)
from portal.models.compliance import (
    ComplianceFlag,
    ComplianceRule,
    FlagStatus,
    RuleCode,
    is_open_flag,
)
from portal.models.consent import (
    Consent,
    ConsentDocument,
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
    ServiceKind,
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
from portal.models.health import HEALTH_ROW_ID, HealthCheck
from portal.models.invitation import INVITATION_LIFETIME, Invitation
from portal.models.mfa import MfaCredential, MfaRecoveryCode
from portal.models.notification import (
    Digest,
    Notification,
    NotificationMode,
    NotificationPreference,
    OutboxEmail,
    OutboxStatus,
)
from portal.models.person_match import MatchDecision, PersonMatchDecision
from portal.models.user import Role, StaffRole, User
from portal.models.user_session import UserSession
from portal.models.visit import MAX_DAILY_VISITORS, DropInCount, DropInVisit

__all__ = [
    "MAX_DAILY_VISITORS",
    "DropInCount",
    "DropInVisit",
    "HEALTH_ROW_ID",
    "HealthCheck",
    "INVITATION_LIFETIME",
    "Invitation",
    "MfaCredential",
    "MfaRecoveryCode",
    "ComplianceFlag",
    "ComplianceRule",
    "FlagStatus",
    "RuleCode",
    "is_open_flag",
    "Consent",
    "ConsentDocument",
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
    "ExitReason",
    "Contact",
    "ContactKind",
    "DeclineReason",
    "Digest",
    "NeedDomain",
    "NeedLevel",
    "MatchDecision",
    "Notification",
    "NotificationMode",
    "NotificationPreference",
    "Organization",
    "OutboxEmail",
    "OutboxStatus",
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
    "ServiceKind",
    "ServiceStatus",
    "StaffRole",
    "TimelineEntry",
    "TimelineKind",
    "User",
    "UserSession",
    "utcnow",
]
