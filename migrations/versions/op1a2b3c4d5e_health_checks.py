"""health_checks: the row /healthz rewrites to prove the database takes writes, not only reads

Revision ID: op1a2b3c4d5e
Revises: rl1a2b3c4d5e
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'op1a2b3c4d5e'
down_revision = 'rl1a2b3c4d5e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'health_checks',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_health_checks')),
    )


def downgrade():
    op.drop_table('health_checks')
