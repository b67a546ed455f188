"""Tension levels of the Bristol schools on real police.uk data (the figures the README reports).

Reads the shared real data (``../shared/data`` or ``--data DIR``) through the project's importers:
the Bristol schools of the DfE 2014/15 tables with Code-Point Open positions, Bristol's ONS LSOAs,
and Avon & Somerset police.uk street-level crime 2025-01..2025-04. Briefs every located school with
the default policy as of 2025-05-01 (the month after the last month of data) and prints how many
schools are at each tension level, with the incidents inside Bristol only (the police.uk rows whose
point falls in a Bristol LSOA) and with the force's whole files, and the time the batch took.

There is no peer network or emergency-department file in the shared data, so the conflict and
injury rules cannot fire here: the levels come from the serious-incident rule alone.

Run: ``python bench/tension_bristol.py [--data DIR] [--as-of 2025-05-01]``.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import pandas as pd
import shapely

from geo_risk.briefing import brief_all
from geo_risk.config import Policy
from geo_risk.ingest.boundaries import read_boundaries
from geo_risk.ingest.police_uk import read_police_uk
from geo_risk.ingest.schools import read_schools

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared real-data folder")
    parser.add_argument("--as-of", default="2025-05-01", help="the moment of the briefings (default 2025-05-01)")
    args = parser.parse_args()
    data = args.data
    policy = Policy.default()
    schools = read_schools(data / "schools" / "DERIVED_bristol_schools_2014_15_geocoded_codepoint2025.csv",
                           errors="reject").gdf
    areas = read_boundaries(data / "boundaries" / "lsoa_by_lad_E06000023.geojson").gdf
    months = sorted((data / "police_uk" / "avon_and_somerset").glob("2025-0[1-4]-*-street.csv"))
    incidents = read_police_uk(months, errors="reject").gdf
    bristol = shapely.union_all(areas[areas["level"] == "lsoa"].geometry.to_numpy())
    inside = incidents[shapely.contains_xy(bristol, incidents.geometry.x, incidents.geometry.y)]
    levels = list(policy.briefing.levels)
    print(f"{len(schools)} Bristol schools located; police.uk months {', '.join(p.name[:7] for p in months)}; "
          f"policy {policy.version}; as of {args.as_of}")
    for label, frame in (("inside Bristol", inside), ("whole force files", incidents)):
        t0 = time.perf_counter()
        briefings = brief_all(schools, frame, areas, as_of=pd.Timestamp(args.as_of), policy=policy)
        took = time.perf_counter() - t0
        count = collections.Counter(b.tension.level for b in briefings.values())
        shown = ", ".join(f"{count.get(level, 0)} {level}" for level in levels)
        print(f"  {label} ({len(frame):,} incidents): {shown}  [{len(briefings)} briefings in {took:.1f} s]")


if __name__ == "__main__":
    main()
