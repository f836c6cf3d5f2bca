"""The program's public page and the officers' hand-off text: one row, written when an
administrator first saves it (until then the program's own description is shown).

Revision ID: pp7c1e2a9d40
Revises: bx2b3c4d5e6f
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "pp7c1e2a9d40"
down_revision = "bx2b3c4d5e6f"
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
    )


def downgrade():
    op.drop_table("program_pages")
