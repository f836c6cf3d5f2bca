"""The outcomes dashboard page: filters (bad ones refused or corrected, never a 500), htmx
updates in place, charts with their tables, each table as CSV, and the evaluators' de-identified
file: no names, dates of birth or free text, a pseudonymous id stable across exports and
different under another key, streamed in batches, audited, for administrators and evaluators."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from portal.clock import local_instant, local_today
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Employment,
    Housing,
    Income,
    JusticeEvent,
    MonthlyStatus,
    Race,
)
from portal.services import evaluation_export


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def evaluator(f, login_as):
    user = f.evaluator()
    db.session.commit()
    login_as(user)
    return user


def _some_cases(f):
    day = local_today() - dt.timedelta(days=20)
    person = f.PersonFactory(first_name="Zebulon", last_name="Quixote", race=Race.WHITE)
    case = f.CaseFactory(person=person, active=True, referred_at=local_instant(day, dt.time(12)))
    case.source_note = "Sleeps behind the library"
    db.session.add(
        JusticeEvent(
            person_id=person.id, case_id=case.id, occurred_on=day - dt.timedelta(days=30),
            kind="arrest", offence_level="felony", booked=True, jail_days=4, source="office",
            recorded_by_id=case.officer_id,
        )
    )  # fmt: skip
    f.CaseFactory(declined=True)
    db.session.commit()
    return case


def test_the_dashboard_shows_every_figure_with_charts_and_names_no_one(client, f, evaluator):
    _some_cases(f)
    page = text(client.get("/admin/reports"))
    for title in [
        "Referrals by month",
        "Referrals by agency",
        "Time from referral to intake",
        "Active caseload per case manager",
        "Engagement by month",
        "Compliance flags",
        "Re-arrest before and after enrollment",
        "Jail bookings and days",
        "Housing at enrollment and latest",
    ]:
        assert title in page, title
    assert '<svg class="portal-chart"' in page and "<title id=" in page and "<desc id=" in page
    assert "Zebulon" not in page and "Quixote" not in page
    assert "de-identified evaluation file" in page


def test_filters_update_the_dashboard_in_place_for_htmx(client, f, evaluator):
    _some_cases(f)
    response = client.get(
        "/admin/reports?start=2026-01-01&end=2026-03-31", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="dashboard">')
    assert "Cases by status" not in html
    assert "Jan 2026" in html and "Apr 2026" not in html
    html = text(client.get("/admin/reports?by=race", headers={"HX-Request": "true"}))
    assert "counts under 11 are shown as &lt;11" in html and "&lt;11" in html


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("start=2026-05-01&end=2026-02-01", 200, "The dates were the wrong way round"),
        ("start=2001-01-01&end=2026-02-01", 200, "At most five years are shown at once"),
        ("end=2999-01-01", 200, "The dashboard counts up to today"),
        ("start=yesterday", 422, "Enter a real date"),
        ("start=2026-02-30", 422, "Enter a real date"),
        ("agency=999999", 422, "Choose an agency from the list"),
        ("agency=abc", 422, "Choose an agency from the list"),
        ("agency=99999999999999999999", 422, "Choose an agency from the list"),
        ("by=shoe-size", 422, "Choose race, ethnicity or no breakdown"),
    ],
)
def test_bad_filters_are_refused_or_corrected_with_a_message(
    client, evaluator, query, status, words
):
    response = client.get(f"/admin/reports?{query}")
    assert response.status_code == status
    assert words in text(response)


def test_a_table_downloads_as_csv_and_the_export_is_audited(client, f, evaluator):
    _some_cases(f)
    response = client.get("/admin/reports/referrals-by-agency.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0] == ["Agency", "Referrals", "Screened", "Accepted", "Accepted"]
    assert sum(int(r[1]) for r in rows[1:]) == 2
    db.session.expire_all()
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
    assert exported.user_id == evaluator.id and exported.object_type == "report"
    assert client.get("/admin/reports/no-such-table.csv").status_code == 404
    assert client.get("/admin/reports/exits.csv?start=nonsense").status_code == 400


def _evaluation_rows(client) -> list[dict]:
    response = client.get("/admin/reports/evaluation.csv")
    assert response.status_code == 200 and response.is_streamed
    return list(csv.DictReader(io.StringIO(text(response))))


def test_the_evaluation_file_is_de_identified(client, f, evaluator):
    case = _some_cases(f)
    rows = _evaluation_rows(client)
    assert len(rows) == 2
    body = "\n".join(",".join(r.values()) for r in rows)
    person = case.person
    for secret in [person.first_name, person.last_name, person.dob.isoformat(), "library",
                   case.offences]:  # fmt: skip
        assert secret not in body
    mine = next(r for r in rows if r["race"] == "white")
    assert len(mine["person_id"]) == 20 and mine["person_id"] != str(person.id)
    assert mine["age_band"] in {"25-34", "35-44"}
    assert mine["referral_month"] == f"{local_today() - dt.timedelta(days=20):%Y-%m}"
    assert mine["arrests_12m_before"] == "1" and mine["jail_days_12m_before"] == "4"
    assert mine["arrests_12m_after"] == ""  # not a year since enrollment
    assert set(rows[0]) == set(evaluation_export.COLUMNS)
    db.session.expire_all()
    exported = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.EXPORT, AuditEvent.object_type == "evaluation"
        )
    )
    assert exported.user_id == evaluator.id


def test_the_pseudonymous_id_is_stable_and_changes_with_the_key(
    client, f, evaluator, app, monkeypatch
):
    _some_cases(f)
    first = [r["person_id"] for r in _evaluation_rows(client)]
    again = [r["person_id"] for r in _evaluation_rows(client)]
    assert first == again and len(set(first)) == 2
    monkeypatch.setitem(app.config, "EVALUATION_ID_KEY", "another-key-of-thirty-two-chars!")
    other = [r["person_id"] for r in _evaluation_rows(client)]
    assert not set(other) & set(first)


def test_the_evaluation_file_is_read_in_batches(client, f, evaluator, monkeypatch):
    monkeypatch.setattr(evaluation_export, "BATCH", 2)
    for _ in range(5):
        f.CaseFactory()
    db.session.commit()
    assert len(_evaluation_rows(client)) == 5


def test_each_row_holds_its_own_cases_first_and_latest_month_across_batches(
    client, f, evaluator, monkeypatch
):
    """Each case's first and latest monthly status (not the table's first month), and a batch
    holds the cases in the dates alone, whatever ids lie between them."""
    monkeypatch.setattr(evaluation_export, "BATCH", 2)
    this_month = local_today().replace(day=1)

    def status(case, months_ago: int, housing: Housing) -> None:
        month = this_month
        for _ in range(months_ago):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        db.session.add(
            MonthlyStatus(
                case_id=case.id, month=month, housing=housing, employment=Employment.UNEMPLOYED,
                income=Income.NONE, benefits=False, recorded_by_id=case.officer_id,
            )
        )  # fmt: skip

    first = f.CaseFactory(active=True)
    status(first, 3, Housing.UNSHELTERED)
    status(first, 1, Housing.PERMANENT)
    old = f.CaseFactory(
        referred_at=local_instant(local_today() - dt.timedelta(days=900), dt.time(12))
    )
    second = f.CaseFactory(active=True)
    status(second, 2, Housing.SHELTER)
    third = f.CaseFactory()
    assert first.id < old.id < second.id < third.id
    db.session.commit()
    rows = _evaluation_rows(client)
    assert [(r["housing_first"], r["housing_latest"]) for r in rows] == [
        ("unsheltered", "permanent"),
        ("shelter", "shelter"),
        ("", ""),
    ]


def test_case_managers_read_the_dashboard_but_not_the_evaluation_file(client, f, login_as):
    login_as(f.case_manager())
    assert client.get("/admin/reports").status_code == 200
    assert "de-identified evaluation file" not in text(client.get("/admin/reports"))
    assert client.get("/admin/reports/evaluation.csv").status_code == 403
    assert client.get("/admin/reports/exits.csv").status_code == 200


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_officers_and_providers_get_no_report(client, f, login_as, role):
    login_as(getattr(f, role)())
    for url in ["/admin/reports", "/admin/reports/exits.csv", "/admin/reports/evaluation.csv"]:
        assert client.get(url).status_code == 403


def test_the_officer_sees_counts_of_their_own_referrals(client, f, login_as):
    officer = f.officer()
    f.CaseFactory(officer=officer, active=True)
    f.CaseFactory(officer=officer, declined=True)
    db.session.commit()
    login_as(officer)
    page = text(client.get("/officer/referrals"))
    assert "Your referrals so far" in page
    assert "<strong>1</strong> accepted by the program" in page
    assert "<strong>1</strong> declined" in page
    assert "active" not in page.lower().split("your referrals so far")[1].split("</section>")[0]
