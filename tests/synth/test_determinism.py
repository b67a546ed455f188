"""Same seed and size, same bytes; another seed, another city (issue 3)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from geo_risk.errors import ValidationError
from geo_risk.synth import CityManifest, generate_city


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_runs_write_identical_bytes(small_city: CityManifest, tmp_path: Path) -> None:
    again = generate_city(tmp_path / "again", seed=7, size="small")
    first, second = _digests(small_city.out_dir), _digests(again.out_dir)
    assert len(first) > 30
    assert first == second


def test_another_seed_gives_another_city(small_city: CityManifest, tmp_path: Path) -> None:
    other = generate_city(tmp_path / "other", seed=8, size="small")
    a, b = _digests(small_city.out_dir), _digests(other.out_dir)
    assert a.keys() == b.keys()
    changed = [k for k in a if a[k] != b[k] and k.endswith((".csv", ".osm", ".geojson"))]
    assert len(changed) >= len(a) - 5


def test_manifest_lists_every_file_with_its_digest(small_city: CityManifest) -> None:
    on_disk = _digests(small_city.out_dir)
    listed = {f.path: f.sha256 for f in small_city.files}
    assert set(on_disk) - set(listed) == {"manifest.json"}
    for path, digest in listed.items():
        assert on_disk[path] == digest


def test_manifest_json_round_trips_without_machine_paths(small_city: CityManifest) -> None:
    text = (small_city.out_dir / "manifest.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["seed"] == 7 and data["size"] == "small"
    assert str(small_city.out_dir) not in text
    assert text == small_city.to_json()
    assert [tuple(e) for e in data["import_paths"]] == list(small_city.import_paths)


def test_unknown_size_is_refused_naming_the_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="small, city"):
        generate_city(tmp_path, seed=1, size="huge")


def test_negative_seed_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="non-negative"):
        generate_city(tmp_path, seed=-1, size="small")
