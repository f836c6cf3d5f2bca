"""Case managers and caseload: each case's assigned case manager (indexed for the lists that
filter by it), the program's caseload guidance and the count it flags, and the timeline kind
of an assignment

Revision ID: cm1a2b3c4d5e
Revises: bd2b3c4d5e6f
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cm1a2b3c4d5e"
down_revision = "bd2b3c4d5e6f"
branch_labels = None
depends_on = None

KINDS = [
    "referral_received", "referral_accepted", "referral_declined", "intake_completed",
    "assessment_recorded", "contact_recorded", "service_referred", "service_accepted",
    "service_declined", "service_completed", "service_ended", "engaged_in_services",
    "attendance_recorded", "attendance_corrected", "case_completed", "case_withdrawn",
    "case_non_compliant", "case_updated", "consent_recorded", "consent_revoked",
    "person_linked", "persons_kept_apart",
]  # fmt: skip
# The timeline's kinds are checked twice: on its entries, and on the officers' notifications.
KIND_CHECKS = {
    "timeline_entries": "ck_timeline_entries_timelinekind",
    "notifications": "ck_notifications_notification_kind",
}


def _timeline_kinds(kinds):
    for table, check in KIND_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(check), type_="check")
            batch_op.create_check_constraint(op.f(check), sa.column("kind").in_(kinds))


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_manager_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_case_manager_id_users"), "users", ["case_manager_id"], ["id"]
        )
        batch_op.create_index(
            "ix_cases_case_manager_status_deadline_id",
            ["case_manager_id", "status", "intake_deadline", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_case_manager_referred_at_id",
            ["case_manager_id", "referred_at", "id"],
            unique=False,
        )
    # Not batches: on SQLite a batch rebuilds the table, which the audit triggers (they read
    # the retention from it) forbid; SQLite adds and (since 3.35) drops a column in place.
    op.add_column(
        "program_settings",
        sa.Column("caseload_guidance", sa.Integer(), server_default="15", nullable=False),
    )
    op.add_column(
        "program_settings",
        sa.Column("caseload_flag_over", sa.Integer(), server_default="25", nullable=False),
    )
    _timeline_kinds([*KINDS, "case_manager_changed"])


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'case_manager_changed'")
    op.execute("DELETE FROM timeline_entries WHERE kind = 'case_manager_changed'")
    _timeline_kinds(KINDS)
    op.drop_column("program_settings", "caseload_flag_over")
    op.drop_column("program_settings", "caseload_guidance")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_case_manager_referred_at_id")
        batch_op.drop_index("ix_cases_case_manager_status_deadline_id")
        batch_op.drop_constraint(batch_op.f("fk_cases_case_manager_id_users"), type_="foreignkey")
        batch_op.drop_column("case_manager_id")
