"""Keyset indexes for the bounded lists: each list's sort key, then the id.

Revision ID: bd1a2b3c4d5e
Revises: ra2b3c4d5e6f
Create Date: 2026-12-02

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "bd1a2b3c4d5e"
down_revision = "ra2b3c4d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_referred_at")
        batch_op.drop_index("ix_cases_officer_referred_at")
        batch_op.create_index("ix_cases_referred_at_id", ["referred_at", "id"], unique=False)
        batch_op.create_index(
            "ix_cases_status_referred_at_id", ["status", "referred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_cases_status_intake_deadline_id", ["status", "intake_deadline", "id"], unique=False
        )
        batch_op.create_index(
            "ix_cases_officer_referred_at_id", ["officer_id", "referred_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_officer_referred_at_id")
        batch_op.drop_index("ix_cases_status_intake_deadline_id")
        batch_op.drop_index("ix_cases_status_referred_at_id")
        batch_op.drop_index("ix_cases_referred_at_id")
        batch_op.create_index(
            "ix_cases_officer_referred_at", ["officer_id", "referred_at"], unique=False
        )
        batch_op.create_index("ix_cases_status_referred_at", ["status", "referred_at"], unique=False)
