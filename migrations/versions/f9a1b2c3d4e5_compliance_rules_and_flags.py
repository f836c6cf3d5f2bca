"""program rules as data, and the compliance flags their breaches raise

The rules are seeded: the intake deadline on (each case's own deadline), no contact for 30 days
and 3 consecutive missed sessions off. A flag is unique while open per case and rule, and per
breach unless resolved (partial unique indexes, on SQLite and PostgreSQL alike).

Revision ID: f9a1b2c3d4e5
Revises: s8d4c1a7e2b9
Create Date: 2026-12-02 09:00:00.000000

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f9a1b2c3d4e5'
down_revision = 's8d4c1a7e2b9'
branch_labels = None
depends_on = None

CODES = ('intake_deadline', 'no_contact', 'missed_sessions')
STATUSES = ('open', 'dismissed', 'confirmed', 'resolved')
# The defaults as they were when this migration was written (frozen here on purpose).
RULES = [
    ('intake_deadline', True, None),
    ('no_contact', False, 30),
    ('missed_sessions', False, 3),
]


def upgrade():
    op.create_table('compliance_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Enum(*CODES, name='code', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('parameter', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_rules')),
    sa.UniqueConstraint('code', name=op.f('uq_compliance_rules_code'))
    )
    op.create_table('compliance_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.Enum(*CODES, name='rule', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('breach_key', sa.String(length=80), nullable=False),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('raised_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum(*STATUSES, name='flagstatus', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.models.base.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_compliance_flags_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_compliance_flags_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_flags'))
    )
    with op.batch_alter_table('compliance_flags', schema=None) as batch_op:
        batch_op.create_index(
            'ix_compliance_flags_open_raised', ['raised_at', 'id'], unique=False,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.create_index(
            'uq_compliance_flags_breach', ['case_id', 'rule', 'breach_key'], unique=True,
            sqlite_where=sa.text("status <> 'resolved'"),
            postgresql_where=sa.text("status <> 'resolved'"),
        )
        batch_op.create_index(
            'uq_compliance_flags_open', ['case_id', 'rule'], unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.bulk_insert(
        sa.table(
            'compliance_rules',
            sa.column('code', sa.String()),
            sa.column('enabled', sa.Boolean()),
            sa.column('parameter', sa.Integer()),
            sa.column('updated_at', sa.DateTime()),
        ),
        [
            {'code': code, 'enabled': enabled, 'parameter': parameter, 'updated_at': now}
            for code, enabled, parameter in RULES
        ],
    )


def downgrade():
    with op.batch_alter_table('compliance_flags', schema=None) as batch_op:
        batch_op.drop_index('uq_compliance_flags_open')
        batch_op.drop_index('uq_compliance_flags_breach')
        batch_op.drop_index('ix_compliance_flags_open_raised')

    op.drop_table('compliance_flags')
    op.drop_table('compliance_rules')
