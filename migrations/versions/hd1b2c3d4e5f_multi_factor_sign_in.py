"""multi-factor sign-in: TOTP authenticators, one-time recovery codes, MFA audit actions

mfa_credentials holds a user's authenticator (written once a first code confirmed it) with the
newest accepted time step (replay guard) and the count of wrong codes in a row;
mfa_recovery_codes their hashed recovery codes. The audit trail gains the actions mfa_enrol,
mfa_verified, mfa_failed and mfa_reset: only its check constraint is recreated. SQLite rebuilds
the table for that, which drops its append-only triggers: they are read before and put back
exactly as they were.

A downgrade keeps the MFA audit rows under the nearest older action (object_type 'mfa'):
sign_in, sign_in_failed or change. It is the only UPDATE of the trail, with its guard lifted
for that statement alone.

Revision ID: hd1b2c3d4e5f
Revises: hc1a2b3c4d5e
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'hd1b2c3d4e5f'
down_revision = 'hc1a2b3c4d5e'
branch_labels = None
depends_on = None

ACTIONS = [
    'sign_in', 'sign_in_failed', 'sign_out', 'view_record', 'create', 'change', 'delete',
    'role_change', 'password_change', 'deactivate', 'reactivate', 'export', 'view_audit',
]
MFA_ACTIONS = {
    'mfa_enrol': 'change',
    'mfa_verified': 'sign_in',
    'mfa_failed': 'sign_in_failed',
    'mfa_reset': 'change',
}
ACTION_CHECK = 'ck_audit_events_auditaction'


def _audit_actions(actions, before=None):
    """Recreate the action check constraint (`before`: run first, with the guard lifted)."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        if before:
            op.execute('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only')
            before()
            op.execute('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only')
        with op.batch_alter_table('audit_events', schema=None) as batch_op:
            batch_op.drop_constraint(op.f(ACTION_CHECK), type_='check')
            batch_op.create_check_constraint(op.f(ACTION_CHECK), sa.column('action').in_(actions))
        return
    triggers = bind.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
    ).all()
    for name, _sql in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    if before:
        before()
    with op.batch_alter_table('audit_events', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(op.f(ACTION_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(ACTION_CHECK), sa.column('action').in_(actions))
    for _name, sql in triggers:
        op.execute(sql)


def upgrade():
    op.create_table('mfa_credentials',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('confirmed_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.Column('failed_codes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_credentials_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mfa_credentials'))
    )
    op.create_table('mfa_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', portal.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_recovery_codes'))
    )
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.create_index('ix_mfa_recovery_codes_user_id_code_hash', ['user_id', 'code_hash'], unique=False)

    _audit_actions(ACTIONS + list(MFA_ACTIONS))


def _keep_mfa_rows():
    for action, older in MFA_ACTIONS.items():
        op.execute(
            sa.text(
                "UPDATE audit_events SET action = :older, object_type = 'mfa' WHERE action = :action"
            ).bindparams(older=older, action=action)
        )


def downgrade():
    _audit_actions(ACTIONS, before=_keep_mfa_rows)
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_mfa_recovery_codes_user_id_code_hash')

    op.drop_table('mfa_recovery_codes')
    op.drop_table('mfa_credentials')
