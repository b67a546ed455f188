"""Fixtures for the routing tests."""

from __future__ import annotations

import pytest

from geo_risk.config import Policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The packaged default policy."""
    return Policy.default()
