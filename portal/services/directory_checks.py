"""Checks the directory's services share: the manager gate, trimmed text, unique names."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User
from portal.policy import can_manage_directory, require
from portal.services.errors import ValidationFailed

LIMITS = {"name": 120, "short_name": 20, "phone": 40, "email": 255, "website": 255, "address": 255}


class CommandLine:
    """Who acts in `flask directory import`: the server's operator, who already holds the
    database itself (the audit rows of the change name no user, as for every command)."""


COMMAND_LINE = CommandLine()


def require_directory_manager(actor: User | CommandLine) -> None:
    """Only those the policy lets manage the directory change agencies, organisations, services
    (and the operator's command line, which reaches the database anyway)."""
    if actor is COMMAND_LINE:
        return
    require(can_manage_directory(actor), "Only administrators manage the directory.")


def clean(value: str | None) -> str:
    """The value trimmed; an absent value is the empty string."""
    return (value or "").strip()


def checked_text(field: str, value: str | None, label: str, required: bool = False) -> str | None:
    """A trimmed text value within the column's length; None when optional and empty."""
    value = clean(value)
    if not value:
        if required:
            raise ValidationFailed(f"Enter the {label}.", field=field)
        return None
    limit = LIMITS.get(field)
    if limit and len(value) > limit:
        raise ValidationFailed(f"Use at most {limit} characters.", field=field)
    return value


def name_taken(model, name: str, exclude_id: int | None, **scope) -> bool:
    """Whether another row of `model` (within `scope`) has this name, ignoring case."""
    query = select(func.count()).select_from(model).where(func.lower(model.name) == name.lower())
    for column, value in scope.items():
        query = query.where(getattr(model, column) == value)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return bool(db.session.scalar(query))


CRITERIA_MAX = 12  # checklist sentences an episode service may ask at admission
CRITERION_MAX = 200


def clean_criteria(lines: list[str]) -> list[str]:
    """A service's admission criteria: one sentence a line, blank lines and repeats dropped,
    at most CRITERIA_MAX of at most CRITERION_MAX characters."""
    criteria = list(dict.fromkeys(" ".join(line.split()) for line in lines if line.strip()))
    if len(criteria) > CRITERIA_MAX:
        raise ValidationFailed(
            f"Enter at most {CRITERIA_MAX} criteria.", field="admission_criteria"
        )
    if any(len(c) > CRITERION_MAX for c in criteria):
        raise ValidationFailed(
            f"Keep each criterion to {CRITERION_MAX} characters.", field="admission_criteria"
        )
    return criteria
