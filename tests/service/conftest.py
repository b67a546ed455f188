"""Use-case test fixtures: the web tests' small city on each backend, and acting users."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from geo_risk.config import Settings
from geo_risk.service import Actor, SnapshotData
from tests.web.web_seed import NOW, USERS, seed


@pytest.fixture
def seeded(db):
    return db, seed(db)


@pytest.fixture
def engine(seeded):
    return seeded[0]


@pytest.fixture
def info(seeded):
    return seeded[1]


@pytest.fixture
def policy():
    return Settings().load_policy()


@pytest.fixture
def data(engine, policy):
    return SnapshotData.load(engine, policy, NOW)


@pytest.fixture
def actor(info):
    """``actor("hana")``: the seeded user acting now (or at ``now``)."""

    def _actor(username: str, now: dt.datetime = NOW) -> Actor:
        role, urns = USERS[username]
        return Actor(username=username, role=role, now=now, user_id=info.users[username], school_urns=tuple(urns),
                     request_id=uuid.uuid4().hex)

    return _actor
