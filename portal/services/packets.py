"""The provider's referral packet: what the staff of a service need to take a referred
participant on, and what the participant's consent lets them read.

Always (the referral itself is the provider's business): date of birth, phone, the case
manager and their number, why the person was referred to this service. The needs assessed
are clinical (42 CFR Part 2): only those relevant to the service, and only while a consent in
force names the provider's organisation among its parties.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import local_date, local_today
from portal.extensions import db
from portal.models import (
    Assessment,
    AssessmentNeed,
    Case,
    Consent,
    ContactAttempt,
    NeedDomain,
    NeedLevel,
    ReferralStatus,
    ServiceCategory,
    ServiceReferral,
    User,
)
from portal.policy import is_in_force
from portal.services.contact_attempts import attempts_by_referral
from portal.services.phones import tel_uri
from portal.services.referrals import OPEN_STATUSES

# Which needs a provider of each kind of service reads (its packet's "relevant needs").
PACKET_DOMAINS: dict[ServiceCategory, tuple[NeedDomain, ...]] = {
    ServiceCategory.DETOX: (NeedDomain.SUBSTANCE_USE,),
    ServiceCategory.CRISIS: (NeedDomain.SUBSTANCE_USE, NeedDomain.MENTAL_HEALTH),
    ServiceCategory.HARM_REDUCTION: (NeedDomain.SUBSTANCE_USE, NeedDomain.MEDICAL),
    ServiceCategory.TREATMENT: (NeedDomain.SUBSTANCE_USE,),
    ServiceCategory.COUNSELLING: (NeedDomain.SUBSTANCE_USE, NeedDomain.MENTAL_HEALTH),
    ServiceCategory.SUPPORT_GROUP: (NeedDomain.SUBSTANCE_USE,),
    ServiceCategory.MENTAL_HEALTH: (NeedDomain.MENTAL_HEALTH,),
    ServiceCategory.HOUSING: (NeedDomain.HOUSING,),
    ServiceCategory.BENEFITS: (NeedDomain.INCOME,),
    ServiceCategory.EMPLOYMENT: (NeedDomain.EMPLOYMENT,),
    ServiceCategory.MEDICAL: (NeedDomain.MEDICAL,),
    ServiceCategory.LEGAL: (NeedDomain.LEGAL,),
    ServiceCategory.FAMILY: (NeedDomain.FAMILY,),
}
# A closed referral's packet stays this long (to call the case manager about the ending).
RECENT_DAYS = 30
CLOSED = (ReferralStatus.COMPLETED, ReferralStatus.ENDED)


@dataclass(frozen=True)
class Packet:
    """One service referral's packet, as its provider's staff may read it."""

    referral: ServiceReferral
    organization_name: str
    dob: dt.date
    phone: str | None
    case_manager: User | None
    reason: str
    # None: no consent in force names the organisation, so no need is shown.
    needs: list[AssessmentNeed] | None
    assessed_on: dt.date | None
    attempts: list[ContactAttempt]

    @property
    def phone_tel(self) -> str | None:
        return tel_uri(self.phone)

    @property
    def case_manager_tel(self) -> str | None:
        return tel_uri(self.case_manager.work_phone) if self.case_manager else None

    @property
    def is_open(self) -> bool:
        """Attempts may be recorded (pending or accepted)."""
        return self.referral.status in OPEN_STATUSES

    @property
    def may_close_unreachable(self) -> bool:
        """Open, with at least one attempt recorded."""
        return self.is_open and bool(self.attempts)


def has_packet(referral: ServiceReferral, today: dt.date | None = None) -> bool:
    """Open referrals have a packet, and those completed or ended in the last RECENT_DAYS; a
    declined one never does."""
    if referral.status in OPEN_STATUSES:
        return True
    if referral.status in CLOSED and referral.closed_at is not None:
        today = today or local_today()
        return local_date(referral.closed_at) >= today - dt.timedelta(days=RECENT_DAYS)
    return False


def names_provider(consent: Consent, organization_id: int, today: dt.date | None = None) -> bool:
    """A consent in force whose parties (the providers who may disclose) include the
    organisation."""
    named = {int(i) for i in consent.provider_ids or []}
    return organization_id in named and is_in_force(consent, today)


def relevant_needs(assessment: Assessment | None, category: ServiceCategory) -> list:
    """The assessment's needs in the service's domains, in the domains' order; level none is
    left out."""
    if assessment is None:
        return []
    domains = PACKET_DOMAINS.get(category, ())
    order = list(NeedDomain)
    return sorted(
        (n for n in assessment.needs if n.domain in domains and n.level != NeedLevel.NONE),
        key=lambda n: order.index(n.domain),
    )


def packets_for(case: Case, referrals: list[ServiceReferral], organization_id: int) -> list:
    """The packets of one organisation's referrals of a case (loaded with their service), in
    their order: one query each for the case manager, the consents, the latest assessment and
    the attempts, however many referrals."""
    today = local_today()
    shown = [r for r in referrals if has_packet(r, today)]
    if not shown:
        return []
    manager = db.session.get(User, case.case_manager_id) if case.case_manager_id else None
    consents = db.session.scalars(select(Consent).where(Consent.case_id == case.id)).all()
    consented = any(names_provider(c, organization_id, today) for c in consents)
    assessment = None
    if consented:
        assessment = db.session.scalars(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .options(selectinload(Assessment.needs))
            .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
            .limit(1)
        ).first()
    attempts = attempts_by_referral([r.id for r in shown])
    organization_name = shown[0].service.organization.name
    return [
        Packet(
            referral=r,
            organization_name=organization_name,
            dob=case.person.dob,
            phone=case.person.phone,
            case_manager=manager,
            reason=r.note,
            needs=relevant_needs(assessment, r.service.category) if consented else None,
            assessed_on=assessment.assessed_on if assessment else None,
            attempts=attempts[r.id],
        )
        for r in shown
    ]
