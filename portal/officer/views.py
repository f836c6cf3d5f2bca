from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.permissions import get_case_or_404
from portal.extensions import db
from portal.models import Case, CaseStatus, Consent, JusticeEventKind, OffenceLevel, ReferralType
from portal.officer import bp
from portal.officer.forms import ReferralForm
from portal.policy import (
    OFFICER_FILTER_LABELS,
    OFFICER_FILTERS,
    can_see_held_charge,
    case_scope,
    officer_status,
)
from portal.services import cases, outcomes
from portal.services.consents import consents_for
from portal.services.dashboard import officer_outcomes
from portal.services.disclosures import REDISCLOSURE_NOTICE, record_disclosures
from portal.services.paging import Key, capped_count, keyset_page
from portal.services.timeline import get_timeline
from portal.web.changes import save_page
from portal.web.htmx import is_htmx, render
from portal.web.outcome_forms import ArrestReportForm
from portal.web.referrals import referral_page
from portal.web.timeline import timeline_fragment


@dataclass(frozen=True)
class OfficerCase:
    """What an officer may know of a case: the referral and its status, nothing clinical."""

    id: int
    person_name: str
    dob: dt.date
    referral_type: ReferralType
    incident_number: str | None
    offences: str
    location: str | None
    occurred_at: dt.datetime | None
    referred_at: dt.datetime
    status: CaseStatus
    officer_name: str
    own: bool
    confidential: bool  # progress after screening is not disclosed to this officer
    consented: bool  # what is shown rests on a consent: the redisclosure notice goes with it
    stage: str  # the badge's words when further progress is confidential
    decline_reason: str | None  # the program's exclusion reason (a setting, not clinical)
    held_charge: cases.HeldCharge | None  # arrest diversion, for the officer who referred it

    @classmethod
    def of(cls, case: Case, consents: list[Consent]) -> OfficerCase:
        seen = officer_status(current_user, case, consents)
        return cls(
            id=case.id,
            person_name=case.referred_name,
            dob=case.person.dob,
            referral_type=case.referral_type,
            incident_number=case.incident_number,
            offences=case.offences,
            location=case.location,
            occurred_at=case.occurred_at,
            referred_at=case.referred_at,
            status=seen.status,
            officer_name=case.officer.name if case.officer else "the program office",
            own=case.officer_id == current_user.id,
            confidential=seen.confidential,
            consented=seen.consented,
            stage=seen.stage,
            # Declined as a duplicate tells nothing of the person's other referral.
            decline_reason=case.decline_reason
            if seen.status == CaseStatus.DECLINED and case.decline_reason != cases.DUPLICATE_REASON
            else None,
            held_charge=cases.held_charge(case)
            if can_see_held_charge(current_user, case)
            else None,
        )


# An officer filters by what screening decided; later progress is the participant's to disclose.
FILTER_LABELS = OFFICER_FILTER_LABELS


@bp.route("/referrals/new", methods=["GET", "POST"])
def new_referral():
    """Refer a person from a phone: one submission makes one case, however often it arrives."""
    return referral_page(
        ReferralForm,
        "officer/referral_form.html",
        "Referral sent to the program office.",
        lambda case: url_for("officer.case_detail", case_id=case.id),
    )


REFERRAL_KEYS = [Key(Case.referred_at, dt.datetime, True), Key(Case.id, int, True)]


@bp.get("/referrals")
def referrals():
    """The officer's own referrals, newest first, a page at a time (keyset: no deep page
    costs more than the first)."""
    status = request.args.get("status") or None
    if status not in OFFICER_FILTERS:
        status = None
    query = (
        case_scope(current_user)
        .where(Case.officer_id == current_user.id)
        .options(joinedload(Case.person), joinedload(Case.officer))
    )
    if status:
        query = query.where(OFFICER_FILTERS[status])
    page = keyset_page(
        query, REFERRAL_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"]
    )
    consents = consents_for([c.id for c in page.rows])
    rows = [OfficerCase.of(c, consents[c.id]) for c in page.rows]
    return render(
        "officer/referrals.html",
        block="results",
        outcomes=None if is_htmx() else officer_outcomes(current_user),
        page=page,
        total=capped_count(query, Case.id),
        rows=rows,
        status_filter=status,
        statuses=[{"value": key, "label": label} for key, label in FILTER_LABELS.items()],
    )


def _load(case_id: int) -> Case:
    return get_case_or_404(case_id, current_user, joinedload(Case.person), joinedload(Case.officer))


def _disclosed(case: Case, entries) -> OfficerCase:
    """The officer's view of the case; each event it discloses under a consent is recorded."""
    if record_disclosures(current_user, case, entries, case.consents):
        db.session.commit()
    return OfficerCase.of(case, case.consents)


def _detail(case: Case, arrest_form: ArrestReportForm | None = None, error: str | None = None):
    page = get_timeline(case, current_user)
    return render(
        "officer/case_detail.html",
        case=_disclosed(case, page.entries),
        timeline=page,
        notice=REDISCLOSURE_NOTICE,
        arrest_form=arrest_form or ArrestReportForm(prefix="arrest", formdata=None),
        arrest_error=error,
    )


@bp.get("/referrals/<int:case_id>")
def case_detail(case_id: int):
    """A referral's status, as far as the participant's consent lets the program tell it."""
    return _detail(_load(case_id))


@bp.post("/referrals/<int:case_id>/arrests")
def report_arrest(case_id: int):
    """The referring officer reports a new arrest or citation of the person, for the program's
    evaluation; nothing of the person's record comes back."""
    case = _load(case_id)
    form = ArrestReportForm(prefix="arrest")
    return save_page(
        form,
        lambda: outcomes.report_arrest(
            current_user,
            case,
            outcomes.JusticeEventData(
                form.occurred_on.data,
                JusticeEventKind(form.kind.data),
                OffenceLevel(form.offence_level.data),
                form.booked.data,
                0,
                None,
            ),
        ),
        lambda error: _detail(_load(case_id), form, error),
        "Arrest reported to the program office. Thank you.",
        lambda _: url_for("officer.case_detail", case_id=case_id),
    )


@bp.get("/referrals/<int:case_id>/timeline")
def case_timeline(case_id: int):
    """The timeline fragment (polled): the same disclosure rule, recorded once per event."""
    return timeline_fragment(
        lambda: _load(case_id),
        "officer/case_detail.html",
        "officer.case_detail",
        case_id,
        also=["status_oob"],
        present=_disclosed,
        notice=REDISCLOSURE_NOTICE,
    )
