"""The officer's resource page and the pocket card (English and Spanish)."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import ProgramPage
from portal.services.program_page import DEFAULTS
from tests.web.test_public_page import clinic


def _program(**overrides) -> ProgramPage:
    page = ProgramPage(**{**DEFAULTS, **overrides})
    db.session.add(page)
    db.session.flush()
    return page


def test_an_officer_sees_the_on_call_number_providers_and_what_to_tell(client, login_as, f):
    _program(on_call_phone="(304) 555-0199", handoff_text="- Tell them **we care**.")
    clinic()
    login_as(f.officer())
    response = client.get("/officer/resources")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="tel:3045550199"' in page and "(304) 555-0199" in page
    assert "<li>Tell them <strong>we care</strong>.</li>" in page
    assert "Harm Reduction Clinic" in page and "Fayette County Health Department" in page
    assert "Every Wednesday, 1:00\u202fPM to 3:00\u202fPM" in page
    assert "210 W Maple Ave" in page and 'href="tel:3045550178"' in page
    assert 'href="/officer/resources/card?lang=es"' in page
    assert 'aria-current="page">Resources<' in page


def test_the_card_in_english(client, login_as, f):
    _program(name="LEAD Fayette", on_call_phone="(304) 555-0199")
    clinic()
    login_as(f.officer())
    page = client.get("/officer/resources/card?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "LEAD Fayette" in page
    assert "What happens next" in page and "(304) 555-0199" in page
    assert "Walk-in clinic hours" in page
    assert "Harm Reduction Clinic: Every Wednesday, 1:00\u202fPM to 3:00\u202fPM" in page


def test_the_card_in_spanish(client, login_as, f):
    _program(name="LEAD Fayette", contact_phone="(304) 555-0100")
    clinic()
    login_as(f.officer())
    page = client.get("/officer/resources/card?lang=es").get_data(as_text=True)
    assert '<article class="portal-pocket-card" lang="es"' in page
    assert "Lo que sigue" in page and "Llámenos:" in page
    assert "Horario de la clínica sin cita" in page
    assert "Harm Reduction Clinic: Cada miércoles, de 13:00 a 15:00" in page
    assert "(304) 555-0100" in page  # no on-call number: the contact phone
    assert "What happens next" not in page
    # The officer's own menu stays in English; the page's language is the card's only.
    assert "My referrals" in page


def test_the_card_ignores_the_officers_browser_language(client, login_as, f):
    login_as(f.officer())
    page = client.get("/officer/resources/card", headers={"Accept-Language": "es"})
    assert "What happens next" in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["provider", "admin", "case_manager"])
@pytest.mark.parametrize("url", ["/officer/resources", "/officer/resources/card?lang=es"])
def test_other_roles_are_refused(client, login_as, f, role, url):
    login_as(getattr(f, role)())
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/officer/resources/card?lang=es")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
