"""Hand-made street networks for the routing tests (EPSG:27700, metres)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString

# A place in the middle of England, so every point is inside Great Britain.
X0, Y0 = 450_000.0, 200_000.0

Edge = tuple  # (u, v, [(x, y), ...] relative to X0, Y0, name, highway, walkable)


def streets_frame(edges: Sequence[Edge]) -> gpd.GeoDataFrame:
    """A data-contract ``streets`` frame from ``(u, v, coords, name[, highway[, walkable]])`` tuples."""
    rows = []
    for i, e in enumerate(edges):
        u, v, coords, name = e[:4]
        highway = e[4] if len(e) > 4 else "residential"
        walkable = e[5] if len(e) > 5 else True
        line = LineString([(X0 + x, Y0 + y) for x, y in coords])
        rows.append(
            {
                "segment_id": 1000 + i,
                "u": int(u),
                "v": int(v),
                "length_m": float(line.length),
                "highway": highway,
                "name": name,
                "walkable": bool(walkable),
                "geometry": line,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")


def grid_streets(n: int = 8, spacing: float = 100.0) -> gpd.GeoDataFrame:
    """An ``n`` x ``n`` grid of 100 m blocks; node id ``100 * i + j`` sits at ``(i, j) * spacing``."""
    edges = []
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                edges.append((100 * i + j, 100 * (i + 1) + j, [(i * spacing, j * spacing), ((i + 1) * spacing, j * spacing)], f"Row {j} Street"))
            if j + 1 < n:
                edges.append((100 * i + j, 100 * i + j + 1, [(i * spacing, j * spacing), (i * spacing, (j + 1) * spacing)], f"Column {i} Road"))
    return streets_frame(edges)


def gaussian_risk(cx: float, cy: float, sigma: float, peak: float = 0.9) -> Callable[[np.ndarray], np.ndarray]:
    """Risk density with one Gaussian hotspot at (X0 + cx, Y0 + cy)."""

    def risk(xy: np.ndarray) -> np.ndarray:
        d2 = (xy[:, 0] - (X0 + cx)) ** 2 + (xy[:, 1] - (Y0 + cy)) ** 2
        return peak * np.exp(-d2 / (2 * sigma**2))

    return risk
