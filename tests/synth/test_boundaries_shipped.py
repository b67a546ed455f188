"""data/boundaries holds exactly the boundaries the generator writes for seed 7."""

from __future__ import annotations

import pytest

from geo_risk.synth import CityManifest
from geo_risk.synth.city import boundary_layers, draw_areas
from tests.conftest import REPO_ROOT

SHIPPED = REPO_ROOT / "data" / "boundaries"
FIX = "run `geo-risk synth boundaries --size {size} --seed 7 --out data/boundaries/synthetown-{size}-seed7`"


def test_small_boundaries_match_the_generated_city(small_city: CityManifest) -> None:
    folder = SHIPPED / "synthetown-small-seed7"
    generated = {
        f.path.split("/")[-1]: (small_city.out_dir / f.path).read_bytes()
        for f in small_city.files
        if f.kind == "boundaries"
    }
    shipped = {p.name: p.read_bytes() for p in sorted(folder.glob("*.geojson"))}
    assert shipped == generated, FIX.format(size="small")


def test_city_boundaries_match_the_generator() -> None:
    folder = SHIPPED / "synthetown-city-seed7"
    generated = boundary_layers(draw_areas(seed=7, size="city"))
    shipped = {p.name: p.read_bytes() for p in sorted(folder.glob("*.geojson"))}
    assert shipped == generated, FIX.format(size="city")


@pytest.mark.parametrize("size", ["small", "city"])
def test_readme_explains_how_to_add_ons_boundaries(size: str) -> None:
    text = (SHIPPED / "README.md").read_text(encoding="utf-8")
    assert "geo-risk import boundaries" in text
    assert f"synthetown-{size}-seed7" in text
