"""Index the dashboard's breakdowns: who was active in a range of months with the agency and
person they are grouped by (ix_cases_closed_on_cohort, in place of ix_cases_closed_on_intake),
who enrolled in its dates with the same (ix_cases_intake_completed_on, now with agency and
person), a case's agency and person by its id (ix_cases_id_cohort), all read without the case's
row; and a case's monthly housing and income by month (ix_monthly_statuses_case_month_values).

Revision ID: ar2b3c4d5e6f
Revises: ar1a2b3c4d5e
Create Date: 2026-12-02

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "ar2b3c4d5e6f"
down_revision = "ar1a2b3c4d5e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_closed_on_intake")
        batch_op.drop_index("ix_cases_intake_completed_on")
        batch_op.create_index(
            "ix_cases_intake_completed_on",
            ["intake_completed_on", "agency_id", "person_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_closed_on_cohort",
            ["closed_on", "intake_completed_on", "agency_id", "person_id"],
            unique=False,
        )
        batch_op.create_index("ix_cases_id_cohort", ["id", "agency_id", "person_id"], unique=False)
    op.create_index(
        "ix_monthly_statuses_case_month_values",
        "monthly_statuses",
        ["case_id", "month", "housing", "income"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_monthly_statuses_case_month_values", table_name="monthly_statuses")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_id_cohort")
        batch_op.drop_index("ix_cases_closed_on_cohort")
        batch_op.drop_index("ix_cases_intake_completed_on")
        batch_op.create_index("ix_cases_intake_completed_on", ["intake_completed_on"], unique=False)
        batch_op.create_index(
            "ix_cases_closed_on_intake", ["closed_on", "intake_completed_on"], unique=False
        )
