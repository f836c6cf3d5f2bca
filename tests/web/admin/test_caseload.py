"""Case managers: assigning a case from its page, the lists filtered by case manager, the
caseload page against the program's guidance, and the outreach queue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseStatus,
    Contact,
    ContactKind,
    TimelineEntry,
    TimelineKind,
)
from portal.services import cases
from portal.services.caseload import assign_case_manager
from portal.services.errors import NotPermitted
from portal.services.settings import get_settings
from portal.services.timeline import get_timeline
from tests.conftest import post
from tests.web.paging import next_link


@pytest.fixture
def me(f, login_as):
    user = f.case_manager(name="Casey Mine")
    login_as(user)
    return user


def _manager_of(case: Case) -> int | None:
    db.session.expire_all()
    return db.session.get(Case, case.id).case_manager_id


def _entries(case: Case) -> list[TimelineEntry]:
    query = select(TimelineEntry).where(
        TimelineEntry.case_id == case.id, TimelineEntry.kind == TimelineKind.CASE_MANAGER_CHANGED
    )
    return list(db.session.scalars(query.order_by(TimelineEntry.id)))


def _assign(client, case, value, version=None, htmx=True):
    url = f"/admin/cases/{case.id}"
    data = {"version": case.version if version is None else version, "case_manager_id": value}
    return post(client, f"{url}/case-manager", data, page=url, htmx=htmx)


# --- assigning ---------------------------------------------------------------------------------


def test_a_case_manager_assigns_a_colleague_with_a_timeline_entry_and_an_audit_row(client, me, f):
    colleague = f.case_manager(name="Robin Colleague")
    case = f.CaseFactory()
    db.session.commit()
    response = _assign(client, case, str(colleague.id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert html.lstrip().startswith('<div id="workflow">')
    assert "Assigned to <strong>Robin Colleague</strong>" in html
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assert _manager_of(case) == colleague.id
    [entry] = _entries(case)
    assert entry.actor_id == me.id
    assert entry.payload["case_manager_id"] == colleague.id
    assert entry.payload["summary"] == "Assigned to Robin Colleague"
    audited = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "cases", AuditEvent.object_id == case.id
        )
    ).all()
    assert AuditAction.CHANGE in audited
    page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "Case manager changed" in page and "Assigned to Robin Colleague" in page


def test_take_reassign_and_unassign(client, me, f):
    other = f.case_manager(name="Other Manager")
    case = f.CaseFactory(status=CaseStatus.ACCEPTED, case_manager_id=other.id)
    db.session.commit()
    page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "Take this case" in page and "Assigned to <strong>Other Manager</strong>" in page

    assert _assign(client, case, str(me.id), htmx=False).status_code == 302  # "take"
    assert _manager_of(case) == me.id
    page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "Case manager saved." in page
    assert "Take this case" not in page and "(you)" in page

    case = db.session.get(Case, case.id)
    assert _assign(client, case, "").status_code == 200  # unassign
    assert _manager_of(case) is None
    summaries = [e.payload["summary"] for e in _entries(case)]
    assert summaries == [
        "Assigned to Casey Mine (was Other Manager)",
        "Unassigned (was Casey Mine)",
    ]


def test_saving_the_same_case_manager_again_writes_nothing(client, me, f):
    case = f.CaseFactory(case_manager_id=me.id)
    db.session.commit()
    version = case.version
    assert _assign(client, case, str(me.id)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version
    assert _entries(case) == []


def _bad_choices(f):
    admin_only = f.program_admin(name="Pat Admin")
    gone = f.case_manager(name="Gone Manager", active=False)
    officer = f.officer()
    db.session.commit()
    return {
        "not a case manager": (str(admin_only.id), "Pat Admin does not hold the case-manager"),
        "an officer": (str(officer.id), "does not hold the case-manager duty"),
        "inactive": (str(gone.id), "Gone Manager&#39;s account is deactivated"),
        "unknown": ("999999", "Choose a case manager from the list."),
        "garbled": ("abc", "Choose a case manager from the list."),
        "zero": ("0", "Choose a case manager from the list."),
    }


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_a_bad_choice_is_refused_beside_the_field_and_saves_nothing(client, me, f, htmx):
    other = f.case_manager()
    case = f.CaseFactory(case_manager_id=other.id)
    db.session.commit()
    version = case.version
    for name, (value, message) in _bad_choices(f).items():
        response = _assign(client, case, value, htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, name
        assert message in html, (name, html[:3000])
        assert 'id="case_manager_id-error"' in html, name
        assert _manager_of(case) == other.id, name
        db.session.expire_all()
        assert db.session.get(Case, case.id).version == version
    assert _entries(case) == []


def test_a_form_without_its_version_is_refused(client, me, f):
    case = f.CaseFactory()
    db.session.commit()
    url = f"/admin/cases/{case.id}"
    response = post(
        client, f"{url}/case-manager", {"case_manager_id": str(me.id)}, page=url, htmx=True
    )
    assert response.status_code == 422
    assert "This form is out of date" in response.get_data(as_text=True)
    assert _manager_of(case) is None


def test_two_assignments_from_the_same_copy_do_not_lose_one_silently(client, me, f):
    first, second = f.case_manager(name="First Choice"), f.case_manager(name="Second Choice")
    case = f.CaseFactory()
    db.session.commit()
    seen = case.version  # both people loaded the page at this version
    assert _assign(client, case, str(first.id), version=seen).status_code == 200
    response = _assign(client, case, str(second.id), version=seen)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in html
    assert "Assigned to <strong>First Choice</strong>" in html  # the latest is shown
    assert _manager_of(case) == first.id
    assert len(_entries(case)) == 1


def test_a_closed_case_keeps_its_case_manager(client, me, f):
    case = f.CaseFactory(completed=True, case_manager_id=me.id)
    db.session.commit()
    page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "Save case manager" not in page and "Take this case" not in page
    response = _assign(client, case, "")
    assert response.status_code == 422
    assert "keeps the case manager it had" in response.get_data(as_text=True)
    assert _manager_of(case) == me.id


def test_accepting_a_referral_assigns_the_accepting_case_manager_when_it_has_none(client, me, f):
    unassigned = f.CaseFactory()
    other = f.case_manager()
    assigned = f.CaseFactory(case_manager_id=other.id)
    db.session.commit()
    for case in (unassigned, assigned):
        url = f"/admin/cases/{case.id}"
        response = post(client, f"{url}/accept", {"version": case.version}, page=url, htmx=True)
        assert response.status_code == 200
    assert _manager_of(unassigned) == me.id
    assert _manager_of(assigned) == other.id
    assert len(_entries(unassigned)) == 1 and _entries(assigned) == []


def test_the_service_refuses_a_program_administrator(f):
    case = f.CaseFactory()
    with pytest.raises(NotPermitted):
        assign_case_manager(case, f.program_admin(), None, case.version)
    with pytest.raises(NotPermitted):  # nor does screening give a case to one
        cases.accept_referral(case, f.program_admin(), case.version)


# --- lists filtered by case manager -------------------------------------------------------------


def _names(html: str, cases_: dict[str, Case]) -> set[str]:
    return {name for name, c in cases_.items() if f'href="/admin/cases/{c.id}"' in html}


@pytest.mark.parametrize("url", ["/admin/", "/admin/cases"])
def test_the_queue_and_case_list_filter_by_case_manager(client, me, f, url):
    other = f.case_manager(name="Other Manager")
    made = {
        "mine": f.CaseFactory(case_manager_id=me.id),
        "mine accepted": f.CaseFactory(status=CaseStatus.ACCEPTED, case_manager_id=me.id),
        "other": f.CaseFactory(case_manager_id=other.id),
        "nobody": f.CaseFactory(status=CaseStatus.ACCEPTED),
    }
    db.session.commit()
    every = _names(client.get(url).get_data(as_text=True), made)
    assert every == set(made)
    assert _names(client.get(f"{url}?cm=mine").get_data(as_text=True), made) == {
        "mine",
        "mine accepted",
    }
    assert _names(client.get(f"{url}?cm=none").get_data(as_text=True), made) == {"nobody"}
    named = client.get(f"{url}?cm={other.id}").get_data(as_text=True)
    assert _names(named, made) == {"other"}
    assert f'<option value="{other.id}" selected>Other Manager</option>' in named
    # A user who is no case manager is never named by the filter's choices.
    officer = made["other"].officer
    by_officer = client.get(f"{url}?cm={officer.id}").get_data(as_text=True)
    assert _names(by_officer, made) == set() and officer.name not in by_officer
    # Nonsense filters show everything.
    for junk in ("zzz", "-1", "99999999999999"):
        assert _names(client.get(f"{url}?cm={junk}").get_data(as_text=True), made) == set(made)


def test_the_filtered_case_list_pages_keep_the_filter(client, me, f):
    for _ in range(7):
        f.CaseFactory(case_manager_id=me.id)
        f.CaseFactory()
    db.session.commit()
    first = client.get("/admin/cases?cm=mine").get_data(as_text=True)
    assert "7 cases." in first
    following = next_link(first)
    assert following is not None and "cm=mine" in following
    second = client.get(following).get_data(as_text=True)
    assert len(re.findall(r'href="/admin/cases/(\d+)"', second)) == 2


# --- caseload ----------------------------------------------------------------------------------


def test_caseload_counts_open_cases_against_the_guidance(client, me, f):
    settings = get_settings()
    settings.caseload_guidance, settings.caseload_flag_over = 2, 3
    busy = f.case_manager(name="Busy Manager")
    fine = f.case_manager(name="Fine Manager")
    f.case_manager(name="Gone Manager", active=False)
    f.program_admin(name="Pat Admin")
    for status in (CaseStatus.REFERRED, CaseStatus.ACCEPTED, CaseStatus.ACTIVE, CaseStatus.ACTIVE):
        f.CaseFactory(status=status, case_manager_id=busy.id)
    f.CaseFactory(completed=True, case_manager_id=busy.id)  # closed: not counted
    f.CaseFactory(status=CaseStatus.DECLINED, case_manager_id=fine.id)
    for _ in range(3):
        f.CaseFactory(status=CaseStatus.ACTIVE, case_manager_id=me.id)
    f.CaseFactory()  # nobody's
    db.session.commit()
    html = client.get("/admin/caseload").get_data(as_text=True)
    assert "guidance is <strong>2</strong>" in html and "over <strong>3</strong>" in html
    rows = {
        name: html[html.index(f">{name}<") :].split("</tr>")[0]
        for name in ("Busy Manager", "Fine Manager", "Casey Mine")
    }
    assert "<strong>4</strong>" in rows["Busy Manager"] and "Over 3" in rows["Busy Manager"]
    assert (
        "<strong>0</strong>" in rows["Fine Manager"] and "portal-badge" not in rows["Fine Manager"]
    )
    assert "<strong>3</strong>" in rows["Casey Mine"] and "Above the guidance" in rows["Casey Mine"]
    assert "Gone Manager" not in html and "Pat Admin" not in html
    assert "1 open case assigned to nobody" in html


def test_caseload_is_for_case_managers_and_program_administrators(client, f, login_as):
    f.case_manager(name="Listed Manager")
    db.session.commit()
    login_as(f.program_admin())
    html = client.get("/admin/caseload").get_data(as_text=True)
    assert "Listed Manager" in html
    assert 'href="/admin/caseload"' in html  # the menu links it
    assert 'href="/admin/cases?cm=' not in html  # no link to cases they may not open


def test_an_evaluator_sees_no_caseload(client, f, login_as):
    login_as(f.evaluator())
    assert client.get("/admin/caseload").status_code == 403


def test_caseload_pages_case_managers_by_name(client, me, f):
    for n in range(7):
        f.case_manager(name=f"Manager {n:02d}")
    db.session.commit()
    first = client.get("/admin/caseload").get_data(as_text=True)
    assert "Manager 00" in first and "Manager 04" not in first  # PAGE_SIZE is 5
    second = client.get(next_link(first)).get_data(as_text=True)
    assert "Manager 04" in second and "Manager 00" not in second


# --- outreach ----------------------------------------------------------------------------------


def test_outreach_lists_accepted_cases_by_days_left_with_the_last_contact(client, me, f):
    today = local_today()
    soon = f.CaseFactory(status=CaseStatus.ACCEPTED, intake_deadline=today + dt.timedelta(3))
    late = f.CaseFactory(status=CaseStatus.ACCEPTED, intake_deadline=today - dt.timedelta(2))
    later = f.CaseFactory(
        status=CaseStatus.ACCEPTED, intake_deadline=today + dt.timedelta(20), case_manager_id=me.id
    )
    referred = f.CaseFactory()
    active = f.CaseFactory(status=CaseStatus.ACTIVE)
    for days_ago, kind in ((5, ContactKind.OUTREACH_ATTEMPT), (1, ContactKind.PHONE)):
        db.session.add(
            Contact(
                case_id=soon.id,
                staff_id=me.id,
                contacted_on=today - dt.timedelta(days_ago),
                kind=kind,
            )
        )
    db.session.add(
        Contact(
            case_id=late.id,
            staff_id=me.id,
            contacted_on=today - dt.timedelta(4),
            kind=ContactKind.OUTREACH_ATTEMPT,
        )
    )
    db.session.commit()
    html = client.get("/admin/outreach").get_data(as_text=True)
    order = [html.index(f'href="/admin/cases/{c.id}"') for c in (late, soon, later)]
    assert order == sorted(order)
    assert f'href="/admin/cases/{referred.id}"' not in html
    assert f'href="/admin/cases/{active.id}"' not in html
    assert "3 people to reach" in html
    row = html[order[1] :].split("</tr>")[0]
    assert "Phone, " in row and "(1 day ago; 2 contacts in all)" in row and "3 days left" in row
    row = html[order[0] :].split("</tr>")[0]
    assert "Outreach attempt" in row and "Overdue by 2 days" in row
    row = html[order[2] :].split("</tr>")[0]
    assert "None yet" in row and "Casey Mine" in row
    mine = client.get("/admin/outreach?cm=mine").get_data(as_text=True)
    assert (
        f'href="/admin/cases/{later.id}"' in mine and f'href="/admin/cases/{soon.id}"' not in mine
    )
    nobody = client.get("/admin/outreach?cm=none", headers={"HX-Request": "true"})
    fragment = nobody.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="outreach"')
    assert f'href="/admin/cases/{later.id}"' not in fragment and "2 people to reach" in fragment


def test_outreach_is_for_case_managers_only(client, f, login_as):
    login_as(f.program_admin())
    assert client.get("/admin/outreach").status_code == 403
    page = client.get("/admin/caseload").get_data(as_text=True)
    assert 'href="/admin/outreach"' not in page


# --- settings ----------------------------------------------------------------------------------


def _settings_form(**changes):
    settings = get_settings()
    data = {
        "intake_deadline_days": str(settings.intake_deadline_days),
        "eligibility_items": "\n".join(settings.eligibility_items),
        "exclusion_reasons": "\n".join(settings.exclusion_reasons),
        "caseload_guidance": "15",
        "caseload_flag_over": "25",
    }
    return data | changes


def test_the_caseload_guidance_is_a_setting_with_defaults(client, f, login_as):
    login_as(f.program_admin())
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="caseload_guidance" type="text" value="15"' in page or 'value="15"' in page
    response = post(
        client,
        "/admin/settings",
        _settings_form(caseload_guidance="12", caseload_flag_over="20"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    settings = get_settings()
    assert (settings.caseload_guidance, settings.caseload_flag_over) == (12, 20)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"caseload_guidance": "0"}, "Enter a number of cases from 1 to 200."),
        ({"caseload_guidance": "201"}, "Enter a number of cases from 1 to 200."),
        ({"caseload_flag_over": "abc"}, ""),
        ({"caseload_guidance": "20", "caseload_flag_over": "10"}, "from the guidance (20) to 200"),
    ],
)
def test_a_bad_caseload_setting_is_refused_and_nothing_saved(client, f, login_as, changes, message):
    login_as(f.program_admin())
    response = post(client, "/admin/settings", _settings_form(intake_deadline_days="40", **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    settings = get_settings()
    assert (settings.caseload_guidance, settings.caseload_flag_over) == (15, 25)
    assert settings.intake_deadline_days != 40


def test_the_referring_officer_never_sees_who_manages_the_case(client, me, f):
    case = f.CaseFactory()
    db.session.commit()
    assert _assign(client, case, str(me.id)).status_code == 200
    officer = db.session.get(Case, case.id).officer
    seen = get_timeline(db.session.get(Case, case.id), officer).entries
    assert _entries(case) and all(e.kind != TimelineKind.CASE_MANAGER_CHANGED for e in seen)
