"""Agencies and provider organisations: unique names, field limits, only managers change them."""

from __future__ import annotations

import pytest

from portal.services import organizations
from portal.services.errors import NotPermitted, ValidationFailed


def _refused(call, field: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value.message


def test_agency_names_are_unique_ignoring_case(f):
    admin = f.admin()
    agency = organizations.create_agency(
        admin, name="  Oak Hill Police Department ", short_name="OHPD"
    )
    assert agency.name == "Oak Hill Police Department"
    message = _refused(
        lambda: organizations.create_agency(admin, name="oak hill police department"), "name"
    )
    assert "already exists" in message
    _refused(lambda: organizations.create_agency(admin, name="   "), "name")
    _refused(lambda: organizations.create_agency(admin, name="x" * 121), "name")
    # Renaming to its own name is fine.
    organizations.update_agency(admin, agency, name="Oak Hill Police Department", short_name="")
    assert agency.short_name is None


def test_organisation_fields_and_unique_name(f):
    admin = f.admin()
    org = organizations.create_organization(
        admin, name="FMRS", description="Behavioral health", email="Info@FMRS.example.org"
    )
    assert org.email == "info@fmrs.example.org" and org.active
    _refused(lambda: organizations.create_organization(admin, name="fmrs"), "name")
    _refused(
        lambda: organizations.update_organization(admin, org, name="FMRS", phone="1" * 41), "phone"
    )
    organizations.set_organization_active(admin, org, False)
    assert not org.active


def test_only_admins_change_the_directory(f):
    with pytest.raises(NotPermitted):
        organizations.create_agency(f.officer(), name="Rogue agency")
    with pytest.raises(NotPermitted):
        organizations.create_organization(f.provider(), name="Rogue provider")
