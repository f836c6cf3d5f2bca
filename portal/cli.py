"""Command-line tasks: `flask --app portal create-admin`, `demo`, `bench-data`, `audit prune`,
`check-compliance`."""

from __future__ import annotations

import click
from flask import Flask

from portal.database import analyze
from portal.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    def create_admin(email: str, name: str) -> None:
        """Create an administrator (the password is asked for, never taken as an argument)."""
        from portal.models import Role, StaffRole
        from portal.services.accounts import create_user
        from portal.services.errors import ValidationFailed

        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            # Typed by the person at the terminal, who will use it: not one to change at sign-in.
            create_user(
                email=email,
                name=name,
                role=Role.STAFF,
                # The first account runs the office: both duties, until others are added.
                staff_roles=frozenset({StaffRole.PROGRAM_ADMIN, StaffRole.CASE_MANAGER}),
                password=password,
                must_change_password=False,
            )
        except ValidationFailed as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Administrator {email} created.")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when data exists.")
    def demo(if_empty: bool) -> None:
        """Seed a realistic Fayette County program into an empty database (never in production:
        its users' password is published)."""
        from portal.demo.program import database_is_empty, seed

        if app.config["PORTAL_ENV"] == "production":
            raise click.ClickException(
                "Demo data is never loaded with PORTAL_ENV=production: its administrators' "
                "password is public. Create the first administrator with `create-admin`."
            )
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

    @app.cli.command("bench-data")
    @click.option("--cases", type=click.IntRange(1, 10_000_000), required=True)
    @click.option(
        "--attendance",
        type=click.IntRange(0),
        default=None,
        help="About this many attendance rows [default: 50 a case].",
    )
    @click.option("--users", type=click.IntRange(20, 1_000_000), default=2000, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option("--years", type=click.IntRange(1, 30), default=5, show_default=True)
    @click.option("--force-append", is_flag=True, help="Add to a database that already holds data.")
    def bench_data(cases, attendance, users, seed, years, force_append) -> None:
        """Fill the database with a statewide program for `make bench` (never in production:
        its users' password is printed)."""
        from portal.bench_data import ATTENDANCE_PER_CASE, BENCH_PASSWORD, generate
        from portal.demo.program import database_is_empty

        if app.config["PORTAL_ENV"] == "production":
            raise click.ClickException(
                "Benchmark data is never loaded with PORTAL_ENV=production: its users' "
                "password is printed."
            )
        if not force_append and not database_is_empty():
            raise click.ClickException(
                "The database already holds data; refusing to add benchmark data to it "
                "(--force-append to add anyway)."
            )
        planned = cases + (ATTENDANCE_PER_CASE * cases if attendance is None else attendance)
        with click.progressbar(length=planned, label="Cases and attendance") as bar:
            summary = generate(cases, attendance, users, seed, years, progress=bar.update)
        analyze(db.session.connection())  # after a bulk load, as autovacuum would
        db.session.commit()
        for table, count in summary.counts.items():
            click.echo(f"  {table:<28} {count:>10,}")
        click.echo(f"\nBench sign-ins (password for all: {BENCH_PASSWORD})")
        for label, email in summary.signins.items():
            click.echo(f"  {label:<24} {email}")

    @app.cli.command("analyze")
    def analyze_command() -> None:
        """Refresh the query planner's statistics (SQLite has no autovacuum to do it: after a
        bulk load or import, and daily)."""
        analyze(db.session.connection())
        db.session.commit()
        click.echo("Planner statistics refreshed.")

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

    @app.cli.command("check-compliance")
    @click.option(
        "--batch-size",
        default=1000,
        show_default=True,
        type=click.IntRange(1, 10000),
        help="Open cases evaluated (and committed) together.",
    )
    def check_compliance(batch_size: int) -> None:
        """Evaluate the program's rules on every open case and raise flags for review.

        Safe from cron on any number of hosts at once: a breach raises one flag however often,
        or by how many evaluators, it is found.
        """
        check_all(batch_size, click.echo)


RETRIES = 3


def check_all(batch_size: int, echo) -> tuple[int, int]:
    """Evaluate every open case in batches (each committed), printing a line per batch;
    returns the flags (raised, resolved)."""
    from portal.clock import local_today
    from portal.database import begin_write
    from portal.services import compliance

    today = local_today()  # one day for the whole run, in the program's time zone
    rules = compliance.rule_settings()
    on = ", ".join(r.code.value for r in rules if r.enabled) or "none"
    echo(f"Checking open cases on {today.isoformat()}; rules on: {on}.")
    total, after = compliance.Outcome(), 0
    while True:
        batch = _with_retries(
            lambda after=after: compliance.evaluate_batch(after, batch_size, today, rules),
            begin_write,
        )
        if batch is None:
            break
        total += batch.outcome
        after = batch.last_id
        echo(
            f"cases {batch.first_id}-{batch.last_id}: {batch.cases} checked, "
            f"{batch.outcome.raised} flagged, {batch.outcome.resolved} resolved"
        )
    closed = _with_retries(compliance.resolve_closed_cases, begin_write)
    echo(
        f"Done: {total.raised} flag(s) raised, {total.resolved + closed} resolved. "
        "Flags wait in the review queue; nothing reaches an officer unless confirmed."
    )
    return total.raised, total.resolved + closed


def _with_retries(work, begin):
    """Run `work` in its own transaction and commit; a deadlock or a busy database (another
    evaluator on the same rows) rolls it back and tries again, a few times."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(1, RETRIES + 1):
        try:
            begin(db.session)
            result = work()
            db.session.commit()
            return result
        except OperationalError:
            db.session.rollback()
            if attempt == RETRIES:
                raise
    return None


def _print_signins() -> None:
    from portal.demo.program import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    from portal.models import Role, StaffRole

    for email, _name, roles, where in DEMO_USERS:
        role, _, duties = roles.partition(":")
        label = ", ".join(StaffRole(d).label for d in duties.split(",") if d) or Role(role).label
        click.echo(f"  {label:<38} {email:<34} {where}")
    click.echo("")
