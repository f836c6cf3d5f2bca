"""Index cases.intake_completed_on: the reports' intakes a month read their months only.

Revision ID: bd2b3c4d5e6f
Revises: bd1a2b3c4d5e
Create Date: 2026-12-02

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "bd2b3c4d5e6f"
down_revision = "bd1a2b3c4d5e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_intake_completed_on", ["intake_completed_on"], unique=False
        )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_intake_completed_on")
