"""Program settings: the rules administrators configure."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import ProgramSettings, User
from portal.models.audit import DEFAULT_AUDIT_RETENTION_DAYS
from portal.models.case import DEFAULT_ELIGIBILITY_ITEMS, DEFAULT_EXCLUSION_REASONS
from portal.policy import can_manage_settings, require
from portal.services.errors import ValidationFailed

DEFAULT_INTAKE_DEADLINE_DAYS = 30
# Arrest diversion: days after the incident to file a held charge (a year, as most sites use).
DEFAULT_CHARGE_FILING_DAYS = 365
MIN_CHARGE_FILING_DAYS, MAX_CHARGE_FILING_DAYS = 1, 3650
# Open cases per case manager: LEAD guidance is 12-15, never over 25.
DEFAULT_CASELOAD_GUIDANCE, DEFAULT_CASELOAD_FLAG_OVER = 15, 25
MAX_CASELOAD = 200
# Audit rows are kept at least six years (HIPAA's retention of its documentation).
MIN_AUDIT_RETENTION_DAYS = DEFAULT_AUDIT_RETENTION_DAYS
MAX_AUDIT_RETENTION_DAYS = 36500


class SettingsMissing(RuntimeError):
    """The database has no program settings row: it was not migrated (`flask db upgrade`)."""


def get_settings() -> ProgramSettings:
    """The program's settings row; reading it never writes (the migration created it)."""
    settings = db.session.scalar(select(ProgramSettings).order_by(ProgramSettings.id).limit(1))
    if settings is None:
        raise SettingsMissing(
            "The program settings row is missing: run `flask db upgrade`, which creates it "
            "with the defaults."
        )
    return settings


def default_settings() -> ProgramSettings:
    """A new settings row holding the defaults the migration installs."""
    return ProgramSettings(
        intake_deadline_days=DEFAULT_INTAKE_DEADLINE_DAYS,
        eligibility_items=list(DEFAULT_ELIGIBILITY_ITEMS),
        exclusion_reasons=list(DEFAULT_EXCLUSION_REASONS),
        audit_retention_days=DEFAULT_AUDIT_RETENTION_DAYS,
        charge_filing_days=DEFAULT_CHARGE_FILING_DAYS,
        caseload_guidance=DEFAULT_CASELOAD_GUIDANCE,
        caseload_flag_over=DEFAULT_CASELOAD_FLAG_OVER,
    )


MAX_ITEMS = 50
MAX_ITEM_LENGTH = 255


def _lines(items: list[str], field: str, what: str) -> list[str]:
    """Trimmed, non-empty, distinct lines (first spelling kept), each within the length limit."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for item in items:
        item = item.strip()
        if not item or item.lower() in seen:
            continue
        if len(item) > MAX_ITEM_LENGTH:
            raise ValidationFailed(
                f"Each line must be at most {MAX_ITEM_LENGTH} characters.", field=field
            )
        seen.add(item.lower())
        cleaned.append(item)
    if not cleaned:
        raise ValidationFailed(f"Enter at least one {what}, one per line.", field=field)
    if len(cleaned) > MAX_ITEMS:
        raise ValidationFailed(f"Enter at most {MAX_ITEMS} lines.", field=field)
    return cleaned


def update_settings(
    actor: User,
    *,
    intake_deadline_days: int,
    eligibility_items: list[str],
    exclusion_reasons: list[str],
    audit_retention_days: int | None = None,
    charge_filing_days: int | None = None,
    caseload_guidance: int | None = None,
    caseload_flag_over: int | None = None,
    drop_in_visits_engage: bool | None = None,
) -> ProgramSettings:
    """Change the rules (deadline 1-365 days, non-empty lists, audit rows kept six years or
    more, charges filed 1-3650 days after the incident, a caseload guidance of 1-200 open cases
    flagged over a count no lower; None keeps the retention, the filing days, a caseload figure
    or the drop-in rule as they are); existing cases keep their intake deadline and charge
    filing date."""
    require(can_manage_settings(actor), "Only administrators change the program's rules.")
    if intake_deadline_days is None or not 1 <= intake_deadline_days <= 365:
        raise ValidationFailed(
            "The intake deadline must be between 1 and 365 days.", field="intake_deadline_days"
        )
    if audit_retention_days is not None and not (
        MIN_AUDIT_RETENTION_DAYS <= audit_retention_days <= MAX_AUDIT_RETENTION_DAYS
    ):
        raise ValidationFailed(
            f"Keep audit records from {MIN_AUDIT_RETENTION_DAYS:,} days (six years) to "
            f"{MAX_AUDIT_RETENTION_DAYS:,} days.",
            field="audit_retention_days",
        )
    if charge_filing_days is not None and not (
        MIN_CHARGE_FILING_DAYS <= charge_filing_days <= MAX_CHARGE_FILING_DAYS
    ):
        raise ValidationFailed(
            f"The charge filing period must be between {MIN_CHARGE_FILING_DAYS} and "
            f"{MAX_CHARGE_FILING_DAYS:,} days after the incident.",
            field="charge_filing_days",
        )
    settings = get_settings()
    guidance, flag_over = _caseload(
        settings.caseload_guidance if caseload_guidance is None else caseload_guidance,
        settings.caseload_flag_over if caseload_flag_over is None else caseload_flag_over,
    )
    items = _lines(eligibility_items, "eligibility_items", "checklist item")
    reasons = _lines(exclusion_reasons, "exclusion_reasons", "exclusion reason")
    settings.caseload_guidance, settings.caseload_flag_over = guidance, flag_over
    settings.intake_deadline_days = intake_deadline_days
    settings.eligibility_items = items
    settings.exclusion_reasons = reasons
    if audit_retention_days is not None:
        settings.audit_retention_days = audit_retention_days
    if charge_filing_days is not None:
        settings.charge_filing_days = charge_filing_days
    if drop_in_visits_engage is not None:
        settings.drop_in_visits_engage = drop_in_visits_engage
    db.session.flush()
    return settings


def _caseload(guidance: int, flag_over: int) -> tuple[int, int]:
    """The caseload guidance (1-200 open cases) and the count flagged (from the guidance to
    200)."""
    if not 1 <= guidance <= MAX_CASELOAD:
        raise ValidationFailed(
            f"The caseload guidance must be between 1 and {MAX_CASELOAD} open cases.",
            field="caseload_guidance",
        )
    if not guidance <= flag_over <= MAX_CASELOAD:
        raise ValidationFailed(
            f"Flag caseloads over a number from the guidance ({guidance}) to {MAX_CASELOAD}.",
            field="caseload_flag_over",
        )
    return guidance, flag_over
