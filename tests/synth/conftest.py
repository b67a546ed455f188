"""Fixtures: the small synthetic city, drawn and written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_risk.synth import CityManifest, draw_city, generate_city
from geo_risk.synth.city import City

SEED = 7


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> CityManifest:
    """The ``small`` city (seed 7) written to a temporary folder."""
    return generate_city(tmp_path_factory.mktemp("synthetown") / "small", seed=SEED, size="small")


@pytest.fixture(scope="session")
def small_drawn() -> City:
    """The same city in memory (arrays, before writing)."""
    return draw_city(seed=SEED, size="small")


@pytest.fixture(scope="session")
def small_dir(small_city: CityManifest) -> Path:
    return small_city.out_dir
