"""`flask --app portal check-compliance` on the demo program: the referral past its intake
deadline lands in the review queue, and nowhere else."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.demo.program import DEMO_PASSWORD, seed
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    ComplianceFlag,
    FlagStatus,
    Person,
    ReferralType,
    RuleCode,
    User,
)
from tests.conftest import login


def test_the_demo_referral_past_its_deadline_reaches_the_review_queue(runner, client):
    seed()
    db.session.commit()
    overdue = db.session.scalars(
        select(Case).where(Case.status == CaseStatus.ACCEPTED).order_by(Case.intake_deadline)
    ).first()
    assert db.session.scalars(select(ComplianceFlag)).all() == []  # nothing before the check
    # An arrest diversion: confirming the flag returns a held charge to the arresting officer.
    assert overdue.referral_type == ReferralType.ARREST
    assert overdue.incident_number and overdue.offences and overdue.statutes
    assert overdue.charge_file_by is not None

    result = runner.invoke(args=["check-compliance", "--batch-size", "5"])

    assert result.exit_code == 0, result.output
    assert "rules on: intake_deadline" in result.output
    # The demo's cases (a dozen, a family referral and the first year's), five case ids a batch.
    total = db.session.scalar(select(func.count()).select_from(Case))
    assert result.output.count("\ncases ") == -(-total // 5)
    assert "Done: 1 flag(s) raised" in result.output
    [flag] = db.session.scalars(select(ComplianceFlag)).all()
    assert (flag.case_id, flag.rule, flag.status) == (
        overdue.id,
        RuleCode.INTAKE_DEADLINE,
        FlagStatus.OPEN,
    )
    admin = db.session.scalar(select(User).where(User.email == "casemanager@lead.example.org"))
    login(client, admin, DEMO_PASSWORD)
    html = client.get("/admin/review").get_data(as_text=True)
    person = db.session.get(Person, overdue.person_id)
    assert f'id="flag-{flag.id}"' in html and person.full_name in html
    assert "Intake not completed by the deadline" in html
    assert "Referral accepted at screening" in html
