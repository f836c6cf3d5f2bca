"""Index cases for the outcomes dashboard: the referrals of its dates with what it counts of
them (referred_at, status, agency, intake, deadline, person) read from the index alone, and the
participants who left before a month began (closed_on, intake_completed_on).

Revision ID: bx2b3c4d5e6f
Revises: bx1a2b3c4d5e
Create Date: 2026-12-02

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "bx2b3c4d5e6f"
down_revision = "bx1a2b3c4d5e"
branch_labels = None
depends_on = None

COHORT = [
    "referred_at", "status", "agency_id", "intake_completed_on", "intake_deadline", "person_id"
]  # fmt: skip


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_referred_at_cohort", COHORT, unique=False)
        batch_op.create_index(
            "ix_cases_closed_on_intake", ["closed_on", "intake_completed_on"], unique=False
        )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_closed_on_intake")
        batch_op.drop_index("ix_cases_referred_at_cohort")
