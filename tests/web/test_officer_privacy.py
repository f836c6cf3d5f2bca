"""What an officer (status only) and a provider (its own services only) see of a case."""

from __future__ import annotations

from html import unescape

from portal.clock import local_today
from portal.models import CaseStatus, TimelineKind
from portal.services import assessments, referrals
from portal.services.timeline import get_timeline
from tests.conftest import login
from tests.unit.test_assessments import needs

SECRETS = [
    "High: housing",
    "detox needed",
    "Zephyr Withdrawal Unit",
    "Quartz Recovery Services",
    "Sleeps behind the feed store",
    "Talked about her sister's court date",
    "wants the 6 pm group",
    "heroin and xylazine",
]


def test_officer_page_and_fragment_never_show_assessment_services_or_notes(f, client):
    officer = f.officer()
    admin = f.admin()
    case = f.CaseFactory(status=CaseStatus.ACTIVE, officer=officer)
    org = f.OrganizationFactory(name="Quartz Recovery Services")
    service = f.ServiceFactory(organization=org, name="Zephyr Withdrawal Unit")
    staff = f.provider(organization=org)
    levels = {
        d: (lvl, "Sleeps behind the feed store") for d, (lvl, _) in needs(housing="high").items()
    }
    assessments.record_assessment(case, admin, local_today(), "heroin and xylazine", True, levels)
    assessments.record_contact(
        case,
        admin,
        local_today(),
        assessments.ContactKind.PHONE,
        "Talked about her sister's court date",
    )
    referral = referrals.assign_service(case, service, admin, note="wants the 6 pm group")

    login(client, officer)

    def officer_views():
        page = client.get(f"/officer/referrals/{case.id}").get_data(as_text=True)
        fragment = client.get(
            f"/officer/referrals/{case.id}/timeline", headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 200
        return unescape(page), unescape(fragment.get_data(as_text=True))

    page, fragment = officer_views()
    for html in (page, fragment):
        for secret in SECRETS:
            assert secret.lower() not in html.lower(), secret
        assert "Engaged in services" not in html

    referrals.accept_service_referral(referral, staff)
    page, fragment = officer_views()
    for html in (page, fragment):  # without the participant's consent: nothing after screening
        assert "Engaged in services" not in html
    f.ConsentFactory(case=case)
    page, fragment = officer_views()
    for html in (page, fragment):
        for secret in SECRETS:
            assert secret.lower() not in html.lower(), secret
        assert html.count("Engaged in services") == 1
    assert "<html" in page and "<html" not in fragment

    # The same facts are on the case, for the program office to see (so the test can fail).
    admin_client = client.application.test_client()
    login(admin_client, admin)
    admin_page = unescape(admin_client.get(f"/admin/cases/{case.id}").get_data(as_text=True))
    for secret in SECRETS:
        assert secret.lower() in admin_page.lower(), secret


def test_provider_timeline_has_its_own_service_entries_only(f):
    admin = f.admin()
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    ours, theirs = f.ServiceFactory(name="Our group"), f.ServiceFactory(name="Their clinic")
    staff = f.provider(organization=ours.organization)
    levels = {d: (lvl, "private note") for d, (lvl, _) in needs(housing="high").items()}
    assessments.record_assessment(case, admin, local_today(), "", False, levels)
    assessments.record_contact(case, admin, local_today(), assessments.ContactKind.PHONE, "hi")
    referrals.assign_service(case, ours, admin)
    referrals.assign_service(case, theirs, admin)
    entries = get_timeline(case, staff).entries
    assert [e.kind for e in entries] == [TimelineKind.SERVICE_REFERRED]
    assert entries[0].payload["service_name"] == "Our group"
