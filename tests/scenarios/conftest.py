"""Golden-scenario fixtures: cheap password hashes (the accounts are set up, not tested, here)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from geo_risk import accounts


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2id with small parameters: the same code path, a hundredth of the time."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", hasher)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", hasher.hash("dummy-password"))
