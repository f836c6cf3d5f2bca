"""The program's public page and the officers' hand-off text: one row, written when an
administrator first saves it (until then the program's own description is shown); and its
history, one row per save that changed it (who, when, which fields).

Revision ID: pp7c1e2a9d40
Revises: hs1a2b3c4d5e
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "pp7c1e2a9d40"
down_revision = "hs1a2b3c4d5e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "program_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("how_referral_works", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=255), nullable=False),
        sa.Column("on_call_phone", sa.String(length=40), nullable=False),
        sa.Column("handoff_text", sa.Text(), nullable=False),
        sa.Column("updated_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_pages")),
        # One page: its row is always id 1, so two first saves at once cannot make two.
        sa.CheckConstraint("id = 1", name=op.f("ck_program_pages_single_row")),
    )
    op.create_table(
        "program_page_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_program_page_changes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_page_changes")),
    )
    with op.batch_alter_table("program_page_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_program_page_changes_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("program_page_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_page_changes_user_id"))
    op.drop_table("program_page_changes")
    op.drop_table("program_pages")
