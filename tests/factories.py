"""factory_boy factories for the domain, flushed into the test's session."""

from __future__ import annotations

import datetime as dt

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    CaseStatus,
    Organization,
    Person,
    ReferralType,
    Role,
    Service,
    ServiceCategory,
    User,
    utcnow,
)
from portal.passwords import hash_password

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AgencyFactory(Base):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    short_name = factory.Sequence(lambda n: f"AG{n}")


class OrganizationFactory(Base):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Provider {n}")


class ServiceFactory(Base):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    category = ServiceCategory.COUNSELLING
    capacity_max = 10
    capacity_available = 10
    by_appointment = True


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.ADMIN
    password_hash = _PASSWORD_HASH

    class Params:
        officer = factory.Trait(role=Role.OFFICER, agency=factory.SubFactory(AgencyFactory))
        provider = factory.Trait(
            role=Role.PROVIDER, organization=factory.SubFactory(OrganizationFactory)
        )

    @classmethod
    def _create(cls, model_class, *args, agency=None, organization=None, **kwargs):
        if agency is not None:
            kwargs["agency_id"] = agency.id
        if organization is not None:
            kwargs["organization_id"] = organization.id
        return super()._create(model_class, *args, **kwargs)


class PersonFactory(Base):
    class Meta:
        model = Person

    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Doe"
    dob = dt.date(1990, 4, 28)


class CaseFactory(Base):
    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    officer = factory.SubFactory(UserFactory, officer=True)
    agency_id = factory.LazyAttribute(lambda o: o.officer.agency_id)
    referral_type = ReferralType.ARREST
    status = CaseStatus.REFERRED
    referred_at = factory.LazyFunction(utcnow)
    intake_deadline = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    offences = "Possession of a controlled substance"


def officer(**kw) -> User:
    return UserFactory(officer=True, **kw)


def provider(**kw) -> User:
    return UserFactory(provider=True, **kw)


def admin(**kw) -> User:
    return UserFactory(**kw)
