"""Disclosures to law enforcement: recorded as they are made, and accounted for (section 2.25).

A disclosure is one timeline event shown to one officer under a consent; it is recorded once,
however often the page showing it is reloaded or polled.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import Case, Consent, Disclosure, TimelineEntry, User
from portal.policy import disclosing_consent

# 42 CFR 2.32: the notice that accompanies every disclosure.
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
    "that describes the information contained in this record, to investigate or prosecute with "
    "regard to a crime any patient with a substance use disorder, except as provided at 42 CFR "
    "2.12(c)(5) and 2.65. Any further use or disclosure of this record is prohibited unless "
    "expressly permitted by the written consent of the person to whom it pertains or as otherwise "
    "permitted by 42 CFR part 2. A general authorization for the release of medical or other "
    "information is not sufficient for this purpose (see 42 CFR 2.31)."
)
ACCOUNTING_YEARS = 3


def record_disclosures(
    user: User, case: Case, entries: list[TimelineEntry], consents: list[Consent]
) -> int:
    """Record each event shown to the officer under a consent (one statement; repeats of the
    same officer and event are ignored). Returns how many disclosures are new."""
    return record_disclosures_of(user, entries, {case.id: consents})


def record_disclosures_of(
    user: User, entries: list[TimelineEntry], consents: dict[int, list[Consent]]
) -> int:
    """`record_disclosures` for events of several cases (an inbox page, a digest), given each
    case's consents by case id."""
    rows = []
    for entry in entries:
        consent = disclosing_consent(user, entry.kind, consents.get(entry.case_id, []))
        if consent is not None:
            rows.append(
                {
                    "case_id": entry.case_id,
                    "consent_id": consent.id,
                    "recipient_id": user.id,
                    "recipient_agency_id": user.agency_id,
                    "entry_id": entry.id,
                    "what": entry.kind.value,
                    "purpose": consent.purpose[:2000],
                    "disclosed_at": utcnow(),
                }
            )
    if rows:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        table = Disclosure.__table__
        inserted = db.session.execute(
            insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["recipient_id", "entry_id"])
            .returning(table.c.id)
        ).all()
        return len(inserted)
    return 0


def accounting(case: Case, today: dt.date | None = None) -> list[Disclosure]:
    """The case's disclosures of the past three years, oldest first, with their recipients."""
    today = today or local_today()
    since = dt.datetime.combine(
        today - dt.timedelta(days=365 * ACCOUNTING_YEARS + 1), dt.time(), tzinfo=dt.UTC
    )
    return list(
        db.session.scalars(
            select(Disclosure)
            .where(Disclosure.case_id == case.id, Disclosure.disclosed_at >= since)
            .options(joinedload(Disclosure.recipient), joinedload(Disclosure.recipient_agency))
            .order_by(Disclosure.disclosed_at, Disclosure.id)
        )
    )
