"""the administrator role split into case manager, program administrator and reports duties

users.role 'admin' becomes 'staff', and each existing administrator holds both the case manager
and the program administrator duty (what they could do before). A staff user holds at least one
duty; officers and provider staff hold none (check constraint staff_roles).

A downgrade makes every staff user an administrator again; one who did not hold both duties
would gain powers they never had, so they are deactivated instead (an administrator reactivates
them on purpose).

Revision ID: rl1a2b3c4d5e
Revises: hd1b2c3d4e5f
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'rl1a2b3c4d5e'
down_revision = 'hd1b2c3d4e5f'
branch_labels = None
depends_on = None

DUTIES = ('case_manager', 'program_admin', 'reports')


def _affiliation(office):
    return (
        "(role = 'officer' AND agency_id IS NOT NULL AND organization_id IS NULL)"
        " OR (role = 'provider' AND organization_id IS NOT NULL AND agency_id IS NULL)"
        f" OR (role = '{office}' AND agency_id IS NULL AND organization_id IS NULL)"
    )


def _constraints(batch_op, office):
    batch_op.create_check_constraint(
        op.f('ck_users_role'), sa.column('role').in_(['officer', 'provider', office])
    )
    batch_op.create_check_constraint(op.f('ck_users_role_affiliation'), sa.text(_affiliation(office)))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        for duty in DUTIES:
            batch_op.add_column(
                sa.Column(duty, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
        batch_op.drop_constraint(op.f('ck_users_role_affiliation'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
    op.execute(
        sa.text(
            "UPDATE users SET role = 'staff', case_manager = :yes, program_admin = :yes"
            " WHERE role = 'admin'"
        ).bindparams(yes=True)
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        _constraints(batch_op, 'staff')
        batch_op.create_check_constraint(
            op.f('ck_users_staff_roles'),
            sa.text("(role = 'staff') = (case_manager OR program_admin OR reports)"),
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_staff_roles'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_role_affiliation'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
    op.execute(
        sa.text(
            "UPDATE users SET active = :no"
            " WHERE role = 'staff' AND NOT (case_manager AND program_admin)"
        ).bindparams(no=False)
    )
    op.execute(sa.text("UPDATE users SET role = 'admin' WHERE role = 'staff'"))
    with op.batch_alter_table('users', schema=None) as batch_op:
        for duty in DUTIES:
            batch_op.drop_column(duty)
        _constraints(batch_op, 'admin')
