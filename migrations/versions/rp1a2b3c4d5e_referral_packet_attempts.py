"""The provider's referral packet and "could not reach the person": a work phone for users
(the case manager's number in the packet), provider staff's contact attempts on a service
referral, the decline reason "could not reach", and the timeline kind of an attempt.

Revision ID: rp1a2b3c4d5e
Revises: sk2b3c4d5e6f
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "rp1a2b3c4d5e"
down_revision = "sk2b3c4d5e6f"
branch_labels = None
depends_on = None

KINDS = [
    "referral_received", "referral_accepted", "referral_declined", "intake_completed",
    "assessment_recorded", "contact_recorded", "service_referred", "service_accepted",
    "service_declined", "service_completed", "service_ended", "engaged_in_services",
    "attendance_recorded", "attendance_corrected", "case_completed", "case_withdrawn",
    "case_non_compliant", "case_updated", "consent_recorded", "consent_revoked",
    "person_linked", "persons_kept_apart", "case_manager_changed", "drop_in_visit",
]  # fmt: skip
ATTEMPT_KINDS = ["reach_attempted"]
KIND_CHECKS = {
    "timeline_entries": "ck_timeline_entries_timelinekind",
    "notifications": "ck_notifications_notification_kind",
}
DECLINE_REASONS = ["no_capacity", "not_eligible", "person_declined", "other"]
UNREACHABLE = ["could_not_reach"]


def _timeline_kinds(kinds):
    for table, check in KIND_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(check), type_="check")
            batch_op.create_check_constraint(op.f(check), sa.column("kind").in_(kinds))


def _decline_reasons(reasons):
    check = "ck_service_referrals_declinereason"
    with op.batch_alter_table("service_referrals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(check), type_="check")
        batch_op.create_check_constraint(op.f(check), sa.column("decline_reason").in_(reasons))


def upgrade():
    # Not a batch: on SQLite that would rebuild the users table, which every other table
    # references; SQLite adds a nullable column in place.
    op.add_column("users", sa.Column("work_phone", sa.String(length=40), nullable=True))
    op.create_table(
        "service_referral_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_referral_id", sa.Integer(), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "phone", "text", "in_person", "letter", "email", name="attemptmethod",
                native_enum=False, create_constraint=True, length=17,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"],
            name=op.f("fk_service_referral_attempts_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["service_referral_id"], ["service_referrals.id"],
            name=op.f("fk_service_referral_attempts_service_referral_id_service_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_referral_attempts")),
    )  # fmt: skip
    with op.batch_alter_table("service_referral_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_referral_attempts_referral_date",
            ["service_referral_id", "attempted_on"],
            unique=False,
        )
    _decline_reasons(DECLINE_REASONS + UNREACHABLE)
    _timeline_kinds(KINDS + ATTEMPT_KINDS)


def downgrade():
    op.execute("DELETE FROM timeline_entries WHERE kind = 'reach_attempted'")
    _timeline_kinds(KINDS)
    # A referral closed as unreachable stays closed, for a reason the older schema knows.
    op.execute(
        "UPDATE service_referrals SET decline_reason = 'other'"
        " WHERE decline_reason = 'could_not_reach'"
    )
    _decline_reasons(DECLINE_REASONS)
    with op.batch_alter_table("service_referral_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_service_referral_attempts_referral_date")
    op.drop_table("service_referral_attempts")
    # Not a batch: on SQLite that would rebuild the users table (see upgrade).
    op.drop_column("users", "work_phone")
