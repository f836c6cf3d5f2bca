"""Flags are the program office's: an open or dismissed flag changes nothing an officer's pages,
fragments or polls show; a confirmed return of a case that never reached intake reaches the
referring officer (status, date, rule), one after intake only under an outcome consent."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import ComplianceFlag, ComplianceRule, RuleCode
from portal.services import compliance
from portal.services.compliance_review import confirm_flag, dismiss_flag

HTMX = {"HX-Request": "true"}
TOKEN_RE = re.compile(r'(csrf_token"[^>]*?value="|"X-CSRFToken": ")[^"]+')
RETURNED = "Returned for non-compliance: intake not completed by the deadline"


def _officer_pages(client, case_id: int) -> list[str]:
    urls = [
        "/officer/referrals",
        "/officer/referrals?status=accepted",
        f"/officer/referrals/{case_id}",
    ]
    pages = [client.get(url) for url in urls]
    pages.append(client.get(f"/officer/referrals/{case_id}/timeline", headers=HTMX))
    assert all(p.status_code == 200 for p in pages)
    return [TOKEN_RE.sub(r"\1", p.get_data(as_text=True)) for p in pages]


def _flag(case) -> ComplianceFlag:
    return db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))


@pytest.mark.parametrize("enrolled", [False, True])
def test_an_open_or_dismissed_flag_changes_nothing_the_officer_sees(f, client, login_as, enrolled):
    officer, admin = f.officer(), f.admin()
    if enrolled:
        case = f.CaseFactory(active=True, officer=officer)
        f.ConsentFactory(case=case, discloses_outcome=True)
        rule = db.session.scalar(
            select(ComplianceRule).where(ComplianceRule.code == RuleCode.NO_CONTACT)
        )
        rule.enabled = True
    else:
        case = f.CaseFactory(accepted=True, officer=officer, intake_deadline=local_today())
    login_as(officer)
    before = _officer_pages(client, case.id)

    case.intake_deadline = local_today() - dt.timedelta(days=1)
    compliance.evaluate_case(case)
    assert _flag(case) is not None
    assert _officer_pages(client, case.id) == before

    flag = _flag(case)
    dismiss_flag(flag, admin, "Booked for Monday", flag.version)
    assert _officer_pages(client, case.id) == before
    assert "flag" not in " ".join(before).lower()


def test_a_confirmed_return_before_intake_reaches_the_referring_officer(f, client, login_as):
    officer, admin = f.officer(), f.admin()
    case = f.CaseFactory(
        accepted=True, officer=officer, intake_deadline=local_today() - dt.timedelta(days=3)
    )
    compliance.evaluate_case(case)
    flag = _flag(case)
    confirm_flag(flag, admin, flag.version)
    login_as(officer)
    page = client.get(f"/officer/referrals/{case.id}").get_data(as_text=True)
    assert RETURNED in page
    assert "Non-compliant" in page  # the status badge
    assert "Further progress is confidential" not in page
    assert "evidence" not in page.lower() and flag.evidence not in page
