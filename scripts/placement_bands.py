"""The share of Bristol's postcodes in each placement area band, on the shared police.uk data.

Reads, with the project's importers, police.uk street-level crime for Avon & Somerset 2025-01..2025-04,
the 2011 LSOAs of Bristol (E06000023) and the Code-Point Open postcodes of the BS area, and bands every
Bristol postcode centre (inside the Bristol LSOAs) by its area forecast on 2025-05-01, as a placement
check would: the percentile among the residential addresses (postcode centres) in the area the data cover,
cut at the policy's ``area_band_edges``. It also counts the postcodes whose area band differs from the one
the earlier area model (the kernel intensity) gave, and the words a housing officer read
before, when a place was ranked against every grid cell of the surface's extent (the Bristol LSOAs'
bounding box, empty land and the Severn included).

Two data cases: the incidents inside Bristol only (imported with Bristol as the area of interest), and the
whole force's files. The figures are printed as a Markdown table (README, "Placement area bands on Bristol").

Run: ``python scripts/placement_bands.py [--data ../shared/data]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geo_risk.config import Policy
from geo_risk.ingest.boundaries import read_boundaries
from geo_risk.ingest.police_uk import read_police_uk
from geo_risk.ingest.postcodes import read_postcodes
from geo_risk.scoring._explain import area_words
from geo_risk.scoring.area import address_reference, data_coverage
from geo_risk.surface.forecast import forecast_surface
from geo_risk.surface.intensity import IntensitySurface

AS_OF = pd.Timestamp("2025-05-01")
MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04")
WORDS = ("quieter than half", "busier than half", "among the busiest quarter", "among the busiest tenth")


def shares(labels: np.ndarray, order: tuple[str, ...]) -> list[str]:
    n = len(labels)
    return [f"{100 * np.count_nonzero(labels == v) / n:.1f} %" for v in order]


def banded(model, pc_xy: np.ndarray, coverage, inside: np.ndarray, edges: np.ndarray):
    """Percentiles among the covered postcode centres, and the area band's index, of the covered ones."""
    pct = address_reference(model, pc_xy, coverage).percentile_at(pc_xy[inside])
    return pct, np.searchsorted(edges, pct, side="right")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data",
                        help="the shared real-data folder (default: ../shared/data beside the project)")
    args = parser.parse_args()
    policy = Policy.default()
    sp = policy.scoring
    t0 = time.perf_counter()
    lsoas = read_boundaries(args.data / "boundaries" / "lsoa_by_lad_E06000023.geojson").gdf
    bristol = lsoas.union_all()
    files = [args.data / "police_uk" / "avon_and_somerset" / f"{m}-avon-and-somerset-street.csv" for m in MONTHS]
    postcodes = read_postcodes(args.data / "postcodes" / "codepoint_open_2025" / "bs.csv", area=bristol).gdf
    pc_xy = np.column_stack([postcodes.geometry.x, postcodes.geometry.y])
    print(f"{len(postcodes):,} Bristol postcode centres (Code-Point Open, inside the 2011 LSOAs of E06000023); "
          f"as of {AS_OF.date()}, policy {policy.version}")
    rows = []
    for case, area in (("inside Bristol", bristol), ("whole force", None)):
        incidents = read_police_uk(files, area=area, errors="reject").gdf
        xy = np.column_stack([incidents.geometry.x, incidents.geometry.y])
        bounds = tuple(lsoas.total_bounds)
        surface = forecast_surface(incidents, AS_OF, policy.surface, bounds=bounds)  # what placements use
        kernel = IntensitySurface(policy.surface).fit(incidents, AS_OF, bounds=bounds)  # the earlier area model
        coverage = data_coverage(xy, areas=list(lsoas.geometry), buffer_m=sp.coverage_buffer_m)
        inside = coverage.contains(pc_xy)
        edges = np.asarray(sp.area_band_edges)

        pct, level = banded(surface, pc_xy, coverage, inside, edges)
        bands = np.asarray(sp.bands, dtype=object)[level]
        new_words = np.array([area_words(p) for p in pct], dtype=object)
        _, kernel_level = banded(kernel, pc_xy, coverage, inside, edges)
        moved = (f"{100 * np.mean(level > kernel_level):.1f} % up, {100 * np.mean(level < kernel_level):.1f} % down")
        # the old way: every grid cell of the kernel surface's extent (the Bristol LSOAs' bounding box)
        old_words = np.array([area_words(p) for p in kernel.percentile_at(pc_xy)], dtype=object)
        rows.append((case, len(incidents), int((~inside).sum()), "residential addresses (area forecast)",
                     shares(bands, sp.bands[:3]), shares(new_words, WORDS), moved))
        rows.append((case, len(incidents), "-", "every grid cell of the extent (kernel, before)", ["-"] * 3,
                     shares(old_words, WORDS), "-"))
    print()
    print(f"| incidents | rows | postcodes outside the coverage | ranked among | {' | '.join(sp.bands[:3])} | "
          f"{' | '.join(WORDS)} | area band against the kernel surface's |")
    print("|---|---|---|---|" + "---|" * (4 + len(WORDS)))
    for case, n, outside, ref, band_shares, word_shares, moved in rows:
        print(f"| {case} | {n:,} | {outside if isinstance(outside, str) else format(outside, ',')} | {ref} | "
              f"{' | '.join(band_shares)} | {' | '.join(word_shares)} | {moved} |")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
