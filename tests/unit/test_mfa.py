"""Two-step sign-in rules: confirmation, one use per code, recovery codes, lock, reset."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, AuditOutcome, MfaCredential, MfaRecoveryCode
from portal.services import mfa, user_sessions
from portal.services.errors import InvalidTransition, NotPermitted
from tests.mfa import NOW, code, enrol


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _actions(user) -> list[tuple[AuditAction, AuditOutcome]]:
    db.session.commit()
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == user.id).order_by(AuditEvent.id)
    )
    return [(r.action, r.outcome) for r in rows if r.action.value.startswith("mfa")]


def test_a_wrong_first_code_stores_nothing_and_is_audited(f):
    user = f.officer()
    secret = mfa.new_secret()
    assert (
        mfa.confirm_enrolment(user, secret, "000000" if code(secret) != "000000" else "1") is None
    )
    assert mfa.confirm_enrolment(user, mfa.new_secret(), code(secret)) is None  # another secret
    assert not mfa.has_mfa(user)
    assert _actions(user) == [(AuditAction.MFA_FAILED, AuditOutcome.REFUSED)] * 2


def test_the_right_first_code_turns_it_on_with_ten_hashed_recovery_codes(f):
    user = f.officer()
    secret = mfa.new_secret()
    codes = mfa.confirm_enrolment(user, secret, code(secret))
    assert codes is not None and len(set(codes)) == 10
    assert mfa.has_mfa(user) and mfa.recovery_codes_left(user) == 10
    stored = set(db.session.scalars(select(MfaRecoveryCode.code_hash)))
    assert not stored & set(codes)  # only their hashes
    assert _actions(user) == [(AuditAction.MFA_ENROL, AuditOutcome.OK)]
    with pytest.raises(InvalidTransition):
        mfa.confirm_enrolment(user, mfa.new_secret(), code(secret))


def test_the_enrolment_code_cannot_be_replayed_at_sign_in(f):
    user = f.officer()
    secret = mfa.new_secret()
    mfa.confirm_enrolment(user, secret, code(secret))
    assert mfa.check_sign_in_code(user, code(secret)) is mfa.CodeCheck.REFUSED


def test_a_code_is_accepted_once_and_never_an_older_one_after_it(f, frozen):
    user = f.provider()
    secret, _ = enrol(user)
    assert mfa.check_sign_in_code(user, code(secret)) is mfa.CodeCheck.ACCEPTED
    assert mfa.check_sign_in_code(user, code(secret)) is mfa.CodeCheck.REFUSED  # replayed
    # A minute later the current code works; the one before it (still in the window) does not.
    frozen.shift(60)
    later = NOW + dt.timedelta(seconds=60)
    assert mfa.check_sign_in_code(user, code(secret, later)) is mfa.CodeCheck.ACCEPTED
    assert mfa.check_sign_in_code(user, code(secret, later, steps=-1)) is mfa.CodeCheck.REFUSED


def test_codes_one_step_either_side_are_accepted_but_not_two(f):
    user = f.admin()
    secret, _ = enrol(user)  # its first code was of the step before this one
    assert mfa.check_sign_in_code(user, code(secret, steps=2)) is mfa.CodeCheck.REFUSED
    assert mfa.check_sign_in_code(user, code(secret, steps=-2)) is mfa.CodeCheck.REFUSED
    assert mfa.check_sign_in_code(user, code(secret, steps=1)) is mfa.CodeCheck.ACCEPTED


def test_a_recovery_code_works_once(f):
    user = f.officer()
    _, codes = enrol(user)
    assert mfa.check_sign_in_code(user, codes[3].upper()) is mfa.CodeCheck.ACCEPTED
    assert mfa.check_sign_in_code(user, codes[3]) is mfa.CodeCheck.REFUSED
    assert mfa.recovery_codes_left(user) == 9
    other = f.officer()
    enrol(other)
    assert mfa.check_sign_in_code(other, codes[4]) is mfa.CodeCheck.REFUSED  # not theirs


def test_five_wrong_codes_lock_the_account_and_a_locked_account_takes_no_code(f):
    user = f.officer()
    secret, _ = enrol(user)
    wrong = "123456" if code(secret) != "123456" else "654321"
    results = [mfa.check_sign_in_code(user, wrong) for _ in range(5)]
    assert results == [mfa.CodeCheck.REFUSED] * 4 + [mfa.CodeCheck.LOCKED]
    assert user.locked_until == NOW + dt.timedelta(minutes=10)
    assert mfa.check_sign_in_code(user, code(secret)) is mfa.CodeCheck.LOCKED
    assert db.session.get(MfaCredential, user.id).failed_codes == 0


def test_a_right_code_clears_the_count_of_wrong_ones(f):
    user = f.officer()
    secret, _ = enrol(user)
    wrong = "123456" if code(secret) != "123456" else "654321"
    for _ in range(4):
        mfa.check_sign_in_code(user, wrong)
    assert mfa.check_sign_in_code(user, code(secret)) is mfa.CodeCheck.ACCEPTED
    db.session.expire_all()
    assert db.session.get(MfaCredential, user.id).failed_codes == 0


def test_an_administrator_resets_mfa_ending_the_users_sessions(f):
    admin, user = f.admin(), f.officer()
    enrol(user)
    user_sessions.start_session(user, ip_address=None, user_agent=None)
    assert len(user_sessions.active_sessions(user)) == 1
    mfa.reset_mfa(admin, user)
    assert not mfa.has_mfa(user)
    assert db.session.scalar(select(func.count()).select_from(MfaRecoveryCode)) == 0
    assert user_sessions.active_sessions(user) == []
    db.session.commit()
    row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.MFA_RESET))
    assert (row.object_type, row.object_id) == ("users", user.id)
    with pytest.raises(InvalidTransition):
        mfa.reset_mfa(admin, user)


def test_only_administrators_reset_mfa(f):
    user = f.officer()
    enrol(user)
    with pytest.raises(NotPermitted):
        mfa.reset_mfa(f.officer(), user)
