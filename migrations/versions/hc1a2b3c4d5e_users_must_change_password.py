"""users.must_change_password: a password an administrator set is changed at the next sign-in

Existing users are not marked (their passwords were set before the rule; the demo's users must
still sign in directly).

Revision ID: hc1a2b3c4d5e
Revises: hb1a2b3c4d5e
Create Date: 2026-12-02 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'hc1a2b3c4d5e'
down_revision = 'hb1a2b3c4d5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
