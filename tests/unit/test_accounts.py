"""Account management rules: deactivation ends sessions, no self lock-out, program settings."""

from __future__ import annotations

import pytest

from portal.models import Role
from portal.services import accounts, user_sessions
from portal.services.errors import NotPermitted, ValidationFailed
from portal.services.settings import get_settings, update_settings
from tests.factories import PASSWORD


def test_deactivation_ends_sessions_and_blocks_sign_in(f):
    admin, officer = f.admin(), f.officer()
    token = user_sessions.start_session(officer, ip_address=None, user_agent=None)
    assert accounts.user_for_session(token) == officer
    accounts.set_user_active(admin, officer, False)
    assert accounts.user_for_session(token) is None
    assert accounts.authenticate(officer.email, PASSWORD) is None
    accounts.set_user_active(admin, officer, True)
    assert accounts.authenticate(officer.email, PASSWORD) == officer


def test_admin_cannot_lock_themselves_out(f):
    admin = f.admin()
    with pytest.raises(ValidationFailed):
        accounts.set_user_active(admin, admin, False)
    with pytest.raises(ValidationFailed) as caught:
        accounts.update_user(
            admin,
            email=admin.email,
            name=admin.name,
            role=Role.OFFICER,
            agency_id=f.AgencyFactory().id,
            organization_id=None,
            badge_number=None,
            active=True,
            actor=admin,
        )
    assert caught.value.field == "role"


def test_only_admins_deactivate(f):
    with pytest.raises(NotPermitted):
        accounts.set_user_active(f.provider(), f.officer(), False)


def test_inactive_agency_is_not_offered_to_new_officers(f):
    agency = f.AgencyFactory(active=False)
    with pytest.raises(ValidationFailed) as caught:
        accounts.create_user(
            email="new@example.org",
            name="New Officer",
            role=Role.OFFICER,
            password=PASSWORD,
            agency_id=agency.id,
        )
    assert caught.value.field == "agency_id"


def test_bad_password_on_edit_changes_nothing(f):
    user = f.officer()
    token = user_sessions.start_session(user, ip_address=None, user_agent=None)
    before = user.name
    with pytest.raises(ValidationFailed):
        accounts.update_user(
            user,
            email=user.email,
            name="Renamed",
            role=user.role,
            agency_id=user.agency_id,
            organization_id=None,
            badge_number=None,
            active=True,
            password="short",
        )
    assert user.name == before
    assert accounts.user_for_session(token) == user


@pytest.mark.parametrize(
    ("days", "items", "reasons", "field"),
    [
        (0, ["a"], ["b"], "intake_deadline_days"),
        (366, ["a"], ["b"], "intake_deadline_days"),
        (30, ["  ", ""], ["b"], "eligibility_items"),
        (30, ["a"], ["x" * 256], "exclusion_reasons"),
    ],
)
def test_settings_are_checked(f, days, items, reasons, field):
    with pytest.raises(ValidationFailed) as caught:
        update_settings(
            f.admin(), intake_deadline_days=days, eligibility_items=items, exclusion_reasons=reasons
        )
    assert caught.value.field == field


def test_settings_lines_trimmed_and_deduplicated(f):
    update_settings(
        f.admin(),
        intake_deadline_days=14,
        eligibility_items=[" Adult ", "adult", "", "Local"],
        exclusion_reasons=["Other"],
    )
    settings = get_settings()
    assert settings.intake_deadline_days == 14
    assert settings.eligibility_items == ["Adult", "Local"]


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_only_administrators_change_the_rules(f, role):
    before = get_settings().intake_deadline_days
    with pytest.raises(NotPermitted):
        update_settings(
            getattr(f, role)(),
            intake_deadline_days=before + 1,
            eligibility_items=["Adult"],
            exclusion_reasons=["Other"],
        )
    assert get_settings().intake_deadline_days == before
