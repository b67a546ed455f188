"""`geo-risk synth generate` and `geo-risk synth boundaries`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner

from geo_risk.cli import main
from geo_risk.synth import CityManifest


def test_generate_writes_the_same_city_as_the_api(small_city: CityManifest, tmp_path: Path) -> None:
    out = tmp_path / "city"
    result = CliRunner().invoke(main, ["synth", "generate", "--size", "small", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5,000 incidents" in result.output and "demo cases" in result.output
    for f in small_city.files:
        assert hashlib.sha256((out / f.path).read_bytes()).hexdigest() == f.sha256


def test_generate_refuses_an_unknown_size(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["synth", "generate", "--size", "huge", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "small" in result.output and "city" in result.output


def test_boundaries_command_writes_the_four_layers(small_city: CityManifest, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["synth", "boundaries", "--size", "small", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.glob("*.geojson"))
    assert names == [
        "lad_X06000001.geojson",
        "lsoa_by_lad_X06000001.geojson",
        "msoa_by_lad_X06000001.geojson",
        "wards_by_lad_X06000001.geojson",
    ]
    for name in names:
        assert (tmp_path / name).read_bytes() == (small_city.out_dir / "boundaries" / name).read_bytes()


def test_help_describes_the_commands() -> None:
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert result.exit_code == 0
    assert "generate" in result.output and "boundaries" in result.output
