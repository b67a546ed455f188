"""Write the golden scenarios' shared base city (``tests/scenarios/base/``) in the real import formats.

Run ``python -m tests.scenarios.make_base`` to rewrite it; the files are committed, so a scenario
reads the same bytes every run. The city is synthetic ("Scenario City (synthetic)", in the North Sea
north-west of Synthetown) and small enough to read by eye:

- four 1 km LSOAs (``X01900001`` south-west, ``...2`` south-east, ``...3`` north-west, ``...4``
  north-east) covering the 2 km square from (X0, Y0);
- a street grid every 100 m (OpenStreetMap XML), with footways on every fifth column;
- 64 postcodes (Code-Point Open), one every 250 m: ``ZY1 <row><column>A`` sits at
  easting ``X0 + 125 + 250 * column`` (columns A..H) and northing ``Y0 + 125 + 250 * row`` (rows 0..7);
- police.uk street-level crime for 2025-12..2026-10: an even background over the city and a busy
  spot around (X0 + 1500, Y0 + 1500) in the north-east quarter; points snapped to the 50 m lattice,
  as police.uk snap points are;
- two schools (GIAS columns).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from geo_risk.crs import en_to_lonlat
from geo_risk.synth import _write as W

X0, Y0 = 560_000.0, 900_000.0
SIZE = 2000.0
BASE = Path(__file__).resolve().parent / "base"
MONTHS = [f"{y}-{m:02d}" for y, m in [(2025, 12)] + [(2026, k) for k in range(1, 11)]]
FORCE_SLUG = "scenario-city"
FORCE_NAME = "Scenario City Police (synthetic)"
COLUMNS = "ABCDEFGH"
CATEGORIES = ["Violence and sexual offences", "Anti-social behaviour", "Burglary", "Robbery", "Vehicle crime",
              "Criminal damage and arson", "Drugs", "Possession of weapons", "Public order", "Shoplifting"]


def postcode_of(row: int, column: int) -> tuple[str, float, float]:
    """The postcode at grid ``row`` (0..7, south to north) and ``column`` (0..7, west to east)."""
    return f"ZY1 {row}{COLUMNS[column]}A", X0 + 125 + 250 * column, Y0 + 125 + 250 * row


def _boundaries() -> bytes:
    rows, geoms = [], []
    for k, (dx, dy) in enumerate([(0, 0), (1000, 0), (0, 1000), (1000, 1000)]):
        rows.append((f"X0190000{k + 1}", f"Scenario City 00{k + 1}A (synthetic)"))
        geoms.append(shapely.box(X0 + dx, Y0 + dy, X0 + dx + 1000, Y0 + dy + 1000))
    return W.ons_geojson_bytes("lsoa_scenario_city", ["LSOA11CD", "LSOA11NM"], rows, geoms)


def _streets() -> bytes:
    n = 21
    ids = np.arange(n * n, dtype=np.int64) + 300_000_001
    xy = np.array([(X0 + 100 * i, Y0 + 100 * j) for i in range(n) for j in range(n)], dtype=float)
    ways = []
    wid = 400_000_001
    for j in range(n):  # east-west roads
        ways.append((wid, [int(ids[i * n + j]) for i in range(n)], [("highway", "residential"), ("name", f"Row {j} Road")]))
        wid += 1
    for i in range(n):  # north-south streets; every fifth a footway
        highway = "footway" if i % 5 == 2 else "residential"
        ways.append((wid, [int(ids[i * n + j]) for j in range(n)], [("highway", highway), ("name", f"Column {i} Street")]))
        wid += 1
    return W.osm_xml_bytes(generator="geo-risk scenarios", note="Scenario City (synthetic). Not a real place.",
                           node_ids=ids, node_xy=xy, node_tags={}, ways=ways)


def _postcodes() -> bytes:
    lines = []
    for row in range(8):
        for column in range(8):
            pc, x, y = postcode_of(row, column)
            lines.append(f'"{pc}",10,{int(x)},{int(y)},"X92000001","","","","X06900001","X05900001"\r\n')
    return "".join(lines).encode("utf-8")


def _police(rng: np.random.Generator) -> dict[str, bytes]:
    out = {}
    k = 0
    for month in MONTHS:
        background = rng.uniform(0, SIZE, (30, 2)) + (X0, Y0)
        busy = rng.normal(0, 120, (30, 2)) + (X0 + 1500, Y0 + 1500)
        pts = np.clip(np.vstack([background, busy]), (X0 + 1, Y0 + 1), (X0 + SIZE - 1, Y0 + SIZE - 1))
        pts = np.round(pts / 50.0) * 50.0  # police.uk snap points
        lon, lat = en_to_lonlat(pts[:, 0], pts[:, 1])
        rows = []
        for i in range(len(pts)):
            k += 1
            category = CATEGORIES[k % len(CATEGORIES)]
            crime_id = "" if category == "Anti-social behaviour" else f"{k:064x}"[-64:]
            rows.append([crime_id, month, FORCE_NAME, FORCE_NAME, f"{lon[i]:.6f}", f"{lat[i]:.6f}",
                         f"On or near Row {int((pts[i, 1] - Y0) // 100)} Road", "", "", category, "", ""])
        out[f"police_uk/{month}/{month}-{FORCE_SLUG}-street.csv"] = W.csv_bytes(W.POLICE_UK_HEADER, rows)
    return out


def _schools() -> bytes:
    header = ["URN", "EstablishmentName", "PhaseOfEducation (name)", "TypeOfEstablishment (name)", "Easting",
              "Northing"]
    rows = [["990001", "Scenario Academy (synthetic)", "Secondary", "Academy converter", int(X0 + 1000), int(Y0 + 1000)],
            ["990002", "Scenario Primary (synthetic)", "Primary", "Community school", int(X0 + 500), int(Y0 + 1500)]]
    return W.csv_bytes(header, rows)


def files() -> dict[str, bytes]:
    """Relative path -> bytes of every base file."""
    rng = np.random.default_rng(13)
    out = {
        "boundaries/lsoa_scenario_city.geojson": _boundaries(),
        "streets/scenario_city.osm": _streets(),
        "postcodes/Data/CSV/zy.csv": _postcodes(),
        "schools/schools.csv": _schools(),
    }
    out.update(_police(rng))
    return out


def main() -> None:
    for rel, data in files().items():
        W.write_bytes(BASE / rel, data)


if __name__ == "__main__":
    main()
