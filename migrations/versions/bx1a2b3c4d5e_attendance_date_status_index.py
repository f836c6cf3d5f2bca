"""Index attendance (session_date, status, service_referral_id): the outcomes dashboard's
sessions attended a month read a range of the index alone, not a row a session.

Revision ID: bx1a2b3c4d5e
Revises: ep1a2b3c4d5e
Create Date: 2026-12-02

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "bx1a2b3c4d5e"
down_revision = "ep1a2b3c4d5e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attendance_date_status_referral",
            ["session_date", "status", "service_referral_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_date_status_referral")
