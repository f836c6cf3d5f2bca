"""notifications to officers: the inbox, the e-mail outbox, daily digests, e-mail preferences

A notification is written with the timeline entry that causes it; its e-mail waits in
outbox_emails for `flask send-notifications` (claimed with a lease, retried with backoff). One
digest an officer a local day (unique user_id, day). The header's unread count reads the partial
index ix_notifications_unread.

Revision ID: n9a1b2c3d4e5
Revises: d8a1b2c3d4e5
Create Date: 2026-12-02 02:20:38.101182

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'n9a1b2c3d4e5'
down_revision = 'd8a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digests')),
    sa.UniqueConstraint('user_id', 'day', name='uq_digests_user_id_day')
    )
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('immediate', 'digest', 'none', name='mode', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('updated_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('referral_received', 'referral_accepted', 'referral_declined', 'intake_completed', 'assessment_recorded', 'contact_recorded', 'service_referred', 'service_accepted', 'service_declined', 'service_completed', 'service_ended', 'engaged_in_services', 'attendance_recorded', 'attendance_corrected', 'case_completed', 'case_withdrawn', 'case_non_compliant', 'case_updated', 'consent_recorded', 'consent_revoked', 'person_linked', 'persons_kept_apart', name='notification_kind', native_enum=False, create_constraint=True, length=28), nullable=False),
    sa.Column('email', sa.Enum('immediate', 'digest', 'none', name='email', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('read_at', portal.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], name=op.f('fk_notifications_digest_id_digests')),
    sa.ForeignKeyConstraint(['entry_id'], ['timeline_entries.id'], name=op.f('fk_notifications_entry_id_timeline_entries')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'entry_id', name='uq_notifications_user_id_entry_id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_digest_id', ['digest_id'], unique=False)
        batch_op.create_index('ix_notifications_unread', ['user_id', 'id'], unique=False, postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
        batch_op.create_index('ix_notifications_user_id_created_at', ['user_id', 'created_at', 'id'], unique=False)

    op.create_table('outbox_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', 'withheld', name='outboxstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('claimed_until', portal.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=120), nullable=True),
    sa.Column('sent_at', portal.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(notification_id IS NULL) <> (digest_id IS NULL)', name=op.f('ck_outbox_emails_one_notification_or_digest')),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], name=op.f('fk_outbox_emails_digest_id_digests')),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_outbox_emails_notification_id_notifications')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_emails_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_emails')),
    sa.UniqueConstraint('digest_id', name=op.f('uq_outbox_emails_digest_id')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_outbox_emails_notification_id'))
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_emails_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_status_next_attempt_at')

    op.drop_table('outbox_emails')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id_created_at')
        batch_op.drop_index('ix_notifications_unread', postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notifications_digest_id')

    op.drop_table('notifications')
    op.drop_table('notification_preferences')
    op.drop_table('digests')
