"""Kinds of service: episode, scheduled or drop-in, on each service of the directory.

Existing services keep their referrals and attendance; each takes the kind its category says:
detoxification and crisis stabilisation are episodes, harm reduction is drop-in (which holds no
places: its capacity is cleared), everything else is scheduled, as every service was until now.

Revision ID: sk1a2b3c4d5e
Revises: pp1a2b3c4d5e
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "sk1a2b3c4d5e"
down_revision = "pp1a2b3c4d5e"
branch_labels = None
depends_on = None

services = sa.table(
    "services",
    sa.column("category", sa.String),
    sa.column("kind", sa.String),
    sa.column("capacity_max", sa.Integer),
    sa.column("capacity_available", sa.Integer),
)
EPISODE_CATEGORIES = ["detox", "crisis_stabilization"]
DROP_IN_CATEGORIES = ["harm_reduction"]
KIND_CHECK = "ck_services_servicekind"  # the name the model's enum_type gives its constraint


def upgrade():
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=17), server_default="scheduled", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f(KIND_CHECK), sa.column("kind").in_(["episode", "scheduled", "drop_in"])
        )
    op.execute(
        services.update()
        .where(services.c.category.in_(EPISODE_CATEGORIES))
        .values(kind="episode")
    )
    op.execute(
        services.update()
        .where(services.c.category.in_(DROP_IN_CATEGORIES))
        .values(kind="drop_in", capacity_max=None, capacity_available=0)
    )


def downgrade():
    # A drop-in service had no places: it goes back to a service with none free.
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.drop_column("kind")
