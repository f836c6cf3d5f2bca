"""the program settings row is created here, with the defaults, so no page has to write it

Revision ID: g7a1b2c3d4e5
Revises: i7a0c0f1d3e5
Create Date: 2026-11-29 09:00:00.000000

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'g7a1b2c3d4e5'
down_revision = 'i7a0c0f1d3e5'
branch_labels = None
depends_on = None

# The defaults as they were when this migration was written (frozen here on purpose: a later
# change to the model's defaults must not change what this migration did).
INTAKE_DEADLINE_DAYS = 30
ELIGIBILITY_ITEMS = [
    "The offence is a low-level drug or prostitution offence",
    "The person is 18 or older",
    "Drug quantity is under the program threshold (3 g)",
    "No sign of dealing above subsistence level",
    "No exploitation of minors or promotion of prostitution",
    "No disqualifying violent history known",
    "The person is willing to be contacted by the program",
]
EXCLUSION_REASONS = [
    "Drug quantity over the threshold",
    "Dealing above subsistence level",
    "Exploitation of minors",
    "Promoting prostitution",
    "Disqualifying violent history",
    "Under 18",
    "Outside the program's area",
    "Other (see note)",
]

settings = sa.table(
    'program_settings',
    sa.column('id', sa.Integer()),
    sa.column('intake_deadline_days', sa.Integer()),
    sa.column('eligibility_items', sa.JSON()),
    sa.column('exclusion_reasons', sa.JSON()),
    sa.column('updated_at', sa.DateTime()),
)


def upgrade():
    connection = op.get_bind()
    # A database that ran the earlier code may already have the row (made on a first visit).
    if connection.scalar(sa.select(sa.func.count()).select_from(settings)):
        return
    op.bulk_insert(settings, [{
        'intake_deadline_days': INTAKE_DEADLINE_DAYS,
        'eligibility_items': ELIGIBILITY_ITEMS,
        'exclusion_reasons': EXCLUSION_REASONS,
        'updated_at': dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }])


def downgrade():
    # Remove the row this migration made, but never rules an administrator has since changed:
    # the earlier code reads an existing row as it is, and would silently reset a deleted one.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(settings.c.id, settings.c.intake_deadline_days,
                  settings.c.eligibility_items, settings.c.exclusion_reasons)
    ).all()
    for row in rows:
        if (row.intake_deadline_days, row.eligibility_items, row.exclusion_reasons) == (
            INTAKE_DEADLINE_DAYS, ELIGIBILITY_ITEMS, EXCLUSION_REASONS
        ):
            connection.execute(sa.delete(settings).where(settings.c.id == row.id))
