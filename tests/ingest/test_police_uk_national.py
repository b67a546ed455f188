"""Many forces' police.uk files in one import (issue 17): forces, months, Northern Ireland."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from geo_risk.crs import in_gb, lonlat_in_gb, lonlat_in_ireland, lonlat_to_en
from geo_risk.ingest.police_uk import (
    POLICE_UK_FORCES,
    REASON_IRELAND,
    force_coverage,
    force_from_name,
    read_police_uk,
)

from .test_cli_import import _run
from .test_police_uk import HEADER, row, write

# (lon, lat): the island of Ireland, and the nearest coasts of Great Britain
IRELAND = {"Belfast": (-5.93, 54.60), "Derry": (-7.31, 54.99), "Rathlin Island": (-6.2, 55.29),
           "Ards peninsula": (-5.44, 54.45), "Dublin": (-6.26, 53.35)}
GREAT_BRITAIN = {"Mull of Kintyre": (-5.80, 55.29), "Islay": (-6.30, 55.60), "Portpatrick": (-5.12, 54.84),
                 "Anglesey": (-4.68, 53.31), "St Davids": (-5.31, 51.88), "Isles of Scilly": (-6.35, 49.93),
                 "Bristol": (-2.59, 51.45)}


@pytest.mark.parametrize(("places", "irish"), [(IRELAND, True), (GREAT_BRITAIN, False)])
def test_the_island_of_ireland_is_outside_british_national_grid(places, irish):
    lon, lat = np.array(list(places.values())).T
    assert lonlat_in_ireland(lon, lat).tolist() == [irish] * len(lon)
    assert lonlat_in_gb(lon, lat).tolist() == [not irish] * len(lon)
    # projected, Northern Ireland falls inside the grid's rectangle: in_gb still says no
    x, y = lonlat_to_en(lon, lat)
    assert in_gb(x, y).tolist() == [not irish] * len(lon)


def _force_row(cid: str, month: str, force: str, lon: str = "-2.5900", lat: str = "51.4540") -> str:
    return (f"{cid},{month},{force},{force},{lon},{lat},On or near Main Street,E01014485,Bristol 023A,"
            "Burglary,Under investigation,")


def test_northern_ireland_rows_are_not_stored_and_say_why(tmp_path: Path) -> None:
    psni = "Police Service of Northern Ireland"
    f = write(tmp_path / "2025-01-northern-ireland-street.csv",
              _force_row("n1", "2025-01", psni, lon="-5.9301", lat="54.5973"),
              _force_row("n2", "2025-01", psni, lon="-7.3087", lat="54.9966"))
    r = read_police_uk(f)
    assert (r.report.accepted, r.report.out_of_area) == (0, 2)
    assert r.report.reason_counts("out_of_area") == {REASON_IRELAND: 2}
    assert "British National Grid" in REASON_IRELAND and "Great Britain only" in REASON_IRELAND


def test_each_row_carries_its_force_from_the_file_name_or_falls_within(tmp_path: Path) -> None:
    named = write(tmp_path / "2025-02-avon-and-somerset-street.csv", row("a1", month="2025-02"))
    unnamed = write(tmp_path / "partner-export.csv", _force_row("d1", "2025-02", "Devon & Cornwall Police"))
    gdf = read_police_uk([named, unnamed]).gdf
    assert dict(zip(gdf["external_id"], gdf["force"], strict=True)) == {"a1": "avon-and-somerset",
                                                                        "d1": "devon-and-cornwall"}


@pytest.mark.parametrize(("name", "slug"), [
    ("Avon and Somerset Constabulary", "avon-and-somerset"), ("Devon & Cornwall Police", "devon-and-cornwall"),
    ("British Transport Police", "btp"), ("Police Service of Northern Ireland", "northern-ireland"),
    ("Metropolitan Police Service", "metropolitan"), ("City of London Police", "city-of-london"),
    ("A Community Safety Partnership", "a-community-safety-partnership"), ("", None),
])
def test_force_names_map_to_police_uk_slugs(name, slug):
    assert force_from_name(name) == slug


def _archive(tmp_path: Path, month: str, forces: list[str]) -> Path:
    """A month's zip in police.uk's archive layout (``YYYY-MM/YYYY-MM-<force>-street.csv``)."""
    path = tmp_path / f"{month}.zip"
    with zipfile.ZipFile(path, "w") as z:
        for k, force in enumerate(forces):
            body = "\n".join([HEADER, _force_row(f"{force}-{month}-{k}", month, force)]) + "\n"
            z.writestr(f"{month}/{month}-{force}-street.csv", body)
    return path


def test_forces_missing_from_a_month_are_reported_not_guessed(tmp_path: Path) -> None:
    zips = [_archive(tmp_path, "2025-01", ["avon-and-somerset", "btp", "wiltshire"]),
            _archive(tmp_path, "2025-02", ["avon-and-somerset", "wiltshire"]),
            _archive(tmp_path, "2025-03", ["avon-and-somerset"])]
    cov = force_coverage(read_police_uk(zips).report)
    assert cov.months == ("2025-01", "2025-02", "2025-03")
    assert cov.forces == ("avon-and-somerset", "btp", "wiltshire")
    assert cov.missing == {"2025-01": (), "2025-02": ("btp",), "2025-03": ("btp", "wiltshire")}
    assert len(cov.never) == len(POLICE_UK_FORCES) - 3 and "metropolitan" in cov.never
    assert "  missing from 2025-03: btp, wiltshire" in cov.lines()


def test_import_then_status_shows_forces_months_and_gaps(db_url: str, tmp_path: Path) -> None:
    zips = [_archive(tmp_path, m, ["avon-and-somerset", "btp"]) for m in ("2024-06", "2024-09")]
    zips.append(_archive(tmp_path, "2024-05", ["avon-and-somerset"]))
    result = _run(["import", "police-uk", *map(str, zips), "--no-progress"], db_url)
    assert result.exit_code == 0, result.output
    assert "police.uk forces: 2 in 3 month(s) (2024-05..2024-09)" in result.output
    assert "missing from 2024-05: btp" in result.output
    again = _run(["import", "police-uk", *map(str, zips), "--no-progress"], db_url)
    assert "0 new row(s) stored, 5 already stored" in again.output
    status = _run(["status"], db_url)
    assert status.exit_code == 0, status.output
    assert "police.uk forces: 2" in status.output
    lines = {line.split()[0]: line for line in status.output.splitlines() if line.startswith("  ") and "rows" in line}
    assert lines["avon-and-somerset"].endswith("2024-05..2024-06, 2024-09; gap 2024-07..2024-08")
    assert lines["btp"].split("rows")[1].strip() == "2024-06, 2024-09; gap 2024-07..2024-08"


@pytest.mark.realdata
def test_real_northern_ireland_month_is_reported_and_not_stored(shared_data: Path, tmp_path: Path) -> None:
    member = "2025-01/2025-01-northern-ireland-street.csv"
    with zipfile.ZipFile(shared_data / "police_uk_national" / "2025-01.zip") as z:
        z.extract(member, tmp_path)
    rep = read_police_uk(tmp_path / member).report
    assert rep.accepted == 0
    assert rep.out_of_area > 9_000
    assert rep.reason_counts("out_of_area") == {REASON_IRELAND: rep.out_of_area}
