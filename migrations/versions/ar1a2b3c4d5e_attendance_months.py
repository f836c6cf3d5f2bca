"""Sessions attended per case per month (attendance_months), kept by triggers on attendance

The dashboard's engagement figure broken down by race, ethnicity or agency grouped every
session of its range by referral (857,420 sessions for a year at 100,000 cases: over two
seconds); it now reads one row a participant a month. The database keeps the rows itself: a
trigger adds one for every attended session inserted, moves it on a change of status, date or
referral, and takes it back on a delete, whoever writes (the portal, a bulk load, a fix in SQL).
Existing sessions are counted into it here.

Revision ID: ar1a2b3c4d5e
Revises: bx2b3c4d5e6f
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ar1a2b3c4d5e"
down_revision = "bx2b3c4d5e6f"
branch_labels = None
depends_on = None

# Plain literals, not built strings: the triggers' SQL as the database will hold it.
POSTGRES_UP = """
CREATE FUNCTION attendance_months_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'attended' THEN
        UPDATE attendance_months SET attended = attended - 1
        WHERE case_id = (SELECT case_id FROM service_referrals WHERE id = OLD.service_referral_id)
          AND month = date_trunc('month', OLD.session_date)::date;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'attended' THEN
        INSERT INTO attendance_months (case_id, month, attended)
        SELECT case_id, date_trunc('month', NEW.session_date)::date, 1
        FROM service_referrals WHERE id = NEW.service_referral_id
        ON CONFLICT (case_id, month) DO UPDATE SET attended = attendance_months.attended + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER attendance_months_insert AFTER INSERT ON attendance
    FOR EACH ROW WHEN (NEW.status = 'attended') EXECUTE FUNCTION attendance_months_keep();
CREATE TRIGGER attendance_months_update
    AFTER UPDATE OF status, session_date, service_referral_id ON attendance
    FOR EACH ROW WHEN (OLD.status = 'attended' OR NEW.status = 'attended')
    EXECUTE FUNCTION attendance_months_keep();
CREATE TRIGGER attendance_months_delete AFTER DELETE ON attendance
    FOR EACH ROW WHEN (OLD.status = 'attended') EXECUTE FUNCTION attendance_months_keep();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS attendance_months_delete ON attendance;
DROP TRIGGER IF EXISTS attendance_months_update ON attendance;
DROP TRIGGER IF EXISTS attendance_months_insert ON attendance;
DROP FUNCTION IF EXISTS attendance_months_keep();
"""

SQLITE_UP = [
    """CREATE TRIGGER attendance_months_insert AFTER INSERT ON attendance
    WHEN NEW.status = 'attended'
    BEGIN
        INSERT INTO attendance_months (case_id, month, attended)
        SELECT case_id, date(NEW.session_date, 'start of month'), 1
        FROM service_referrals WHERE id = NEW.service_referral_id
        ON CONFLICT (case_id, month) DO UPDATE SET attended = attended + 1;
    END""",
    """CREATE TRIGGER attendance_months_update
    AFTER UPDATE OF status, session_date, service_referral_id ON attendance
    WHEN OLD.status = 'attended' OR NEW.status = 'attended'
    BEGIN
        UPDATE attendance_months SET attended = attended - 1
        WHERE OLD.status = 'attended'
          AND case_id = (SELECT case_id FROM service_referrals WHERE id = OLD.service_referral_id)
          AND month = date(OLD.session_date, 'start of month');
        INSERT INTO attendance_months (case_id, month, attended)
        SELECT case_id, date(NEW.session_date, 'start of month'), 1
        FROM service_referrals WHERE id = NEW.service_referral_id AND NEW.status = 'attended'
        ON CONFLICT (case_id, month) DO UPDATE SET attended = attended + 1;
    END""",
    """CREATE TRIGGER attendance_months_delete AFTER DELETE ON attendance
    WHEN OLD.status = 'attended'
    BEGIN
        UPDATE attendance_months SET attended = attended - 1
        WHERE case_id = (SELECT case_id FROM service_referrals WHERE id = OLD.service_referral_id)
          AND month = date(OLD.session_date, 'start of month');
    END""",
]

# The sessions already recorded, counted in.
POSTGRES_FILL = """
INSERT INTO attendance_months (case_id, month, attended)
SELECT r.case_id, date_trunc('month', a.session_date)::date, count(*)
FROM attendance a JOIN service_referrals r ON r.id = a.service_referral_id
WHERE a.status = 'attended'
GROUP BY 1, 2
"""
SQLITE_FILL = """
INSERT INTO attendance_months (case_id, month, attended)
SELECT r.case_id, date(a.session_date, 'start of month'), count(*)
FROM attendance a JOIN service_referrals r ON r.id = a.service_referral_id
WHERE a.status = 'attended'
GROUP BY 1, 2
"""


def upgrade():
    op.create_table(
        "attendance_months",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("attended", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attendance_months_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "month", name=op.f("pk_attendance_months")),
    )  # fmt: skip
    op.create_index(
        "ix_attendance_months_month_case",
        "attendance_months",
        ["month", "case_id", "attended"],
        unique=False,
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(POSTGRES_FILL if postgresql else SQLITE_FILL)
    if postgresql:
        op.execute(POSTGRES_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_DOWN)
    else:  # the triggers are attendance's: dropping attendance_months leaves them
        for action in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS attendance_months_{action}")
    op.drop_index("ix_attendance_months_month_case", table_name="attendance_months")
    op.drop_table("attendance_months")
