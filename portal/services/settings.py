"""Program settings: the rules administrators configure."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import ProgramSettings
from portal.models.case import DEFAULT_ELIGIBILITY_ITEMS, DEFAULT_EXCLUSION_REASONS


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


def update_settings(
    *, intake_deadline_days: int, eligibility_items: list[str], exclusion_reasons: list[str]
) -> ProgramSettings:
    """Change the rules; existing cases keep the deadline they were given."""
    settings = get_settings()
    settings.intake_deadline_days = intake_deadline_days
    settings.eligibility_items = [i.strip() for i in eligibility_items if i.strip()]
    settings.exclusion_reasons = [r.strip() for r in exclusion_reasons if r.strip()]
    db.session.flush()
    return settings
