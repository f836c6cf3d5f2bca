"""`flask --app portal create-admin` asks for the password twice, never as an argument."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Role, User
from portal.services import accounts

GOOD = "a long enough passphrase"


def _admins():
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.role == Role.STAFF)).all()


def test_create_admin_prompts_and_confirms_password(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "Boss@Example.org", "--name", "Pat Boss"],
        input=f"{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Administrator Boss@Example.org created." in result.output
    assert GOOD not in result.output  # the password is not echoed
    (admin,) = _admins()
    assert admin.email == "boss@example.org" and admin.name == "Pat Boss"
    assert accounts.authenticate("boss@example.org", GOOD) is not None


def test_create_admin_prompts_for_everything(runner):
    result = runner.invoke(
        args=["create-admin"], input=f"boss@example.org\nPat Boss\n{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    assert len(_admins()) == 1


def test_mismatched_confirmation_is_asked_again(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Pat Boss"],
        input=f"{GOOD}\nsomething else entirely\n{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert len(_admins()) == 1


def test_password_is_never_an_option(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "b@example.org", "--name", "B", "--password", GOOD]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output
    assert _admins() == []


def test_weak_password_is_refused_and_nothing_saved(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Pat Boss"],
        input="short\nshort\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert _admins() == []


def test_duplicate_email_is_refused(runner, f):
    f.admin(email="boss@example.org")
    db.session.commit()
    result = runner.invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Pat Boss"],
        input=f"{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_common_password_is_refused_and_nothing_saved(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Pat Boss"],
        input="password1234\npassword1234\n",
    )
    assert result.exit_code == 1
    assert "common or breached" in result.output
    assert _admins() == []
