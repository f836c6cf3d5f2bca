"""a referral submission makes one case; attendance corrections check the version they saw

Revision ID: i7a0c0f1d3e5
Revises: c6909362ea3a
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i7a0c0f1d3e5'
down_revision = 'c6909362ea3a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(
            'uq_cases_officer_submission_key', ['officer_id', 'submission_key']
        )

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_cases_officer_submission_key', type_='unique')
        batch_op.drop_column('submission_key')
