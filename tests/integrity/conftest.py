"""Integrity tests commit for real (threads racing, a second connection): tables are emptied."""

from __future__ import annotations

import pytest


@pytest.fixture
def real_commits() -> bool:
    return True
