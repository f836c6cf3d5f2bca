"""The program office's case list: search by name, alias or incident, filter by status."""

from __future__ import annotations

import re

import pytest

from portal.models import CaseStatus

ROW_RE = re.compile(r'<a href="/admin/cases/(\d+)">')


@pytest.fixture
def listed(f, login_as):
    login_as(f.admin())
    return {
        "ann": f.CaseFactory(
            person=f.PersonFactory(first_name="Ann", last_name="Smith", aliases="Annie"),
            incident_number="2026-111",
        ),
        "bob": f.CaseFactory(
            person=f.PersonFactory(first_name="Bob", last_name="Jones"),
            status=CaseStatus.ACTIVE,
            incident_number="2026-222",
        ),
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200
    return {int(i) for i in ROW_RE.findall(response.get_data(as_text=True))}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=ann+smith", {"ann"}),
        ("q=ANNIE", {"ann"}),
        ("q=2026-222", {"bob"}),
        ("q=2026", {"ann", "bob"}),
        ("status=active", {"bob"}),
        ("status=active&q=ann", set()),
        ("status=bogus", {"ann", "bob"}),
    ],
)
def test_search_and_filter(client, listed, query, expected):
    assert _ids(client.get(f"/admin/cases?{query}")) == {listed[k].id for k in expected}


def test_search_answers_htmx_with_the_results_block(client, listed):
    response = client.get("/admin/cases?q=bob", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert _ids(response) == {listed["bob"].id}
