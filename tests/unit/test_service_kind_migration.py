"""The kinds-of-service migration: each existing service gets the kind its category says,
a drop-in's capacity is cleared, and it goes back cleanly."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.extensions import db
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

BEFORE = "bd2b3c4d5e6f"
AFTER = "sk1a2b3c4d5e"
SERVICES = [
    (1, "Detoxification", "detox", True, 8),
    (2, "Crisis Stabilization", "crisis_stabilization", True, 6),
    (3, "Harm Reduction Clinic", "harm_reduction", False, 40),
    (4, "Peer Recovery Support Group", "support_group", False, 20),
]


def test_existing_services_get_the_kind_their_category_says(fresh_app):  # noqa: F811
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, description, active, created_at)"
                " VALUES (1, 'FMRS', '', true, CURRENT_TIMESTAMP)"
            )
        )
        for sid, name, category, by_appointment, cap in SERVICES:
            connection.execute(
                text(
                    "INSERT INTO services (id, organization_id, name, description, category,"
                    " eligibility, by_appointment, capacity_max, capacity_available, status,"
                    " created_at) VALUES (:id, 1, :name, '', :category, '', :by_appointment,"
                    " :cap, :cap, 'active', CURRENT_TIMESTAMP)"
                ),
                {
                    "id": sid,
                    "name": name,
                    "category": category,
                    "by_appointment": by_appointment,
                    "cap": cap,
                },
            )
    upgrade(revision=AFTER)
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, kind, capacity_max, capacity_available FROM services ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, "episode", 8, 8),
        (2, "episode", 6, 6),
        (3, "drop_in", None, 0),
        (4, "scheduled", 20, 20),
    ]
    downgrade(revision=BEFORE)
    assert "kind" not in {c["name"] for c in inspect(db.engine).get_columns("services")}
