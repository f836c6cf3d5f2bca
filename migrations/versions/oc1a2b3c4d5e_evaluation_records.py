"""The evaluation's records: arrests and citations of a person, each active participant's monthly
status, the person's demographics, and the timeline kinds of the first two.

Revision ID: oc1a2b3c4d5e
Revises: rp1a2b3c4d5e
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "oc1a2b3c4d5e"
down_revision = "rp1a2b3c4d5e"
branch_labels = None
depends_on = None

KINDS = [
    "referral_received", "referral_accepted", "referral_declined", "intake_completed",
    "assessment_recorded", "contact_recorded", "service_referred", "service_accepted",
    "service_declined", "service_completed", "service_ended", "engaged_in_services",
    "attendance_recorded", "attendance_corrected", "case_completed", "case_withdrawn",
    "case_non_compliant", "case_updated", "consent_recorded", "consent_revoked",
    "person_linked", "persons_kept_apart", "case_manager_changed", "drop_in_visit",
    "reach_attempted",
]  # fmt: skip
OUTCOME_KINDS = ["justice_event", "monthly_status"]
KIND_CHECKS = {
    "timeline_entries": "ck_timeline_entries_timelinekind",
    "notifications": "ck_notifications_notification_kind",
}
DEMOGRAPHICS = {
    "race": (
        "american_indian_alaska_native", "asian", "black_african_american",
        "native_hawaiian_pacific_islander", "white", "two_or_more", "other", "declined",
    ),
    "ethnicity": ("hispanic_latino", "not_hispanic_latino", "declined"),
    "gender": ("woman", "man", "another", "declined"),
}  # fmt: skip


def _enum(name, values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values) + 8)  # fmt: skip


def _timeline_kinds(kinds):
    for table, check in KIND_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(check), type_="check")
            batch_op.create_check_constraint(op.f(check), sa.column("kind").in_(kinds))


def upgrade():
    op.create_table(
        "justice_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", _enum("justiceeventkind", ("arrest", "citation")), nullable=False),
        sa.Column(
            "offence_level",
            _enum("offencelevel", ("felony", "misdemeanor", "violation")),
            nullable=False,
        ),
        sa.Column("booked", sa.Boolean(), nullable=False),
        sa.Column("jail_days", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("source", _enum("eventsource", ("office", "officer")), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "jail_days BETWEEN 0 AND 3650", name=op.f("ck_justice_events_jail_days_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_justice_events_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_justice_events_case_id_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_justice_events_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_justice_events_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_justice_events")),
    )  # fmt: skip
    op.create_index(
        "ix_justice_events_person_id_occurred_on",
        "justice_events",
        ["person_id", "occurred_on"],
        unique=False,
    )
    op.create_table(
        "monthly_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "housing",
            _enum("housing", ("unsheltered", "shelter", "transitional", "permanent")),
            nullable=False,
        ),
        sa.Column(
            "employment",
            _enum(
                "employment", ("unemployed", "part_time", "full_time", "not_in_labour_force")
            ),
            nullable=False,
        ),
        sa.Column(
            "income",
            _enum(
                "income", ("none", "under_500", "500_to_999", "1000_to_1999", "2000_or_more")
            ),
            nullable=False,
        ),
        sa.Column("benefits", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_monthly_statuses_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_monthly_statuses_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_statuses")),
        sa.UniqueConstraint("case_id", "month", name="uq_monthly_status_month"),
    )  # fmt: skip
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for column, values in DEMOGRAPHICS.items():
            length = max(len(v) for v in values) + 8  # as the model's enum_type sizes it
            batch_op.add_column(sa.Column(column, sa.String(length=length), nullable=True))
            # The name the model's enum_type gives its constraint.
            batch_op.create_check_constraint(
                op.f(f"ck_persons_{column}"), sa.column(column).in_(values)
            )
    _timeline_kinds(KINDS + OUTCOME_KINDS)


def downgrade():
    op.execute(
        "DELETE FROM timeline_entries WHERE kind IN "
        "('justice_event', 'monthly_status')"
    )
    _timeline_kinds(KINDS)
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for column in reversed(DEMOGRAPHICS):
            batch_op.drop_constraint(op.f(f"ck_persons_{column}"), type_="check")
            batch_op.drop_column(column)
    op.drop_table("monthly_statuses")
    op.drop_index("ix_justice_events_person_id_occurred_on", table_name="justice_events")
    op.drop_table("justice_events")
