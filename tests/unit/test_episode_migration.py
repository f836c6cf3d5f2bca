"""The episodes migration: an accepted referral to an episode service with attended dates is
admitted on the first of them (by whoever recorded it); one without is left awaiting admission;
closed referrals and scheduled services get no episode; no attendance row is lost, either way;
the downgrade takes the table, the criteria and the timeline kinds away again."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text
from sqlalchemy import table as table_

from portal.extensions import db
from tests import factories
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

BEFORE = "oc1a2b3c4d5e"  # the revision before episodes
AFTER = "ep1a2b3c4d5e"
DAY = dt.date(2026, 11, 5)


def _organization() -> SimpleNamespace:
    """Organisation 1, as the schema of an earlier revision holds it (the model has later
    columns)."""
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, description, active, created_at)"
                " VALUES (1, 'FMRS', '', true, CURRENT_TIMESTAMP)"
            )
        )
    return SimpleNamespace(id=1)


def _service(connection, sid, name, kind):
    connection.execute(
        text(
            "INSERT INTO services (id, organization_id, name, description, category, eligibility,"
            " kind, by_appointment, capacity_max, capacity_available, status, created_at)"
            " VALUES (:id, :org, :name, '', 'detox', '', :kind, false, 8, 4, 'active',"
            " CURRENT_TIMESTAMP)"
        ),
        {"id": sid, "org": 1, "name": name, "kind": kind},
    )


def _referral(connection, rid, case_id, service_id, status, staff_id):
    connection.execute(
        text(
            "INSERT INTO service_referrals (id, case_id, service_id, status, note, created_by_id,"
            " created_at, decided_by_id, decided_at) VALUES (:id, :case, :service, :status, '',"
            " :staff, '2026-10-01 12:00:00', :staff, '2026-10-02 12:00:00')"
        ),
        {"id": rid, "case": case_id, "service": service_id, "status": status, "staff": staff_id},
    )


def _attended(connection, rid, day, status, staff_id):
    connection.execute(
        text(
            "INSERT INTO attendance (service_referral_id, session_date, status, recorded_by_id,"
            " recorded_at, version) VALUES (:rid, :day, :status, :staff,"
            " '2026-11-20 12:00:00', 1)"
        ),
        {"rid": rid, "day": day, "status": status, "staff": staff_id},
    )


def _count(connection, table):
    return connection.execute(select(func.count()).select_from(table_(table))).scalar_one()


def test_accepted_episode_referrals_are_admitted_on_their_first_attended_date(
    fresh_app,  # noqa: F811
):
    upgrade(revision=BEFORE)
    organization = _organization()
    first_staff = factories.UserFactory(provider=True, organization=organization)
    later_staff = factories.UserFactory(provider=True, organization=organization)
    case = factories.CaseFactory(active=True)
    db.session.commit()
    # Plain ids, and the session closed: on PostgreSQL an open read of users would hold the
    # lock the downgrade's DROP TABLE (its foreign keys to users) waits for.
    case, first_staff, later_staff = (
        SimpleNamespace(id=o.id) for o in (case, first_staff, later_staff)
    )
    db.session.remove()
    with db.engine.begin() as connection:
        _service(connection, 1, "Detoxification", "episode")
        _service(connection, 2, "Counselling", "scheduled")
        # 1: attended twice (a missed day before); 2: only missed; 3: closed; 4: scheduled.
        for rid, service_id, status in [
            (1, 1, "accepted"),
            (2, 1, "accepted"),
            (3, 1, "completed"),
            (4, 2, "accepted"),
        ]:
            _referral(connection, rid, case.id, service_id, status, first_staff.id)
        _attended(connection, 1, DAY - dt.timedelta(days=7), "missed", later_staff.id)
        _attended(connection, 1, DAY + dt.timedelta(days=7), "attended", later_staff.id)
        _attended(connection, 1, DAY, "attended", first_staff.id)
        _attended(connection, 2, DAY, "missed", first_staff.id)
        _attended(connection, 3, DAY, "attended", first_staff.id)
        _attended(connection, 4, DAY, "attended", first_staff.id)
    upgrade(revision=AFTER)
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT service_referral_id, admitted_on, admitted_by_id, discharged_on,"
                " outcome, step_down_state, version FROM episodes"
            )
        ).all()
        assert [tuple(r)[0] for r in rows] == [1]
        _, admitted_on, admitted_by, discharged_on, outcome, state, version = rows[0]
        assert str(admitted_on) == DAY.isoformat() and admitted_by == first_staff.id
        assert (discharged_on, outcome, state, version) == (None, None, None, 1)
        assert _count(connection, "attendance") == 6
        criteria = connection.execute(text("SELECT admission_criteria FROM services")).all()
        assert {str(c[0]) for c in criteria} == {"[]"}
        # The new timeline kinds are allowed now.
        connection.execute(
            text(
                "INSERT INTO timeline_entries (case_id, kind, payload, created_at)"
                " VALUES (:case, 'episode_admitted', '{}', CURRENT_TIMESTAMP)"
            ),
            {"case": case.id},
        )
        connection.commit()
    downgrade(revision=BEFORE)
    inspector = inspect(db.engine)
    assert "episodes" not in inspector.get_table_names()
    assert "admission_criteria" not in {c["name"] for c in inspector.get_columns("services")}
    with db.engine.connect() as connection:
        assert _count(connection, "attendance") == 6
        kinds = connection.execute(
            text("SELECT count(*) FROM timeline_entries WHERE kind = 'episode_admitted'")
        ).scalar_one()
        assert kinds == 0
    upgrade(revision=AFTER)  # and up again, cleanly
    with db.engine.connect() as connection:
        assert _count(connection, "episodes") == 1
