"""Program settings: the rules administrators configure."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import ProgramSettings
from portal.models.case import DEFAULT_ELIGIBILITY_ITEMS, DEFAULT_EXCLUSION_REASONS
from portal.services.errors import ValidationFailed


def get_settings() -> ProgramSettings:
    """The program's settings row, created with the defaults the first time it is asked for."""
    settings = db.session.scalar(select(ProgramSettings).order_by(ProgramSettings.id).limit(1))
    if settings is None:
        settings = ProgramSettings(
            intake_deadline_days=30,
            eligibility_items=list(DEFAULT_ELIGIBILITY_ITEMS),
            exclusion_reasons=list(DEFAULT_EXCLUSION_REASONS),
        )
        db.session.add(settings)
        db.session.flush()
    return settings


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
    *, intake_deadline_days: int, eligibility_items: list[str], exclusion_reasons: list[str]
) -> ProgramSettings:
    """Change the rules (deadline 1-365 days, non-empty lists); existing cases keep theirs."""
    if intake_deadline_days is None or not 1 <= intake_deadline_days <= 365:
        raise ValidationFailed(
            "The intake deadline must be between 1 and 365 days.", field="intake_deadline_days"
        )
    items = _lines(eligibility_items, "eligibility_items", "checklist item")
    reasons = _lines(exclusion_reasons, "exclusion_reasons", "exclusion reason")
    settings = get_settings()
    settings.intake_deadline_days = intake_deadline_days
    settings.eligibility_items = items
    settings.exclusion_reasons = reasons
    db.session.flush()
    return settings
