"""HSDS identifiers: a UUID for each organisation, service and weekly session, so the
directory file (HSDS 3.0) names the same rows at every export and an import updates them.

Revision ID: hs1a2b3c4d5e
Revises: ar2b3c4d5e6f
Create Date: 2026-12-02

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "hs1a2b3c4d5e"
down_revision = "ar2b3c4d5e6f"
branch_labels = None
depends_on = None

TABLES = ("organizations", "services", "service_schedules")


def upgrade():
    connection = op.get_bind()
    for table in TABLES:
        # Added empty, filled with a UUID per existing row, then required and unique (a
        # constant server default could not be unique).
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("hsds_id", sa.String(length=36), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("hsds_id", sa.String))
        ids = connection.execute(sa.select(rows.c.id)).scalars().all()
        for row_id in ids:
            connection.execute(
                rows.update().where(rows.c.id == row_id).values(hsds_id=str(uuid.uuid4()))
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("hsds_id", existing_type=sa.String(length=36), nullable=False)
            batch_op.create_unique_constraint(op.f(f"uq_{table}_hsds_id"), ["hsds_id"])


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"uq_{table}_hsds_id"), type_="unique")
            batch_op.drop_column("hsds_id")
