"""consent_documents: the signed scans of consents, kept in the database

App servers are stateless (all state lives in the database), so the scans are stored as bytes
in a table of their own, never on a server's disk.

Revision ID: s8d4c1a7e2b9
Revises: e9a1b2c3d4e5
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401


# revision identifiers, used by Alembic.
revision = 's8d4c1a7e2b9'
down_revision = 'e9a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', portal.models.base.UTCDateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_documents_consent_id_consents')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_consent_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_documents'))
    )
    with op.batch_alter_table('consent_documents', schema=None) as batch_op:
        batch_op.create_index('ix_consent_documents_consent_id_id', ['consent_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('consent_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_documents_consent_id_id')

    op.drop_table('consent_documents')
