"""invitations by e-mail: one-time links (stored hashed) and their outbox e-mails

invitations holds each link an administrator sent: the SHA-256 of its token (never the token),
the salt the token is derived from with the secret key, who sent it, when it expires, and when
it was used or revoked. outbox_emails gains invitation_id: an outbox row now carries exactly one
of a notification, a digest or an invitation (its check constraint is recreated).

A downgrade deletes the invitations' outbox rows and the invitations themselves; invited users
who never accepted stay, inactive, with no usable password.

Revision ID: iv1a2b3c4d5e
Revises: op1a2b3c4d5e
Create Date: 2026-12-02 05:37:47.099025

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'iv1a2b3c4d5e'
down_revision = 'op1a2b3c4d5e'
branch_labels = None
depends_on = None


OLD_CHECK = 'ck_outbox_emails_one_notification_or_digest'
OLD_CHECK_TEXT = '(notification_id IS NULL) <> (digest_id IS NULL)'
NEW_CHECK = 'ck_outbox_emails_one_notification_digest_or_invitation'
NEW_CHECK_TEXT = (
    '(CASE WHEN notification_id IS NULL THEN 0 ELSE 1 END)'
    ' + (CASE WHEN digest_id IS NULL THEN 0 ELSE 1 END)'
    ' + (CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END) = 1'
)


def upgrade():
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_salt', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('used_at', portal.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', portal.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_invitations_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_user_id_id', ['user_id', 'id'], unique=False)

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_emails_invitation_id'), ['invitation_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_emails_invitation_id_invitations'), 'invitations', ['invitation_id'], ['id'])
        batch_op.drop_constraint(op.f(OLD_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(NEW_CHECK), sa.text(NEW_CHECK_TEXT))


def downgrade():
    op.execute('DELETE FROM outbox_emails WHERE invitation_id IS NOT NULL')
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NEW_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(OLD_CHECK), sa.text(OLD_CHECK_TEXT))
        batch_op.drop_constraint(batch_op.f('fk_outbox_emails_invitation_id_invitations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_emails_invitation_id'), type_='unique')
        batch_op.drop_column('invitation_id')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_user_id_id')

    op.drop_table('invitations')
