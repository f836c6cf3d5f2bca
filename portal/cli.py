"""Command-line tasks: `flask --app portal create-admin`, `demo`, `audit prune`."""

from __future__ import annotations

import click
from flask import Flask

from portal.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    def create_admin(email: str, name: str) -> None:
        """Create an administrator (the password is asked for, never taken as an argument)."""
        from portal.models import Role
        from portal.services.accounts import create_user
        from portal.services.errors import ValidationFailed

        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            create_user(email=email, name=name, role=Role.ADMIN, password=password)
        except ValidationFailed as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Administrator {email} created.")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when data exists.")
    def demo(if_empty: bool) -> None:
        """Seed a realistic Fayette County program into an empty database."""
        from portal.demo.program import database_is_empty, seed

        if not database_is_empty():
            if if_empty:
                click.echo("The database already holds data; demo data not loaded.")
                _print_signins()
                return
            raise click.ClickException("The database already holds data; refusing to seed it.")
        seed()
        db.session.commit()
        click.echo("Demo data loaded.")
        _print_signins()

    @app.cli.group("audit")
    def audit_group() -> None:
        """The audit trail."""

    @audit_group.command("prune")
    def audit_prune() -> None:
        """Delete audit rows older than the retention setting (Settings; default six years)."""
        from portal.services.audit import prune

        removed = prune()
        db.session.commit()
        click.echo(
            f"{removed} audit row{'' if removed == 1 else 's'} older than the retention deleted."
        )


def _print_signins() -> None:
    from portal.demo.program import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    for email, _name, role, where in DEMO_USERS:
        click.echo(f"  {role:<9} {email:<34} {where}")
    click.echo("")
