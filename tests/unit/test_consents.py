"""Recording and revoking consents to disclose (42 CFR Part 2, sections 2.31 and 2.35)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from portal.clock import local_date, local_today, program_tz
from portal.extensions import db
from portal.models import (
    Agency,
    Consent,
    RecipientKind,
    SignatureMethod,
    TimelineEntry,
    TimelineKind,
)
from portal.policy import consent_in_force, is_in_force
from portal.services.consents import (
    ConsentData,
    consents_of,
    is_irrevocable,
    record_consent,
    revoke_consent,
)
from portal.services.errors import InvalidTransition, NotPermitted, ValidationFailed

PURPOSE = "Keep the referring officer informed of the participant's progress."


def _data(case, **kw) -> ConsentData:
    values = {
        "scopes": ["status"],
        "recipient_kind": "agency",
        "recipient_agency_id": case.agency_id,
        "purpose": PURPOSE,
        "signed_on": local_today(),
        "signature_method": "wet",
        "expiry_event": "Exit from the program",
    }
    return ConsentData(**{**values, **kw})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _entries(case, kind=None) -> list[TimelineEntry]:
    query = select(TimelineEntry).where(TimelineEntry.case_id == case.id)
    if kind is not None:
        query = query.where(TimelineEntry.kind == kind)
    return list(db.session.scalars(query))


def _refused(case, actor, data: ConsentData) -> ValidationFailed:
    """Record `data`, expect a refusal, and check that nothing at all was written."""
    consents, entries = _count(Consent), _count(TimelineEntry)
    with pytest.raises(ValidationFailed) as refused:
        record_consent(case, actor, data)
    db.session.flush()
    assert (_count(Consent), _count(TimelineEntry)) == (consents, entries)
    return refused.value


@pytest.fixture
def case(f):
    return f.CaseFactory(active=True)


# --- recording: every element of section 2.31 ---------------------------------------------

MISSING = {
    "scopes": {"scopes": []},
    "unknown scope": {"scopes": ["status", "everything"]},
    "recipient kind": {"recipient_kind": ""},
    "agency": {"recipient_agency_id": None},
    "unknown agency": {"recipient_agency_id": 2**31 - 1},
    "officer": {"recipient_kind": "officer"},
    "prosecutor": {"recipient_kind": "prosecutor", "recipient_name": "   "},
    "purpose": {"purpose": "  "},
    "revocation": {"revocation_terms": ""},
    "signature date": {"signed_on": None},
    "signature method": {"signature_method": ""},
    "unknown method": {"signature_method": "telepathy"},
    "expiry": {"expires_on": None, "expiry_event": " "},
    "unknown provider": {"provider_ids": [2**31 - 1]},
    "long purpose": {"purpose": "x" * 2001},
    "long expiry event": {"expiry_event": "x" * 256},
    "criminal justice": {"criminal_justice": True},
}
FIELD = {
    "scopes": "scopes",
    "unknown scope": "scopes",
    "recipient kind": "recipient_kind",
    "agency": "recipient_agency_id",
    "unknown agency": "recipient_agency_id",
    "officer": "recipient_officer_id",
    "prosecutor": "recipient_name",
    "purpose": "purpose",
    "revocation": "revocation_terms",
    "signature date": "signed_on",
    "signature method": "signature_method",
    "unknown method": "signature_method",
    "expiry": "expires_on",
    "unknown provider": "provider_ids",
    "long purpose": "purpose",
    "long expiry event": "expiry_event",
    "criminal justice": "irrevocable_until",
}


@pytest.mark.parametrize("element", list(MISSING))
def test_a_consent_missing_an_element_is_refused_at_that_field(f, case, element):
    error = _refused(case, f.admin(), _data(case, **MISSING[element]))
    assert error.field == FIELD[element]
    assert error.message


def test_a_complete_consent_is_recorded_with_its_timeline_entry(f, case):
    admin = f.admin()
    provider = f.OrganizationFactory()
    consent = record_consent(
        case,
        admin,
        _data(
            case,
            scopes=["outcome", "status"],
            provider_ids=[provider.id],
            expires_on=local_today() + dt.timedelta(days=365),
        ),
    )
    assert consent.id is not None and consent.case_id == case.id
    assert (consent.discloses_status, consent.discloses_attendance, consent.discloses_outcome) == (
        True,
        False,
        True,
    )
    assert consent.recipient_kind == RecipientKind.AGENCY
    assert consent.recipient_agency_id == case.agency_id
    assert consent.provider_ids == [provider.id]
    assert consent.signature_method == SignatureMethod.WET
    assert consent.witness_id == admin.id and consent.created_by_id == admin.id
    assert consent.legacy is False
    assert is_in_force(consent)
    [entry] = _entries(case, TimelineKind.CONSENT_RECORDED)
    assert entry.actor_id == admin.id
    assert entry.payload["consent_id"] == consent.id
    assert "Program status" in entry.payload["summary"]
    assert "Completion of the program" in entry.payload["summary"]
    assert entry.payload["recipient"] == db.session.get(Agency, case.agency_id).name


def test_expiry_before_the_signature_is_refused_on_the_day_itself_accepted(f, case):
    admin, today = f.admin(), local_today()
    error = _refused(case, admin, _data(case, expires_on=today - dt.timedelta(days=1)))
    assert error.field == "expires_on"
    assert "before the signature" in error.message
    assert record_consent(case, admin, _data(case, expires_on=today)).expires_on == today


def test_a_signature_in_the_future_is_refused(f, case):
    error = _refused(case, f.admin(), _data(case, signed_on=local_today() + dt.timedelta(days=1)))
    assert error.field == "signed_on"
    assert "future" in error.message


def test_a_signature_before_the_referral_is_refused(f, case):
    referred_on = local_date(case.referred_at)
    error = _refused(case, f.admin(), _data(case, signed_on=referred_on - dt.timedelta(days=1)))
    assert error.field == "signed_on"
    assert f"{referred_on:%b %-d, %Y}" in error.message
    assert record_consent(case, f.admin(), _data(case, signed_on=referred_on)).signed_on == (
        referred_on
    )


@pytest.mark.parametrize("who", ["administrator", "provider staff", "inactive officer"])
def test_the_recipient_officer_must_be_an_active_officer(f, case, who):
    recipient = {
        "administrator": f.admin,
        "provider staff": f.provider,
        "inactive officer": lambda: f.officer(active=False),
    }[who]()
    error = _refused(
        case, f.admin(), _data(case, recipient_kind="officer", recipient_officer_id=recipient.id)
    )
    assert error.field == "recipient_officer_id"


def test_a_named_officer_of_any_agency_may_be_the_recipient(f, case):
    named = f.officer()
    consent = record_consent(
        case, f.admin(), _data(case, recipient_kind="officer", recipient_officer_id=named.id)
    )
    assert (consent.recipient_kind, consent.recipient_officer_id) == (
        RecipientKind.OFFICER,
        named.id,
    )
    assert consent.recipient_agency_id is None


def test_an_inactive_agency_cannot_be_the_recipient(f, case):
    agency = f.AgencyFactory(active=False)
    error = _refused(case, f.admin(), _data(case, recipient_agency_id=agency.id))
    assert error.field == "recipient_agency_id"


def test_the_prosecutors_office_is_named(f, case):
    error = _refused(case, f.admin(), _data(case, recipient_kind="prosecutor"))
    assert error.field == "recipient_name"
    consent = record_consent(
        case,
        f.admin(),
        _data(case, recipient_kind="prosecutor", recipient_name=" Fayette County Prosecutor "),
    )
    assert consent.recipient_name == "Fayette County Prosecutor"
    assert consent.recipient_agency_id is None


def test_a_criminal_justice_consent_states_until_when_it_is_irrevocable(f, case):
    admin, today = f.admin(), local_today()
    later = today + dt.timedelta(days=30)
    for data, field in [
        (_data(case, criminal_justice=True), "irrevocable_until"),
        (
            _data(case, criminal_justice=True, irrevocable_until=today - dt.timedelta(days=1)),
            "irrevocable_until",
        ),
        (
            _data(
                case,
                criminal_justice=True,
                expires_on=later,
                irrevocable_until=later + dt.timedelta(days=1),
            ),
            "irrevocable_until",
        ),
    ]:
        assert _refused(case, admin, data).field == field
    until_date = record_consent(
        case, admin, _data(case, criminal_justice=True, expires_on=later, irrevocable_until=later)
    )
    assert until_date.irrevocable_until == later
    until_event = record_consent(
        case, admin, _data(case, criminal_justice=True, irrevocable_event="Final disposition")
    )
    assert (until_event.irrevocable_until, until_event.irrevocable_event) == (
        None,
        "Final disposition",
    )


def test_an_ordinary_consent_keeps_no_irrevocability(f, case):
    consent = record_consent(
        case,
        f.admin(),
        _data(case, irrevocable_until=local_today() + dt.timedelta(days=9), irrevocable_event="x"),
    )
    assert (consent.criminal_justice, consent.irrevocable_until, consent.irrevocable_event) == (
        False,
        None,
        None,
    )
    assert not is_irrevocable(consent)


def test_a_consent_is_recorded_at_or_after_intake_by_the_office_only(f, case):
    accepted = f.CaseFactory(accepted=True)
    with pytest.raises(InvalidTransition):
        record_consent(accepted, f.admin(), _data(accepted))
    with pytest.raises(NotPermitted):
        record_consent(case, case.officer, _data(case))
    assert _count(Consent) == 0 and _entries(case, TimelineKind.CONSENT_RECORDED) == []


# --- a release ticked at intake before consents existed --------------------------------------


def _legacy(f, case) -> Consent:
    """What the migration made of a release ticked at intake."""
    return f.ConsentFactory(
        case=case,
        legacy=True,
        discloses_status=False,
        recipient_kind=None,
        recipient_agency_id=None,
        purpose="",
        revocation_terms="",
        signed_on=None,
        signature_method=None,
        expiry_event=None,
    )


def test_a_legacy_release_counts_for_nothing(f, case):
    legacy = _legacy(f, case)
    assert not is_in_force(legacy)
    in_force = select(Consent.id).where(Consent.case_id == case.id, consent_in_force())
    assert db.session.scalars(in_force).all() == []
    with pytest.raises(InvalidTransition):
        revoke_consent(legacy, f.admin(), local_today(), "By letter")


def test_a_legacy_release_is_completed_rather_than_duplicated(f, case):
    legacy = _legacy(f, case)
    admin = f.admin()
    consent = record_consent(case, admin, _data(case))
    assert consent.id == legacy.id
    assert [c.id for c in consents_of(case)] == [legacy.id]
    assert consent.legacy is False and consent.discloses_status
    assert consent.witness_id == admin.id
    assert is_in_force(consent)
    assert len(_entries(case, TimelineKind.CONSENT_RECORDED)) == 1
    # A second consent (another recipient) is a consent of its own.
    other = record_consent(case, admin, _data(case, recipient_agency_id=f.AgencyFactory().id))
    assert other.id != legacy.id
    assert len(consents_of(case)) == 2


def test_a_refused_completion_leaves_the_legacy_release_as_it_was(f, case):
    legacy = _legacy(f, case)
    _refused(case, f.admin(), _data(case, purpose=""))
    db.session.expire_all()
    stored = db.session.get(Consent, legacy.id)
    assert stored.legacy is True
    assert (stored.discloses_status, stored.recipient_kind, stored.signed_on) == (
        False,
        None,
        None,
    )


# --- revocation ------------------------------------------------------------------------------


def _signed(f, case, days_ago=30, **kw) -> Consent:
    return f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=days_ago), **kw)


def test_a_revocation_takes_effect_with_its_timeline_entry(f, case):
    admin = f.admin()
    consent = _signed(f, case)
    revoke_consent(consent, admin, local_today(), "  By letter  ")
    assert consent.revoked_on == local_today()
    assert consent.revocation_received == "By letter"
    assert not is_in_force(consent)
    [entry] = _entries(case, TimelineKind.CONSENT_REVOKED)
    assert entry.actor_id == admin.id
    assert entry.payload["consent_id"] == consent.id


def test_a_consent_is_not_revoked_twice(f, case):
    consent = _signed(f, case)
    revoke_consent(consent, f.admin(), local_today(), "In person")
    with pytest.raises(InvalidTransition):
        revoke_consent(consent, f.admin(), local_today(), "In person")
    assert len(_entries(case, TimelineKind.CONSENT_REVOKED)) == 1


@pytest.mark.parametrize(
    ("days", "received", "field"),
    [(-31, "By letter", "revoked_on"), (1, "By letter", "revoked_on"), (0, " ", "received")],
    ids=["before the signature", "in the future", "how it was received"],
)
def test_a_bad_revocation_is_refused_and_changes_nothing(f, case, days, received, field):
    consent = _signed(f, case)
    with pytest.raises(ValidationFailed) as refused:
        revoke_consent(consent, f.admin(), local_today() + dt.timedelta(days=days), received)
    assert refused.value.field == field
    assert consent.revoked_on is None and is_in_force(consent)
    assert _entries(case, TimelineKind.CONSENT_REVOKED) == []


def test_only_the_office_records_a_revocation(f, case):
    consent = _signed(f, case)
    with pytest.raises(NotPermitted):
        revoke_consent(consent, case.officer, local_today(), "By letter")
    assert consent.revoked_on is None


def test_an_irrevocable_criminal_justice_consent_is_refused_with_its_date(f, case):
    until = local_today() + dt.timedelta(days=20)
    consent = _signed(f, case, criminal_justice=True, irrevocable_until=until)
    with pytest.raises(ValidationFailed) as refused:
        revoke_consent(consent, f.admin(), local_today(), "By letter")
    assert refused.value.field == "revoked_on"
    assert f"cannot be revoked until {until:%b %-d, %Y}" in refused.value.message
    assert "42 CFR 2.35" in refused.value.message
    assert consent.revoked_on is None and is_in_force(consent)
    assert _entries(case, TimelineKind.CONSENT_REVOKED) == []


def test_a_consent_irrevocable_until_an_event_names_the_event(f, case):
    consent = _signed(f, case, criminal_justice=True, irrevocable_event="Final disposition")
    with pytest.raises(ValidationFailed) as refused:
        revoke_consent(consent, f.admin(), local_today(), "By letter")
    assert "until Final disposition" in refused.value.message
    assert consent.revoked_on is None


def test_after_its_date_a_criminal_justice_consent_may_be_revoked_not_backdated(f, case):
    until = local_today() - dt.timedelta(days=5)
    consent = _signed(f, case, criminal_justice=True, irrevocable_until=until)
    assert not is_irrevocable(consent)
    with pytest.raises(ValidationFailed):  # dated back into the irrevocable period
        revoke_consent(consent, f.admin(), until, "By letter")
    revoke_consent(consent, f.admin(), until + dt.timedelta(days=1), "By letter")
    assert consent.revoked_on == until + dt.timedelta(days=1)


def _local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=program_tz())


def test_irrevocability_ends_at_local_midnight(f):
    day = dt.date(2027, 6, 30)  # EDT: local midnight is 04:00 UTC
    with time_machine.travel(_local(day, 12), tick=False) as clock:
        case = f.CaseFactory(active=True)
        consent = _signed(f, case, criminal_justice=True, irrevocable_until=day)
        clock.move_to(_local(day, 23, 59, 59))
        assert local_today() == day
        with pytest.raises(ValidationFailed):
            revoke_consent(consent, f.admin(), day, "By letter")
        clock.move_to(_local(day + dt.timedelta(days=1), 0))
        revoke_consent(consent, f.admin(), local_today(), "By letter")
        assert consent.revoked_on == day + dt.timedelta(days=1)


# --- expiry: on its local date, with nothing running ------------------------------------------


def test_expiry_takes_effect_at_local_midnight_without_a_job(f):
    day = dt.date(2027, 6, 30)
    with time_machine.travel(_local(day, 12), tick=False) as clock:
        case = f.CaseFactory(active=True)
        consent = _signed(f, case, days_ago=10, expires_on=day)

        def in_force():  # the filter reads the program's date when the query is built
            query = select(Consent.id).where(Consent.case_id == case.id, consent_in_force())
            return db.session.scalars(query).all()

        # 23:59:59 local is already July 1 in UTC: the program's date is what counts.
        clock.move_to(_local(day, 23, 59, 59))
        assert is_in_force(consent)
        assert in_force() == [consent.id]

        clock.move_to(_local(day + dt.timedelta(days=1), 0))
        assert not is_in_force(consent)
        assert in_force() == []
        db.session.refresh(consent)
        assert consent.expires_on == day and consent.revoked_on is None  # nothing was written
