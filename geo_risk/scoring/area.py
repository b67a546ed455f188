"""What a placement's area band rests on: the area the data cover, and the addresses a place is ranked among.

- :class:`Coverage`: the area the incident and network data cover. A point outside it cannot be
  assessed (its band is :data:`geo_risk.contract.CANNOT_ASSESS`): no incident recorded there says
  nothing about it, so "quiet" would be a false reassurance.
- :class:`AddressReference`: ranks a place's area intensity among the residential addresses
  (postcode centres) inside the area covered, not among every grid cell of a bounding box (where
  empty land makes every address look busy). With no postcodes loaded it falls back to the
  surface's own cells, and says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely


@dataclass(frozen=True, eq=False)
class Coverage:
    """The area the data cover (EPSG:27700), and how it was found, in words.

    ``geometry`` is ``None`` when nothing is covered (no incidents in the horizon).
    """

    geometry: Any
    description: str
    fingerprint: str

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Mask of the points ``xy`` (shape (n, 2)) inside the area covered (its boundary included)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if self.geometry is None or self.geometry.is_empty:
            return np.zeros(len(xy), dtype=bool)
        return shapely.intersects_xy(self.geometry, xy[:, 0], xy[:, 1])


def data_coverage(
    incident_xy: np.ndarray,
    *,
    areas: Any = None,
    buffer_m: float,
    area_of_interest: Any = None,
) -> Coverage:
    """The area the data cover: within ``buffer_m`` of the hull of the incidents, and inside the areas.

    Parameters
    ----------
    incident_xy
        Locations (EPSG:27700) of the incidents in the area surface's horizon.
    areas
        Boundary polygons loaded (a sequence of shapely geometries), or ``None``: when given, a
        point must also lie inside one of them.
    buffer_m
        How far beyond the incidents' hull the data still speak for a place.
    area_of_interest
        The configured area of interest (one shapely geometry), or ``None``: when given, a point must
        also lie inside it.
    """
    xy = np.asarray(incident_xy, dtype=float).reshape(-1, 2)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if not len(xy):
        return Coverage(None, "no incidents are loaded for the period the area model looks back over",
                        hashlib.sha256(b"empty").hexdigest())
    hull = shapely.convex_hull(shapely.multipoints(xy)).buffer(float(buffer_m))
    geometry = hull
    words = f"within {buffer_m:.0f} m of the recorded incidents"
    if areas is not None and len(areas):
        polygons = shapely.union_all(np.asarray(list(areas), dtype=object))
        geometry = shapely.intersection(hull, polygons)
        words += " and inside the boundary areas loaded"
    if area_of_interest is not None and not area_of_interest.is_empty:
        geometry = shapely.intersection(geometry, area_of_interest)
        words += " and inside the area of interest"
    shapely.prepare(geometry)
    digest = hashlib.sha256(shapely.to_wkb(shapely.normalize(geometry))).hexdigest()
    return Coverage(geometry, words, digest)


@dataclass(frozen=True, eq=False)
class AddressReference:
    """An area model whose percentile ranks a place among residential addresses.

    ``percentile_at(xy)`` is the mid-rank percentile (0-100) of the surface's area intensity at
    ``xy`` among ``values`` (the intensities at the reference addresses, sorted): the share of
    addresses with a lower intensity plus half of those with the same.

    Attributes
    ----------
    surface
        The fitted area surface (``intensity_at`` and ``percentile_at``).
    values
        Sorted intensities at the reference addresses (empty: the surface's own cells are the reference).
    description
        The reference set in words, for the reasons ("the 64 residential addresses ...").
    """

    surface: Any
    values: np.ndarray
    description: str
    digest: str

    @property
    def by_address(self) -> bool:
        return len(self.values) > 0

    def percentile_at(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if not self.by_address:
            return np.asarray(self.surface.percentile_at(xy), dtype=float).reshape(-1)
        return self.percentile_of(self.surface.intensity_at(xy))

    def percentile_of(self, values: np.ndarray) -> np.ndarray:
        """Mid-rank percentiles (0-100) of area intensities among the reference addresses."""
        v = np.asarray(values, dtype=float).reshape(-1)
        if not self.by_address:
            return np.asarray(self.surface.percentile_of(v), dtype=float).reshape(-1)
        # intensities are sums of floats: equal within a relative 1e-9 counts as the same
        tol = 1e-9 * np.maximum(np.abs(v), 1e-300)
        below = np.searchsorted(self.values, v - tol, side="left")
        upto = np.searchsorted(self.values, v + tol, side="right")
        return 100.0 * (below + 0.5 * (upto - below)) / len(self.values)

    def intensity_at(self, xy: np.ndarray) -> np.ndarray:
        return self.surface.intensity_at(xy)

    def fingerprint(self) -> str:
        from geo_risk.scoring.context import surface_fingerprint

        return hashlib.sha256(f"{surface_fingerprint(self.surface)}|{self.digest}".encode()).hexdigest()

    @property
    def as_of_(self) -> Any:
        return getattr(self.surface, "as_of_", None)


def address_reference(surface: Any, postcode_xy: np.ndarray, coverage: Coverage | None) -> AddressReference:
    """Rank places among the postcode centres inside ``coverage`` (all of them when it is ``None``).

    With no postcode centre inside it, the reference is the surface's own grid cells, and the
    description says that no postcode list is loaded for the area.
    """
    xy = np.asarray(postcode_xy, dtype=float).reshape(-1, 2)
    if coverage is not None and len(xy):
        xy = xy[coverage.contains(xy)]
    cell = getattr(getattr(surface, "policy", None), "cell_m", None)
    if not len(xy):
        grid = f"every {cell:g} m grid cell" if cell else "every grid cell"
        words = (f"{grid} of the area loaded, empty land included (no postcode list is loaded for this area, so "
                 "residential addresses cannot be the reference)")
        return AddressReference(surface, np.zeros(0), words, hashlib.sha256(b"cells").hexdigest())
    values = np.sort(np.asarray(surface.intensity_at(xy), dtype=float).reshape(-1))
    words = "the residential addresses (postcode centres) in the area covered"
    digest = hashlib.sha256(np.ascontiguousarray(np.round(xy, 1)).tobytes()).hexdigest()
    return AddressReference(surface, values, words, digest)
