"""Fixtures of the provider's pages."""

from __future__ import annotations

import pytest

from tests.worlds import World, provider_world


@pytest.fixture
def world(f) -> World:
    """A weekly service that meets today (local), and a second organisation's service."""
    return provider_world(f)
