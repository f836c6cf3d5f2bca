"""Office referrals and person merges: the referral types the office enters, a case without an
officer (its source recorded instead), and a merge of two person records waiting to be confirmed

Revision ID: pp1a2b3c4d5e
Revises: cm1a2b3c4d5e
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "pp1a2b3c4d5e"
down_revision = "cm1a2b3c4d5e"
branch_labels = None
depends_on = None

TYPES = ["arrest_diversion", "social_contact", "community"]
OFFICE_TYPES = ["family", "self", "phone_call"]
TYPE_CHECK = "ck_cases_referraltype"


def _referral_types(batch_op, types):
    batch_op.drop_constraint(op.f(TYPE_CHECK), type_="check")
    batch_op.create_check_constraint(op.f(TYPE_CHECK), sa.column("referral_type").in_(types))


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("source_contact", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("source_note", sa.String(length=500), nullable=True))
        batch_op.alter_column("officer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("agency_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_entered_by_id_users"), "users", ["entered_by_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            "uq_cases_entered_by_submission_key", ["entered_by_id", "submission_key"]
        )
        _referral_types(batch_op, TYPES + OFFICE_TYPES)

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("merged_at", portal.models.base.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_persons_merged_into_id"), ["merged_into_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_merged_into_id_persons"), "persons", ["merged_into_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_merged_by_id_users"), "users", ["merged_by_id"], ["id"]
        )


def downgrade():
    # Office referrals have no officer to keep: they cannot survive the older schema.
    op.execute("DELETE FROM cases WHERE officer_id IS NULL OR agency_id IS NULL")
    op.execute("DELETE FROM cases WHERE referral_type IN ('family', 'self', 'phone_call')")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_persons_merged_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_persons_merged_into_id_persons"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_persons_merged_into_id"))
        batch_op.drop_column("merged_at")
        batch_op.drop_column("merged_by_id")
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        _referral_types(batch_op, TYPES)
        batch_op.drop_constraint("uq_cases_entered_by_submission_key", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_cases_entered_by_id_users"), type_="foreignkey")
        batch_op.alter_column("agency_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("officer_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("source_note")
        batch_op.drop_column("source_contact")
        batch_op.drop_column("source_name")
        batch_op.drop_column("entered_by_id")
