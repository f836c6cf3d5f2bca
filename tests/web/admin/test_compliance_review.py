"""The review queue and the program's rules through the browser's requests: dismiss needs a
reason (beside the field, 422 for htmx), confirm closes once, rules are validated and audited."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseStatus,
    ComplianceFlag,
    ComplianceRule,
    ContactKind,
    FlagStatus,
    RuleCode,
    Service,
    TimelineEntry,
    TimelineKind,
)
from portal.services import compliance
from portal.services.assessments import record_contact
from tests.conftest import post
from tests.web.admin.helpers import text

QUEUE = "/admin/review"
RULES = "/admin/settings/rules"


def _flag(f, days_overdue: int = 2, **kw) -> ComplianceFlag:
    deadline = local_today() - dt.timedelta(days=days_overdue)
    case = f.CaseFactory(accepted=True, intake_deadline=deadline, **kw)
    compliance.evaluate_case(case)
    return db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))


def _stored(flag: ComplianceFlag) -> ComplianceFlag:
    db.session.expire_all()
    return db.session.get(ComplianceFlag, flag.id)


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_evidence_outreach_and_timeline_oldest_first(f, acting_admin, client):
    older = _flag(f, person=f.PersonFactory(last_name="Oldfield"))
    older.raised_at = utcnow() - dt.timedelta(days=1)
    newer = _flag(f, person=f.PersonFactory(last_name="Newcombe"))
    case = db.session.get(Case, newer.case_id)
    case.referred_at = utcnow() - dt.timedelta(days=20)
    record_contact(case, acting_admin, local_today(), ContactKind.OUTREACH_ATTEMPT)
    response = client.get(QUEUE)
    html = text(response)
    assert response.status_code == 200
    assert html.index("Oldfield") < html.index("Newcombe")
    assert older.evidence in html and "Outreach attempt" in html
    assert "Referral accepted at screening" in html  # the case's recent timeline
    assert re.search(r'id="review-count" class="portal-count">2<', html)


def test_the_queue_is_keyset_paged(f, acting_admin, client):
    flags = [_flag(f) for _ in range(7)]  # the tests' page size is 5
    for i, flag in enumerate(flags):
        flag.raised_at = utcnow() - dt.timedelta(hours=10 - i)
    first = text(client.get(QUEUE))
    cursor = re.search(r'href="/admin/review\?after=([^"]+)"', first)
    assert cursor and first.count('class="portal-panel portal-flag"') == 5
    second = text(client.get(f"{QUEUE}?after={cursor.group(1)}"))
    assert second.count('class="portal-panel portal-flag"') == 2
    assert f'id="flag-{flags[6].id}"' in second and f'id="flag-{flags[0].id}"' not in second


def test_the_count_is_in_the_nav_of_every_admin_page(f, acting_admin, client):
    _flag(f)
    assert re.search(r'id="review-count" class="portal-count">1<', text(client.get("/admin/")))


# --- dismissal ----------------------------------------------------------------------------------


def test_a_dismissal_without_a_reason_is_refused_beside_the_field(f, acting_admin, client):
    flag = _flag(f)
    url = f"{QUEUE}/{flag.id}/dismiss"
    data = {"reason": "  ", "version": flag.version}
    response = post(client, url, data, page=QUEUE, htmx=True)
    html = text(response)
    assert response.status_code == 422
    assert html.strip().startswith(f'<article id="flag-{flag.id}"')
    assert f'id="dismiss-{flag.id}-reason-error"' in html
    assert "Give the reason for dismissing this flag." in html
    assert _stored(flag).status == FlagStatus.OPEN
    # Without htmx: the page of this flag, with the message beside the field.
    response = post(client, url, data, page=QUEUE)
    assert response.status_code == 422
    assert "Give the reason for dismissing this flag." in text(response)
    assert "Back to the review queue" in text(response)


def test_a_dismissal_with_a_reason_leaves_the_case_as_it_was(f, acting_admin, client):
    flag = _flag(f)
    case = db.session.get(Case, flag.case_id)
    status, version = case.status, case.version
    response = post(
        client,
        f"{QUEUE}/{flag.id}/dismiss",
        {"reason": "Intake booked for Monday", "version": flag.version},
        page=QUEUE,
        htmx=True,
    )
    html = text(response)
    assert response.status_code == 200
    assert "Flag dismissed" in html
    assert '<span id="review-count" class="portal-count" hx-swap-oob="true">0</span>' in html
    stored = _stored(flag)
    assert (stored.status, stored.reason, stored.decided_by_id) == (
        FlagStatus.DISMISSED,
        "Intake booked for Monday",
        acting_admin.id,
    )
    case = db.session.get(Case, flag.case_id)
    assert (case.status, case.version) == (status, version)
    audited = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "compliance_flags",
            AuditEvent.object_id == flag.id,
            AuditEvent.action == AuditAction.CHANGE,
        )
    )
    assert audited is not None and audited.user_id == acting_admin.id


# --- confirmation -------------------------------------------------------------------------------


def test_confirming_closes_the_case_and_a_second_click_changes_nothing(f, acting_admin, client):
    flag = _flag(f)
    case = db.session.get(Case, flag.case_id)
    url = f"{QUEUE}/{flag.id}/confirm"
    data = {"version": flag.version}
    first = post(client, url, data, page=QUEUE, htmx=True)
    assert first.status_code == 200, text(first)
    assert "Non-compliance confirmed" in text(first)
    second = post(client, url, data, page=QUEUE, htmx=True)
    assert second.status_code in (409, 422)
    assert "was decided meanwhile" in text(second)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.status, case.closed_on) == (CaseStatus.NON_COMPLIANT, local_today())
    entries = db.session.scalars(
        select(TimelineEntry).where(
            TimelineEntry.case_id == case.id, TimelineEntry.kind == TimelineKind.CASE_NON_COMPLIANT
        )
    ).all()
    assert len(entries) == 1
    assert {"rule": "intake_deadline", "date": local_today().isoformat()}.items() <= (
        entries[0].payload.items()
    )


def test_confirming_without_htmx_releases_places_and_redirects(f, acting_admin, client):
    case = f.CaseFactory(active=True)
    service = f.ServiceFactory(capacity_max=1, capacity_available=1)
    f.ServiceReferralFactory(case=case, service=service, accepted=True)
    db.session.scalar(
        select(ComplianceRule).where(ComplianceRule.code == RuleCode.NO_CONTACT)
    ).enabled = True
    compliance.evaluate_case(case)
    flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))
    response = post(client, f"{QUEUE}/{flag.id}/confirm", {"version": flag.version}, page=QUEUE)
    assert response.status_code == 302 and response.headers["Location"] == QUEUE
    db.session.expire_all()
    assert db.session.get(Service, service.id).capacity_available == 1
    assert db.session.get(Case, case.id).status == CaseStatus.NON_COMPLIANT


def test_a_stale_form_is_refused(f, acting_admin, client):
    flag = _flag(f)
    response = post(client, f"{QUEUE}/{flag.id}/confirm", {"version": "99"}, page=QUEUE, htmx=True)
    assert response.status_code == 409
    assert db.session.get(Case, flag.case_id).status == CaseStatus.ACCEPTED


def test_another_flag_id_is_404(f, acting_admin, client):
    response = post(client, f"{QUEUE}/987654/confirm", {"version": "1"}, page=QUEUE)
    assert response.status_code == 404


# --- the rules ----------------------------------------------------------------------------------


def test_the_rules_page_tells_the_golden_rule_next_to_missed_sessions(acting_admin, client):
    html = text(client.get(RULES))
    assert "LEAD practice does not remove people for missed sessions" in html
    rule_section = html[html.index('id="rule-missed_sessions"') :]
    assert "golden rule" in rule_section
    assert 'href="/admin/settings/rules"' in text(client.get("/admin/settings"))


@pytest.mark.parametrize("bad", ["0", "366", "-3", "ten", ""])
def test_a_bad_parameter_is_refused_beside_its_field(acting_admin, client, bad):
    data = {"no_contact-enabled": "y", "no_contact-parameter": bad}
    response = post(client, f"{RULES}/no_contact", data, page=RULES, htmx=True)
    html = text(response)
    assert response.status_code == 422
    assert html.strip().startswith('<section id="rule-no_contact"')
    assert 'id="no_contact-parameter-error"' in html
    db.session.expire_all()
    rule = compliance.get_rules()[RuleCode.NO_CONTACT]
    assert (rule.enabled, rule.parameter) == (False, 30)


def test_a_rule_saved_is_audited(acting_admin, client):
    data = {"no_contact-enabled": "y", "no_contact-parameter": "45"}
    response = post(client, f"{RULES}/no_contact", data, page=RULES, htmx=True)
    assert response.status_code == 200
    assert "Rule saved" in text(response)
    db.session.expire_all()
    rule = compliance.get_rules()[RuleCode.NO_CONTACT]
    assert (rule.enabled, rule.parameter) == (True, 45)
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "compliance_rules",
            AuditEvent.object_id == rule.id,
            AuditEvent.user_id == acting_admin.id,
        )
    )
    # Without htmx: redirected to the rule; refused, the whole page with the message (422).
    response = post(client, f"{RULES}/intake_deadline", {}, page=RULES)
    assert response.status_code == 302
    assert compliance.get_rules()[RuleCode.INTAKE_DEADLINE].enabled is False
    bad = {"missed_sessions-enabled": "y", "missed_sessions-parameter": "0"}
    response = post(client, f"{RULES}/missed_sessions", bad, page=RULES)
    assert response.status_code == 422 and "from 1 to 365" in text(response)


def test_the_case_page_shows_its_flags_and_how_they_were_decided(client, login_as, f):
    from portal.services import compliance
    from portal.services.compliance_review import dismiss_flag

    case = f.CaseFactory(accepted=True, intake_deadline=local_today() - dt.timedelta(days=2))
    compliance.evaluate_case(case)
    admin = f.admin()
    login_as(admin)
    html = unescape(client.get(f"/admin/cases/{case.id}").get_data(as_text=True))
    assert "Compliance flags" in html
    assert "Intake not completed by the deadline</strong> (open)" in html
    flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))
    dismiss_flag(flag, admin, "Intake booked for Monday; the delay was ours.", flag.version)
    html = unescape(client.get(f"/admin/cases/{case.id}").get_data(as_text=True))
    assert "(dismissed)" in html
    assert "Reason: Intake booked for Monday; the delay was ours." in html
