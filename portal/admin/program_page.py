"""The program's page: administrators edit what the public page and the officers' resource
page say (beside the program settings)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.program_forms import ProgramPageForm
from portal.auth.permissions import allowed_for
from portal.services.program_page import (
    DEFAULTS,
    LABELS,
    get_program_page,
    recent_changes,
    update_program_page,
)
from portal.web.changes import run_change
from portal.web.htmx import render


def _saved(changed: list[str]) -> str:
    if not changed:
        return "Nothing was changed."
    return "Program page saved. Changed: " + ", ".join(changed) + "."


@bp.route("/settings/program-page", methods=["GET", "POST"])
@allowed_for(policy.can_manage_settings)
def program_page():
    """The public page's text and contact, the on-call number and what officers tell people."""
    if request.method == "GET":
        current = get_program_page()
        form = ProgramPageForm(
            formdata=None, data={name: getattr(current, name) for name in DEFAULTS}
        )
        return render("admin/program_page.html", form=form, changes=recent_changes(), labels=LABELS)
    form = ProgramPageForm()

    def refused(status: int, error: str | None):
        return render(
            "admin/program_page.html",
            status=status,
            form=form,
            error=error,
            changes=recent_changes(),
            labels=LABELS,
        )

    def done(changed: list[str]):
        flash(_saved(changed), "success")
        return redirect(url_for("admin.program_page"))

    return run_change(
        form,
        lambda: update_program_page(current_user, **form.values()),
        refused=refused,
        done=done,
    )
