"""The signed-in administrator the management tests act as."""

from __future__ import annotations

import pytest


@pytest.fixture
def acting_admin(f, login_as):
    user = f.admin(name="Ada Admin")
    login_as(user)
    return user
