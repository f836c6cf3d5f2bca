"""the audit trail: an append-only audit_events table and the audit retention setting

On PostgreSQL a trigger refuses every UPDATE of an audit row, and every DELETE except by the
prune command (which sets `portal.audit_prune` for its transaction) of a row older than the
retention. SQLite gets triggers with the same rule, less the flag (it has no session settings).

Revision ID: a8c1d2e3f4a5
Revises: c8a1b2c3d4e5
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8c1d2e3f4a5'
down_revision = 'c8a1b2c3d4e5'
branch_labels = None
depends_on = None

ACTIONS = (
    'sign_in', 'sign_in_failed', 'sign_out', 'view_record', 'create', 'change', 'delete',
    'role_change', 'password_change', 'deactivate', 'reactivate', 'export', 'view_audit',
)
OUTCOMES = ('ok', 'refused', 'failed')

RETENTION = "(SELECT audit_retention_days FROM program_settings ORDER BY id LIMIT 1)"

POSTGRES_UP = f"""
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('portal.audit_prune', true) = 'on'
       AND OLD.at < (now() AT TIME ZONE 'UTC') - make_interval(days => {RETENTION})
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
DROP FUNCTION IF EXISTS audit_events_append_only();
"""

SQLITE_UP = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN OLD.at >= datetime('now', '-' || COALESCE({RETENTION}, 2190) || ' days')
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
]


def upgrade():
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('audit_retention_days', sa.Integer(), server_default='2190', nullable=False)
        )

    op.create_table(
        'audit_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column(
            'action',
            sa.Enum(*ACTIONS, name='auditaction', native_enum=False, length=23,
                    create_constraint=True),
            nullable=False,
        ),
        sa.Column('object_type', sa.String(length=40), nullable=True),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column(
            'outcome',
            sa.Enum(*OUTCOMES, name='auditoutcome', native_enum=False, length=15,
                    create_constraint=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    )
    op.create_index('ix_audit_events_at', 'audit_events', ['at'], unique=False)
    op.create_index('ix_audit_events_case_id_id', 'audit_events', ['case_id', 'id'], unique=False)
    op.create_index('ix_audit_events_user_id_id', 'audit_events', ['user_id', 'id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRES_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRES_DOWN)
    op.drop_index('ix_audit_events_user_id_id', table_name='audit_events')
    op.drop_index('ix_audit_events_case_id_id', table_name='audit_events')
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.drop_table('audit_events')  # SQLite drops the table's triggers with it
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_column('audit_retention_days')
