"""Fixtures for placement checks: a small hand-made world (see ``_world``)."""

from __future__ import annotations

import pytest

from geo_risk.config import Policy
from tests._network_frames import groups_frame, links_frame, people_frame, places_frame
from tests.scoring._world import AS_OF, PEOPLE, PLACES


@pytest.fixture(scope="session")
def policy() -> Policy:
    return Policy.default()


@pytest.fixture
def world():
    """``world(links=[...], places=None, people=None) -> dict of frames``."""

    def make(links=(), places=None, people=None):
        return {
            "people": people_frame(people if people is not None else PEOPLE),
            "groups": groups_frame(["G1", "G2"]),
            "links": links_frame(list(links), as_of=AS_OF),
            "places": places_frame(places if places is not None else PLACES, as_of=AS_OF),
        }

    return make
