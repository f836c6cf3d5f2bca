"""Shared pieces of the admin management tests."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


def service_data(org, **overrides):
    data = {
        "organization_id": str(org.id),
        "name": "Harm Reduction Clinic",
        "category": "harm_reduction",
        "kind": "scheduled",
        "description": "Supplies and testing.",
        "eligibility": "Open to all adults.",
        "min_age": "18",
        "max_age": "",
        "status": "active",
        "schedule-0-weekday": "2",
        "schedule-0-opens_at": "13:00",
        "schedule-0-closes_at": "15:00",
        "capacity_max": "40",
        "capacity_available": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
