"""user_sessions.authenticated_at: when the session last proved its user (password or code)

A sensitive action asks for the password again when this is older than REAUTH_AFTER. Sessions
that exist at the upgrade take their sign-in time (their password was checked then).

Revision ID: ra2b3c4d5e6f
Revises: ra1a2b3c4d5e
Create Date: 2026-12-03 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


# revision identifiers, used by Alembic.
revision = 'ra2b3c4d5e6f'
down_revision = 'ra1a2b3c4d5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('authenticated_at', portal.models.base.UTCDateTime(), nullable=True)
        )
    op.execute('UPDATE user_sessions SET authenticated_at = created_at')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.alter_column(
            'authenticated_at', existing_type=portal.models.base.UTCDateTime(), nullable=False
        )


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('authenticated_at')
