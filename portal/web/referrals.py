"""The referral form's parts an officer's form and the office's share: the choice of a person
referred before, and the referral as the service (cases.refer_person) takes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Response
from flask_login import current_user

from portal.clock import local_instant
from portal.models import Case, ReferralType
from portal.officer.forms import ReferralForm
from portal.services import cases
from portal.services.settings import get_settings
from portal.web.changes import save_page
from portal.web.forms import choices
from portal.web.htmx import render


def referral_form(form_class: type[ReferralForm]) -> ReferralForm:
    """The form as submitted (or blank), with the program's eligibility checklist."""
    form = form_class()
    form.eligibility.choices = choices((item, item) for item in get_settings().eligibility_items)
    return form


def offer_matches(form: ReferralForm) -> None:
    """Offer the people the referrer may be told of with the same name and date of birth as the
    choices of person_choice (an officer: only those they referred; never anyone referred by
    someone else), each by a referral of them: no id or name of a record the office may have
    linked it to.

    Set before validation, so a submitted choice is checked against what was offered.
    """
    form.person_choice.choices = []
    if not (form.first_name.data and form.last_name.data and form.dob.data):
        return
    matches = cases.matching_persons(
        current_user, form.first_name.data, form.last_name.data, form.dob.data
    )
    if matches:
        form.person_choice.choices = choices(
            [
                (
                    k.referral_id,
                    f"Use the existing record: {k.name}, born {k.person.dob:%b %-d, %Y}",
                )
                for k in matches
            ]
            + [("new", "No, this is a different person: create a new record")]
        )


def referral_page(
    form_class: type[ReferralForm],
    template: str,
    success: str,
    next_url: Callable[[Case], str],
) -> Response:
    """The referral form, blank, or submitted: one submission makes one case (however often it
    arrives), through the one service an officer's referral and the office's share."""
    form = referral_form(form_class)
    if not form.is_submitted():
        return render(template, form=form, choose_person=False)
    offer_matches(form)

    def refer() -> Case:
        # A choice only counts when a known person was offered (a stale "new" is harmless).
        choice = form.person_choice.data if form.person_choice.choices else None
        return cases.refer_person(
            current_user,
            referral_data(form),
            int(choice) if choice and choice != "new" else None,
            new_person=choice == "new",
            submission_key=form.submission_key.data,
        )

    def failed(error: str | None) -> Response:
        # A refusal about no field of its own concerns the person record: shown with that choice.
        if error is not None:
            form.person_choice.errors = [*form.person_choice.errors, error]
        return render(template, form=form, choose_person=bool(form.person_choice.errors))

    return save_page(form, refer, failed, success, next_url)


def referral_data(form: ReferralForm) -> cases.ReferralData:
    """The referral as the service takes it, from a validated form."""
    occurred_at = None
    if form.occurred_on.data:
        local = local_instant(form.occurred_on.data, form.occurred_time.data or dt.time())
        occurred_at = local.astimezone(dt.UTC)
    source = {
        name: getattr(form, name).data or ""
        for name in ("source_name", "source_contact", "source_note")
        if hasattr(form, name)
    }
    return cases.ReferralData(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        aliases=form.aliases.data or "",
        dob=form.dob.data,
        phone=form.phone.data or None,
        referral_type=ReferralType(form.referral_type.data),
        incident_number=form.incident_number.data,
        offences=form.offences.data or "",
        statutes=form.statutes.data or "",
        occurred_at=occurred_at,
        location=form.location.data,
        eligibility={
            c.value: c.value in (form.eligibility.data or []) for c in form.eligibility.choices
        },
        notes=form.notes.data or "",
        **source,
    )
