"""The synthetic city's geography: outline, centres, population density, river, parks.

Everything here is in British National Grid metres (EPSG:27700) and drawn from
one :class:`numpy.random.Generator`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Polygon

from geo_risk.synth._spec import ORIGIN_E, ORIGIN_N, SizeSpec


@dataclass(frozen=True)
class World:
    """Geography every other part of the city is drawn on.

    Attributes
    ----------
    spec
        The size the city was drawn at.
    bbox
        ``(xmin, ymin, xmax, ymax)`` of the city rectangle.
    outline
        The city's boundary (the local authority): an irregular blob inside ``bbox``.
    centre
        City centre ``(x, y)``.
    districts
        District centres, shape ``(k, 2)``.
    river
        The river's centre line, running west to east across the city.
    river_width
        Width of the river in metres.
    parks
        Parks as ``(x, y, radius)`` rows.
    grid_zones
        Planned (grid-like) neighbourhoods as ``(x, y, radius, angle, dx, dy)`` rows.
    river_tree
        KD-tree of the river centre line sampled every 4 m (fast distances).
    """

    spec: SizeSpec
    bbox: tuple[float, float, float, float]
    outline: Polygon
    centre: tuple[float, float]
    districts: np.ndarray
    river: LineString
    river_width: float
    parks: np.ndarray
    grid_zones: np.ndarray
    river_tree: cKDTree

    def density(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Relative residential density in ``[0, 1]`` at points ``(x, y)``."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        scale = min(self.spec.width_m, self.spec.height_m)
        cx, cy = self.centre
        d = 0.12 + 0.75 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (0.28 * scale) ** 2))
        for dx, dy in self.districts:
            d = d + 0.35 * np.exp(-((x - dx) ** 2 + (y - dy) ** 2) / (2 * (0.07 * scale) ** 2))
        d = d * self.inside(x, y)
        for px, py, pr in self.parks:
            d = np.where((x - px) ** 2 + (y - py) ** 2 < pr**2, d * 0.04, d)
        dist = self.river_distance(x, y)
        d = np.where(dist < self.river_width, 0.0, d)
        return np.clip(d / 1.1, 0.0, 1.0)

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean mask of points inside the city outline."""
        return shapely.contains_xy(self.outline, np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def river_distance(self, x: np.ndarray, y: np.ndarray, *, cap: float = 500.0) -> np.ndarray:
        """Distance in metres from each point to the river's centre line (to within 0.1 m), at most ``cap``."""
        xf = np.ravel(np.asarray(x, dtype=float))
        yf = np.ravel(np.asarray(y, dtype=float))
        xs, ys = np.asarray(self.river.coords).T
        # The vertical gap to the river line bounds the distance from above: only points
        # within ``cap`` of it vertically need the exact (KD-tree) distance.
        out = np.full(len(xf), cap)
        near = np.abs(yf - np.interp(xf, xs, ys)) < cap
        if near.any():
            dist, _ = self.river_tree.query(np.column_stack([xf[near], yf[near]]), distance_upper_bound=cap)
            out[near] = np.minimum(dist, cap)
        return out.reshape(np.shape(x))

    def river_side(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """+1 for points north of the river, -1 for points south of it."""
        xs, ys = np.asarray(self.river.coords).T
        return np.where(np.asarray(y) > np.interp(np.asarray(x), xs, ys), 1, -1)

    def in_park(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean mask of points inside a park."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        out = np.zeros(x.shape, dtype=bool)
        for px, py, pr in self.parks:
            out |= (x - px) ** 2 + (y - py) ** 2 < pr**2
        return out


def make_world(spec: SizeSpec, rng: np.random.Generator) -> World:
    """Draw the outline, centres, river, parks and planned neighbourhoods."""
    w, h = spec.width_m, spec.height_m
    x0, y0 = ORIGIN_E, ORIGIN_N
    bbox = (x0, y0, x0 + w, y0 + h)
    cx = x0 + w * rng.uniform(0.42, 0.55)
    cy = y0 + h * rng.uniform(0.45, 0.55)

    # Outline: a wobbly ellipse, clipped to the rectangle.
    theta = np.linspace(0.0, 2 * np.pi, 181)[:-1]
    wobble = np.ones_like(theta)
    for k in range(2, 7):
        wobble += rng.uniform(0.03, 0.09) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    ox = cx + (0.54 * w) * wobble * np.cos(theta)
    oy = cy + (0.54 * h) * wobble * np.sin(theta)
    outline = Polygon(np.column_stack([ox, oy])).intersection(shapely.box(*bbox))
    outline = shapely.set_precision(outline, 1.0)
    if outline.geom_type != "Polygon":  # keep the main part
        outline = max(outline.geoms, key=lambda g: g.area)

    # District centres: spread around the centre, inside the outline.
    n_d = spec.districts
    ang = np.sort(rng.uniform(0, 2 * np.pi, n_d))
    rad = rng.uniform(0.22, 0.42, n_d)
    districts = np.column_stack([cx + rad * w * np.cos(ang), cy + rad * h * np.sin(ang)])

    # River: meanders west to east a little south of the centre.
    xs = np.linspace(x0 - 200.0, x0 + w + 200.0, 240)
    phase1, phase2 = rng.uniform(0, 2 * np.pi, 2)
    base = cy - h * rng.uniform(0.06, 0.12)
    ys = (
        base
        + h * 0.07 * np.sin(2 * np.pi * (xs - x0) / (0.65 * w) + phase1)
        + h * 0.025 * np.sin(2 * np.pi * (xs - x0) / (0.21 * w) + phase2)
    )
    river = LineString(np.column_stack([xs, ys]))
    river_width = 25.0 if spec.name == "small" else 45.0

    # Parks: a few discs away from the centre and the river.
    scale = min(w, h)
    n_parks = 2 if spec.name == "small" else 14
    parks = []
    while len(parks) < n_parks:
        px = x0 + w * rng.uniform(0.1, 0.9)
        py = y0 + h * rng.uniform(0.1, 0.9)
        pr = scale * (rng.uniform(0.03, 0.06) if spec.name == "small" else rng.uniform(0.012, 0.028))
        if shapely.distance(river, shapely.Point(px, py)) > pr + 60 and np.hypot(px - cx, py - cy) > 0.08 * scale:
            parks.append((px, py, pr))

    # Planned neighbourhoods: rotated rectangular grids near the centre and districts.
    n_grid = 2 if spec.name == "small" else 12
    anchors = np.vstack([[cx, cy], districts])
    zones = []
    for i in range(n_grid):
        ax, ay = anchors[i % len(anchors)]
        zx = ax + rng.normal(0, 0.05 * scale)
        zy = ay + rng.normal(0, 0.05 * scale)
        zr = scale * rng.uniform(0.08, 0.14) if spec.name == "small" else scale * rng.uniform(0.03, 0.06)
        zones.append((zx, zy, zr, rng.uniform(0, np.pi / 2), rng.uniform(55.0, 75.0), rng.uniform(110.0, 160.0)))
    return World(
        spec=spec,
        bbox=bbox,
        outline=outline,
        centre=(float(cx), float(cy)),
        districts=districts,
        river=river,
        river_width=river_width,
        parks=np.asarray(parks, dtype=float).reshape(-1, 3),
        grid_zones=np.asarray(zones, dtype=float).reshape(-1, 6),
        river_tree=cKDTree(shapely.get_coordinates(shapely.segmentize(river, 4.0))),
    )
