"""coded exit reasons (with a note), and the held charge's filing date

Free-text exit reasons become codes without loss: an obvious text is coded ("moved" is moved
away, "died" or "deceased" died, "withdr" withdrew; every completed case is completed), and any
text that is not exactly the code's label is kept in the new exit_note; a text that fits no code
becomes "other" with the text as its note. Downgrade writes the text back.

Arrest diversion cases get the date by which the held charge must be filed: the incident's
local date (the referral's when none) plus the new charge_filing_days setting (365).

Revision ID: e9a1b2c3d4e5
Revises: a8c1d2e3f4a5
Create Date: 2026-12-03 09:00:00.000000

"""
import datetime as dt
import re

from alembic import op
import sqlalchemy as sa

from portal.clock import program_tz


# revision identifiers, used by Alembic.
revision = 'e9a1b2c3d4e5'
down_revision = 'a8c1d2e3f4a5'
branch_labels = None
depends_on = None

# Frozen here on purpose: a later change of the model's labels must not change this migration.
LABELS = {
    'completed': 'Completed the program',
    'withdrew': 'Withdrew',
    'moved_away': 'Moved away',
    'died': 'Died',
    'non_compliant_confirmed': 'Non-compliance confirmed',
    'other': 'Other',
}
CHARGE_FILING_DAYS = 365
EXIT_CHECK = 'ck_cases_exitreason'
CLOSED = ('completed', 'withdrawn', 'non_compliant')

cases = sa.table(
    'cases',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('referral_type', sa.String()),
    sa.column('occurred_at', sa.DateTime()),
    sa.column('referred_at', sa.DateTime()),
    sa.column('exit_reason', sa.String()),
    sa.column('exit_note', sa.Text()),
    sa.column('charge_file_by', sa.Date()),
)


def code_of(text, status):
    """The code an old free-text reason gets on a case of this status, and the note kept."""
    text = (text or '').strip()
    lowered = text.lower()
    if status == 'completed':
        code = 'completed'  # the one code a completed case can have
    elif status == 'non_compliant':
        code = 'non_compliant_confirmed'
    elif re.search(r'\b(died|deceased)\b', lowered):
        code = 'died'
    elif re.search(r'\bmoved\b', lowered):
        code = 'moved_away'
    elif re.search(r'\bwithdr', lowered) or not text:
        code = 'withdrew'
    else:
        code = 'other'
    return code, ('' if text == LABELS[code] else text)


def text_of(code, note, status):
    """The free text a coded reason goes back to: the original text where the upgrade kept it
    as the note, else the label (with the note)."""
    if not note:
        return LABELS[code]
    if code == 'other' or code_of(note, status)[0] == code:
        return note[:255]
    return f'{LABELS[code]}: {note}'[:255]


def _update(connection, rows):
    """Set each case's given columns ({'case_id': ..., column: value, ...}), in one round trip."""
    if not rows:
        return
    columns = [key for key in rows[0] if key != 'case_id']
    statement = (
        sa.update(cases)
        .where(cases.c.id == sa.bindparam('case_id'))
        .values({column: sa.bindparam(f'new_{column}') for column in columns})
    )
    connection.execute(
        statement,
        [{'case_id': row['case_id'], **{f'new_{c}': row[c] for c in columns}} for row in rows],
    )


def _local_date(value):
    return value.replace(tzinfo=dt.UTC).astimezone(program_tz()).date()


def upgrade():
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'charge_filing_days', sa.Integer(), server_default=str(CHARGE_FILING_DAYS),
            nullable=False,
        ))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exit_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('charge_file_by', sa.Date(), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.status, cases.c.exit_reason).where(
            sa.or_(cases.c.exit_reason.is_not(None), cases.c.status.in_(CLOSED))
        )
    ).all()
    exits = []
    for row in rows:
        code, note = code_of(row.exit_reason, row.status)
        exits.append({'case_id': row.id, 'exit_reason': code, 'exit_note': note})
    _update(connection, exits)

    rows = connection.execute(
        sa.select(cases.c.id, cases.c.occurred_at, cases.c.referred_at).where(
            cases.c.referral_type == 'arrest_diversion'
        )
    ).all()
    deadlines = [
        {
            'case_id': row.id,
            'charge_file_by': _local_date(row.occurred_at or row.referred_at)
            + dt.timedelta(days=CHARGE_FILING_DAYS),
        }
        for row in rows
    ]
    _update(connection, deadlines)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column(
            'exit_reason', existing_type=sa.String(length=255), type_=sa.String(length=31),
            existing_nullable=True,
        )
        batch_op.create_check_constraint(
            op.f(EXIT_CHECK), sa.column('exit_reason').in_(list(LABELS))
        )


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(EXIT_CHECK), type_='check')
        batch_op.alter_column(
            'exit_reason', existing_type=sa.String(length=31), type_=sa.String(length=255),
            existing_nullable=True,
        )

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.status, cases.c.exit_reason, cases.c.exit_note).where(
            cases.c.exit_reason.is_not(None)
        )
    ).all()
    _update(connection, [
        {'case_id': row.id, 'exit_reason': text_of(row.exit_reason, row.exit_note, row.status)}
        for row in rows
    ])

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('charge_file_by')
        batch_op.drop_column('exit_note')
    # Not a batch: on SQLite that would rebuild the table, which the audit triggers (they read
    # the retention from it) forbid; SQLite drops a column in place since 3.35.
    op.drop_column('program_settings', 'charge_filing_days')
