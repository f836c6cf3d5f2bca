"""Directory file commands: `flask --app portal directory export [-o FILE]` and
`directory import FILE` (HSDS 3.0 JSON; see README, "The directory as an HSDS file")."""

from __future__ import annotations

import click
from flask import Flask, current_app

from portal.extensions import db
from portal.models import AuditAction


def init_app(app: Flask) -> None:
    @app.cli.group("directory")
    def directory_group() -> None:
        """The service directory as an Open Referral HSDS 3.0 file."""

    @directory_group.command("export")
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        help="Write the file here [default: standard output].",
    )
    def export_command(output: str | None) -> None:
        """Write the directory (organisations and their services) as HSDS 3.0 JSON."""
        from portal.services import audit, hsds

        text = hsds.dumps(hsds.export_directory())
        audit.record(AuditAction.EXPORT, object_type="directory")
        db.session.commit()
        if output is None:
            click.echo(text, nl=False)
            return
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
        click.echo(f"Directory written to {output}.", err=True)

    @directory_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
    def import_command(path: str) -> None:
        """Create or update organisations and services from an HSDS 3.0 JSON file, by their
        identifiers; a file with any problem changes nothing (each problem is listed)."""
        from portal.services.directory_checks import COMMAND_LINE
        from portal.services.hsds_import import ImportRefused, import_directory, parse

        limit = current_app.config["HSDS_MAX_BYTES"]
        with open(path, "rb") as file:
            content = file.read(limit + 1)
        try:
            result = import_directory(COMMAND_LINE, parse(content, limit))
        except ImportRefused as refused:
            db.session.rollback()
            click.echo(
                f"The file was refused; nothing was changed. {len(refused.problems)} problem(s):",
                err=True,
            )
            for problem in refused.problems:
                click.echo(f"  {problem}", err=True)
            raise SystemExit(1) from None
        db.session.commit()
        if not result.changed:
            click.echo("Nothing changed: the directory already holds what the file says.")
            return
        click.echo(f"{len(result.changes)} change(s):")
        for line in result.changes:
            click.echo(f"  {line}")
