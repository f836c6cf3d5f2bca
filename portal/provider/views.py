from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Case, ReferralStatus, Service, ServiceReferral
from portal.provider import bp
from portal.web.htmx import render


@bp.get("/")
def roster():
    """Participants with pending or accepted referrals to this organisation's services."""
    rows = db.session.scalars(
        select(ServiceReferral)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(
            Service.organization_id == current_user.organization_id,
            ServiceReferral.status.in_([ReferralStatus.PENDING, ReferralStatus.ACCEPTED]),
        )
        .options(
            joinedload(ServiceReferral.service),
            joinedload(ServiceReferral.case).joinedload(Case.person),
        )
        .order_by(ServiceReferral.created_at)
    ).all()
    return render("provider/roster.html", rows=rows)
