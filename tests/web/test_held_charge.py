"""The held charge of an arrest diversion (incident, offences, statutes, filing date): on the
referring officer's and the administrator's case pages; never on a provider's page, nor for an
officer who sees the case only under a consent."""

from __future__ import annotations

import datetime as dt
from html import unescape

from portal.clock import local_today
from portal.extensions import db
from portal.models import Agency, RecipientKind, ReferralType
from tests.conftest import login
from tests.worlds import provider_world

HTMX = {"HX-Request": "true"}
INCIDENT = "INC-HELD-0417"
STATUTE = "KRS 218A.9999"
OFFENCE = "Possession of a held substance"
FILE_BY = dt.date(2027, 4, 17)
SHOWN = ["Held charge", INCIDENT, STATUTE, OFFENCE, "Apr 17, 2027"]


def _held(case) -> None:
    case.referral_type = ReferralType.ARREST
    case.incident_number, case.statutes, case.offences = INCIDENT, STATUTE, OFFENCE
    case.charge_file_by = FILE_BY


def _html(client, url: str, **kw) -> str:
    response = client.get(url, **kw)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def test_the_referring_officer_sees_the_held_charge(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer, active=True)
    _held(case)
    login_as(officer)
    html = _html(client, f"/officer/referrals/{case.id}")
    for text in SHOWN:
        assert text in html
    assert "File by" in html


def test_a_referral_that_is_not_an_arrest_diversion_holds_no_charge(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer, referral_type=ReferralType.SOCIAL, incident_number="X1")
    login_as(officer)
    html = _html(client, f"/officer/referrals/{case.id}")
    assert "Held charge" not in html
    assert "X1" in html  # the referral's own details are still there


def test_a_colleague_named_by_a_consent_does_not_see_the_held_charge(client, login_as, f):
    officer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    case = f.CaseFactory(officer=officer, active=True)
    _held(case)
    f.ConsentFactory(
        case=case,
        recipient_kind=RecipientKind.AGENCY,
        recipient_agency_id=officer.agency_id,
        signed_on=local_today() - dt.timedelta(days=3),
    )
    login_as(colleague)
    html = _html(client, f"/officer/referrals/{case.id}")
    for text in ("Held charge", STATUTE, "Apr 17, 2027"):
        assert text not in html


def test_the_administrator_sees_the_held_charge(client, login_as, f):
    case = f.CaseFactory(active=True)
    _held(case)
    login_as(f.admin())
    html = _html(client, f"/admin/cases/{case.id}")
    for text in SHOWN:
        assert text in html


def test_provider_pages_never_show_the_held_charge(client, f):
    world = provider_world(f)
    referral = world.participant()
    _held(referral.case)
    pending = world.participant(accept=False)
    _held(pending.case)
    db.session.commit()
    login(client, world.staff)
    day = local_today().isoformat()
    pages = [
        _html(client, "/provider/"),
        _html(client, f"/provider/participants/{referral.case_id}"),
        _html(client, f"/provider/participants/{referral.case_id}/timeline", headers=HTMX),
        _html(client, f"/provider/participants/{pending.case_id}"),
        _html(client, "/provider/sessions"),
        _html(client, f"/provider/sessions/{world.service.id}/{day}"),
        _html(client, "/provider/services"),
        _html(client, f"/provider/services/{world.service.id}"),
    ]
    assert any(referral.case.person.last_name in html for html in pages)  # not vacuous
    for html in pages:
        for text in SHOWN:
            assert text not in html
