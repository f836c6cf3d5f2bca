"""mfa_credentials.secret encrypted at rest: a Fernet token instead of the base32 secret

The column widens from 64 to 255 characters (a token of a 32-character secret is 140), and each
stored secret is encrypted with the app's key (MFA_ENCRYPTION_KEY, or outside production the
key derived from SECRET_KEY: portal/encryption.py). A downgrade decrypts them with the same key
and narrows the column again; a secret that does not decrypt stops it before anything changes.

Revision ID: ra1a2b3c4d5e
Revises: iv1a2b3c4d5e
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from portal import encryption


# revision identifiers, used by Alembic.
revision = 'ra1a2b3c4d5e'
down_revision = 'iv1a2b3c4d5e'
branch_labels = None
depends_on = None

credentials = sa.table(
    'mfa_credentials', sa.column('user_id', sa.Integer()), sa.column('secret', sa.String())
)


def _rewrite(change):
    """Every stored secret replaced by `change(secret)`, all computed before the first write."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(credentials.c.user_id, credentials.c.secret)).all()
    new = [(user_id, change(secret)) for user_id, secret in rows]
    for user_id, secret in new:
        bind.execute(
            credentials.update().where(credentials.c.user_id == user_id).values(secret=secret)
        )


def upgrade():
    with op.batch_alter_table('mfa_credentials', schema=None) as batch_op:
        batch_op.alter_column(
            'secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
            existing_nullable=False,
        )
    _rewrite(lambda secret: encryption.encrypt(secret, current_app.config))


def downgrade():
    _rewrite(lambda token: encryption.decrypt(token, current_app.config))
    with op.batch_alter_table('mfa_credentials', schema=None) as batch_op:
        batch_op.alter_column(
            'secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
            existing_nullable=False,
        )
