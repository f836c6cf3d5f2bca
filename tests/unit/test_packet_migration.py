"""The referral packet migration: on a database full of the demo program (attempts, a referral
closed as could not reach, case managers' work phones), it goes down to the schema before it,
keeping every referral closed for a reason that schema knows, and up again."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.demo import program
from portal.extensions import db
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture, both engines

BEFORE = "sk2b3c4d5e6f"
AFTER = "rp1a2b3c4d5e"


def _scalar(sql: str, **params):
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_down_keeps_unreachable_referrals_closed_and_up_takes_attempts_again(fresh_app):  # noqa: F811
    upgrade()  # the demo is seeded by today's models: at the head, then down past the packet
    program.seed()
    db.session.commit()
    db.session.remove()
    assert _scalar("SELECT count(*) FROM service_referral_attempts") == 2
    assert _scalar("SELECT count(*) FROM users WHERE work_phone IS NOT NULL") == 2
    attendance = _scalar("SELECT count(*) FROM attendance")
    assert attendance > 0
    # One referral declined as could not reach (the demo's own was accepted, then ended).
    with db.engine.begin() as connection:
        declined = connection.execute(
            text("SELECT id FROM service_referrals WHERE status = 'pending' ORDER BY id")
        ).scalar()
        connection.execute(
            text(
                "UPDATE service_referrals SET status = 'declined',"
                " decline_reason = 'could_not_reach' WHERE id = :id"
            ),
            {"id": declined},
        )

    downgrade(revision=BEFORE)
    tables = set(inspect(db.engine).get_table_names())
    assert "service_referral_attempts" not in tables
    assert "work_phone" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
    reason = _scalar("SELECT decline_reason FROM service_referrals WHERE id = :id", id=declined)
    assert reason == "other"
    assert _scalar("SELECT count(*) FROM timeline_entries WHERE kind = 'reach_attempted'") == 0
    # Every attendance row survived the rebuild of service_referrals.
    assert _scalar("SELECT count(*) FROM attendance") == attendance

    upgrade(revision=AFTER)
    assert "service_referral_attempts" in set(inspect(db.engine).get_table_names())
    upgrade()  # and on to the head again
