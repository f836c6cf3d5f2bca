"""Episodes: the admission and discharge of a referral to an episode service, its step-down, the
admission criteria of each service, and the timeline kinds of all three.

Existing accepted referrals to episode services become episodes admitted on their first
attended date (by whoever recorded it, no criteria asked then); those with no attended date are
left awaiting admission (no episode row). Attendance rows are kept as they are.

Revision ID: ep1a2b3c4d5e
Revises: oc1a2b3c4d5e
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "ep1a2b3c4d5e"
down_revision = "oc1a2b3c4d5e"
branch_labels = None
depends_on = None

KINDS = [
    "referral_received", "referral_accepted", "referral_declined", "intake_completed",
    "assessment_recorded", "contact_recorded", "service_referred", "service_accepted",
    "service_declined", "service_completed", "service_ended", "engaged_in_services",
    "attendance_recorded", "attendance_corrected", "case_completed", "case_withdrawn",
    "case_non_compliant", "case_updated", "consent_recorded", "consent_revoked",
    "person_linked", "persons_kept_apart", "case_manager_changed", "drop_in_visit",
    "reach_attempted", "justice_event", "monthly_status",
]  # fmt: skip
EPISODE_KINDS = [
    "episode_admitted", "episode_discharged", "step_down_confirmed", "step_down_declined",
]  # fmt: skip
KIND_CHECKS = {
    "timeline_entries": "ck_timeline_entries_timelinekind",
    "notifications": "ck_notifications_notification_kind",
}
OUTCOMES = ["stepped_down", "completed", "left_against_advice", "transferred", "other"]
STATES = ["proposed", "confirmed", "declined"]

# The first attended date of each accepted referral to an episode service, and who recorded it.
ADMIT_EXISTING = """
INSERT INTO episodes (service_referral_id, admitted_on, admitted_by_id, admitted_at,
                      criteria_answers, note, version)
SELECT a.service_referral_id, a.session_date, a.recorded_by_id, a.recorded_at, '[]', '', 1
FROM attendance a
JOIN service_referrals sr ON sr.id = a.service_referral_id
JOIN services s ON s.id = sr.service_id
WHERE s.kind = 'episode' AND sr.status = 'accepted' AND a.status = 'attended'
  AND a.id = (
    SELECT b.id FROM attendance b
    WHERE b.service_referral_id = a.service_referral_id AND b.status = 'attended'
    ORDER BY b.session_date, b.id LIMIT 1
  )
"""


def _timeline_kinds(kinds):
    for table, check in KIND_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(check), type_="check")
            batch_op.create_check_constraint(op.f(check), sa.column("kind").in_(kinds))


def upgrade():
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("admission_criteria", sa.JSON(), server_default="[]", nullable=False)
        )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_referral_id", sa.Integer(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("admitted_by_id", sa.Integer(), nullable=False),
        sa.Column("admitted_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("criteria_answers", sa.JSON(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("discharged_by_id", sa.Integer(), nullable=True),
        sa.Column("discharged_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.Enum(*OUTCOMES, name="dischargeoutcome", native_enum=False,
                                     length=27, create_constraint=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("step_down_service_id", sa.Integer(), nullable=True),
        sa.Column("step_down_state", sa.Enum(*STATES, name="stepdownstate", native_enum=False,
                                             length=17, create_constraint=True), nullable=True),
        sa.Column("step_down_referral_id", sa.Integer(), nullable=True),
        sa.Column("step_down_reason", sa.String(length=500), nullable=True),
        sa.Column("step_down_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("step_down_decided_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "discharged_on IS NULL OR discharged_on >= admitted_on",
            name=op.f("ck_episodes_discharge_after_admission"),
        ),
        sa.CheckConstraint(
            "(discharged_on IS NULL) = (outcome IS NULL)",
            name=op.f("ck_episodes_outcome_with_discharge"),
        ),
        sa.CheckConstraint(
            "(outcome = 'stepped_down') = (step_down_service_id IS NOT NULL)",
            name=op.f("ck_episodes_step_down_names_service"),
        ),
        sa.CheckConstraint(
            "(step_down_service_id IS NULL) = (step_down_state IS NULL)",
            name=op.f("ck_episodes_step_down_has_state"),
        ),
        sa.ForeignKeyConstraint(["admitted_by_id"], ["users.id"],
                                name=op.f("fk_episodes_admitted_by_id_users")),
        sa.ForeignKeyConstraint(["discharged_by_id"], ["users.id"],
                                name=op.f("fk_episodes_discharged_by_id_users")),
        sa.ForeignKeyConstraint(["service_referral_id"], ["service_referrals.id"],
                                name=op.f("fk_episodes_service_referral_id_service_referrals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_down_decided_by_id"], ["users.id"],
                                name=op.f("fk_episodes_step_down_decided_by_id_users")),
        sa.ForeignKeyConstraint(["step_down_referral_id"], ["service_referrals.id"],
                                name=op.f("fk_episodes_step_down_referral_id_service_referrals"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["step_down_service_id"], ["services.id"],
                                name=op.f("fk_episodes_step_down_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("service_referral_id", name=op.f("uq_episodes_service_referral_id")),
    )  # fmt: skip
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_episodes_step_down_state"), ["step_down_state"], unique=False
        )
    _timeline_kinds(KINDS + EPISODE_KINDS)
    op.execute(ADMIT_EXISTING)


def downgrade():
    # The episodes' entries go with them (no officer was ever notified of one, but the kind
    # check of the notifications must hold); attendance was never touched.
    for table in KIND_CHECKS:
        op.execute(sa.table(table, sa.column("kind")).delete().where(
            sa.column("kind").in_(EPISODE_KINDS)
        ))  # fmt: skip
    _timeline_kinds(KINDS)
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episodes_step_down_state"))
    op.drop_table("episodes")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("admission_criteria")
