"""The office's person page (every referral of one person, open or closed), the merge of two
person records (waiting for confirmation, reversible until then), and referrals the office
enters itself."""

from __future__ import annotations

import datetime as dt

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal import policy
from portal.admin import bp
from portal.admin.forms import OfficeReferralForm, PersonMergeForm
from portal.auth.permissions import allowed_for, get_person_or_404
from portal.extensions import db
from portal.models import Case, Person
from portal.services import person_matches
from portal.services.paging import Key, capped_count, keyset_page
from portal.services.same_person import OPEN_STATUSES
from portal.web.changes import save_page
from portal.web.htmx import render
from portal.web.referrals import referral_page

REFERRAL_KEYS = [Key(Case.referred_at, dt.datetime, True), Key(Case.id, int, True)]


def _page(person: Person, status: int = 200, error: str | None = None):
    """The person page: the record, its merges, every referral (a page at a time, newest
    first, with those of records waiting to be merged into it) and its possible matches."""
    merged_in = person_matches.merges_into(person.id)
    merged_into = db.session.get(Person, person.merged_into_id) if person.merged_into_id else None
    people = [person.id, *(p.id for p in merged_in)]
    query = (
        select(Case)
        .where(Case.person_id.in_(people))
        .options(joinedload(Case.agency), joinedload(Case.officer))
    )
    page = keyset_page(
        query, REFERRAL_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"]
    )
    open_count = db.session.scalar(
        select(func.count(Case.id)).where(
            Case.person_id.in_(people), Case.status.in_(OPEN_STATUSES)
        )
    )
    matches = [] if merged_into else list(db.session.scalars(person_matches.matches_of(person.id)))
    response = render(
        "admin/person.html",
        person=person,
        merged_into=merged_into,
        merged_in=merged_in,
        page=page,
        total=capped_count(query, Case.id),
        open_count=open_count,
        matches=[m for m in matches if m.merged_into_id is None],
        form=PersonMergeForm(formdata=None),
        error=error,
    )
    response.status_code = status
    return response


@bp.get("/people/<int:person_id>")
@allowed_for(policy.can_manage_case)
def person_detail(person_id: int):
    """One person: their details and every referral of them, open or closed."""
    return _page(get_person_or_404(person_id, current_user))


def _merge_change(person_id: int, change, success: str, next_person):
    form = PersonMergeForm()
    return save_page(
        form,
        change,
        lambda error: _page(
            get_person_or_404(person_id, current_user),
            error=error or "This form was out of date: try again.",
        ),
        success,
        lambda result: url_for("admin.person_detail", person_id=next_person(result)),
    )


@bp.post("/people/<int:person_id>/merge/<int:other_id>")
@allowed_for(policy.can_manage_case)
def merge_person(person_id: int, other_id: int):
    """Another record is the same person as this one: it is merged into this one, waiting for
    a confirmation (until then nothing moves, and the merge can be undone)."""
    get_person_or_404(person_id, current_user)
    return _merge_change(
        person_id,
        lambda: person_matches.merge_person(current_user, other_id, person_id),
        "Merged, waiting for confirmation: its referrals are shown here; confirm or undo it.",
        lambda _: person_id,
    )


@bp.post("/people/<int:person_id>/merge/confirm")
@allowed_for(policy.can_manage_case)
def confirm_merge(person_id: int):
    """The merge of this record is confirmed: its referrals move to the record kept, and this
    record is deleted."""
    get_person_or_404(person_id, current_user)
    return _merge_change(
        person_id,
        lambda: person_matches.confirm_merge(current_user, person_id),
        "Merge confirmed: the referrals are now on one record.",
        lambda kept: kept.id,
    )


@bp.post("/people/<int:person_id>/merge/undo")
@allowed_for(policy.can_manage_case)
def undo_merge(person_id: int):
    """The merge was a mistake: the two records stand apart as before."""
    get_person_or_404(person_id, current_user)
    return _merge_change(
        person_id,
        lambda: person_matches.undo_merge(current_user, person_id),
        "Merge undone: the two records stand as before.",
        lambda _: person_id,
    )


@bp.route("/referrals/new", methods=["GET", "POST"])
@allowed_for(policy.can_manage_case)
def office_referral():
    """A referral that came to the office (a community member, a family, the person, a phone
    call), entered by a case manager through the same rules as an officer's."""
    return referral_page(
        OfficeReferralForm,
        "admin/referral_form.html",
        "Referral entered: it is in the queue for screening.",
        lambda case: url_for("admin.case_detail", case_id=case.id),
    )
