"""The office's answer to a possible match on a case page: link the referral to the earlier record
of the same person, or keep the two apart."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.case_page import case_page, load_case, matches_section
from portal.admin.forms import KeepApartForm, LinkPersonForm
from portal.auth.permissions import allowed_for
from portal.services import person_matches
from portal.web.changes import answer, run_change, save_page


@bp.post("/cases/<int:case_id>/matches/<int:person_id>/link")
@allowed_for(policy.can_manage_case)
def link_person(case_id: int, person_id: int):
    """The referral is of the same person as an earlier record: the case moves to it.

    A whole-page form: the name, the details and every versioned form on the page change.
    """
    case = load_case(case_id)
    form = LinkPersonForm(prefix=f"link-{person_id}")
    return save_page(
        form,
        lambda: person_matches.link_person(
            case, current_user, person_id, form.version_number, bool(form.copy_details.data)
        ),
        lambda error: case_page(
            load_case(case_id),
            matches_error=error or form.hidden_errors,
            link_form=form,
            link_form_id=person_id,
        ),
        "Linked: this referral is now on the earlier record of the same person.",
        lambda _: url_for("admin.case_detail", case_id=case_id),
    )


@bp.post("/cases/<int:case_id>/matches/<int:person_id>/keep-apart")
@allowed_for(policy.can_manage_case)
def keep_apart(case_id: int, person_id: int):
    """A possible match is a different person: it is not offered again."""
    case = load_case(case_id)
    form = KeepApartForm()
    success = "Kept apart: that record is not offered as a match again."

    def refused(status: int, error: str | None):
        return matches_section(
            load_case(case_id), status, matches_error=error or form.hidden_errors
        )

    def done(_):
        return answer(
            success,
            url_for("admin.case_detail", case_id=case_id, _anchor="matches"),
            lambda: matches_section(load_case(case_id), matches_message=success),
            "timeline-changed",
        )

    return run_change(
        form,
        lambda: person_matches.keep_apart(case, current_user, person_id, form.version_number),
        refused=refused,
        done=done,
    )
