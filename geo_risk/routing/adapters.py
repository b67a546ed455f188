"""Wire the risk engine into routing: a young person's risk along the streets, and places of concern.

Routing itself only needs ``risk_fn(xy) -> risk`` and a list of
:class:`~geo_risk.routing.assess.ConcernSite`. This module builds both from the
scoring engine's per-child :class:`~geo_risk.scoring.ScoringContext` (built once
per young person and ``as_of``), so that a walk is scored exactly as a
placement would be at every point along it:

- area: the area forecast's citywide percentile / 100;
- conflict and exploitation exposure: ``1 - exp(-E / scale)`` of the context's
  activity fields, and proximity to other exploitation sites;
- the weighted sum of the components, as a 0-1 "score / 100", lifted to at
  least the lower edge of the ``High`` band wherever conflict or exploitation
  exposure reaches its lift threshold (the placement check's rule).

For the school run the surface is fitted with :func:`school_run_surface`:
timed incidents in the school travel windows on school days weigh more (see
:mod:`geo_risk.routing.schoolrun`; pass the school holidays as ``calendar``).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely

from geo_risk.config import Policy
from geo_risk.errors import ConfigError, ValidationError
from geo_risk.routing.assess import ConcernSite
from geo_risk.routing.risk import RiskFn
from geo_risk.routing.schoolrun import SchoolCalendar, add_time_weight

log = logging.getLogger(__name__)


def school_run_surface(
    incidents: pd.DataFrame,
    as_of: Any,
    policy: Policy,
    *,
    bounds: tuple[float, float, float, float] | None = None,
    calendar: SchoolCalendar | None = None,
) -> Any:
    """Fit the area surface for the school run: timed incidents in school travel windows on school
    days weigh more.

    Parameters
    ----------
    incidents
        The snapshot's incidents frame (EPSG:27700).
    as_of
        The date the check is made for.
    policy
        The versioned policy (``[surface]`` and ``[routing]``).
    bounds
        Optional extent for citywide percentiles (see ``AreaForecast.fit``).
    calendar
        The school holidays (:class:`~geo_risk.routing.schoolrun.SchoolCalendar`): incidents
        on weekdays in them are not weighted as the school run. Without them every weekday
        counts as a school day; say so with
        :func:`~geo_risk.routing.schoolrun.with_school_days_note`.

    Returns
    -------
    geo_risk.surface.forecast.AreaForecast
        The area forecast (as placements use), fitted with the school-run weights on the targets.
    """
    from geo_risk.surface.forecast import forecast_surface

    weighted = add_time_weight(incidents, policy.routing, calendar=calendar)
    return forecast_surface(weighted, as_of, policy.surface, bounds=bounds)


def child_risk_fn(context: Any, *, area: Literal["grid", "exact"] = "grid") -> RiskFn:
    """A young person's risk density along the streets, from their scoring context.

    Parameters
    ----------
    context
        A :class:`geo_risk.scoring.ScoringContext` for the young person and ``as_of``,
        from a snapshot that carries a fitted area surface.
    area
        ``"grid"`` reads the area surface on its fitted grid (bilinear, fast; for
        routing), ``"exact"`` uses exact kernel sums (as the placement check does).

    Returns
    -------
    RiskFn
        ``risk_fn(xy) -> ndarray``: the 0-100 location score / 100 at each point.
    """
    if area not in ("grid", "exact"):
        msg = f"area must be 'grid' or 'exact', got {area!r}"
        raise ValidationError(msg)
    surface = context.snapshot.surface
    if surface is None:
        msg = (
            "the scoring snapshot has no area surface; build it with "
            "surface=school_run_surface(incidents, as_of, policy)"
        )
        raise ValidationError(msg)
    sp = context.policy.scoring
    scales = np.array([sp.conflict_scale, sp.exploitation_scale, sp.site_scale], dtype=float)
    if np.any(scales <= 0):
        msg = "policy [scoring] conflict_scale, exploitation_scale and site_scale must be positive"
        raise ConfigError(msg)
    weights = np.array([sp.area_weight, sp.conflict_weight, sp.exploitation_weight, sp.site_weight], dtype=float)
    if weights.sum() <= 0:
        msg = "policy [scoring] weights must not all be zero"
        raise ConfigError(msg)
    weights = weights / weights.sum()
    bands = list(sp.bands)
    high = bands.index("High") if "High" in bands else min(2, len(bands) - 1)
    lift_floor = float(sp.band_edges[high - 1]) / 100.0 if high > 0 else 0.0
    thresholds = (float(sp.conflict_lift_threshold), float(sp.exploitation_lift_threshold))
    fields = (context.conflict, context.exploitation, context.sites)

    def percentile(xy: np.ndarray) -> np.ndarray:
        if area == "grid" and hasattr(surface, "sample") and hasattr(surface, "percentile_of"):
            return np.asarray(surface.percentile_of(surface.sample(xy)), dtype=float)
        return np.asarray(surface.percentile_at(xy), dtype=float)

    def risk_fn(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if not len(xy):
            return np.zeros(0)
        area_v = np.clip(percentile(xy) / 100.0, 0.0, 1.0)
        raw = np.column_stack([_field_total(f, xy) for f in fields])
        child_v = -np.expm1(-raw / scales)
        score = weights[0] * area_v + child_v @ weights[1:]
        lifted = (child_v[:, 0] >= thresholds[0]) | (child_v[:, 1] >= thresholds[1])
        return np.where(lifted, np.maximum(score, lift_floor), score)

    return risk_fn


def child_concern_sites(context: Any) -> list[ConcernSite]:
    """Places a young person's walk is checked against, from their scoring context.

    - places in the activity spaces of their adversaries -> ``adversary_activity``;
    - their exploiters' exploitation sites, and every other live exploitation
      site -> ``exploitation_site``; their exploiters' other places -> ``exploiter_activity``.

    Homes are never places of concern, and never count in the risk either: the
    scoring context's activity fields leave every home out (see
    :mod:`geo_risk.network.activity`), so neither a "segment near" line nor the
    risk read along a walk can be used to locate anyone's home. The check below
    is a second guard.

    Parameters
    ----------
    context
        A :class:`geo_risk.scoring.ScoringContext`.
    """
    places = context.snapshot.places
    out: list[ConcernSite] = []
    seen: set[tuple[str, int]] = set()

    def add(field: Any, kind_for_row: Any) -> None:
        for row in np.asarray(field.rows, dtype=np.int64).tolist():
            place_kind = str(places.kind[row])
            if place_kind == "home":
                continue
            kind = kind_for_row(place_kind)
            if (kind, row) in seen:
                continue
            seen.add((kind, row))
            x, y = places.xy[row]
            out.append(ConcernSite(kind=kind, geometry=shapely.Point(float(x), float(y)), ref=str(places.place_ids[row])))

    add(context.conflict, lambda k: "adversary_activity")
    add(context.exploitation, lambda k: "exploitation_site" if k == "exploitation_site" else "exploiter_activity")
    add(context.sites, lambda k: "exploitation_site")
    return out


def _field_total(field: Any, xy: np.ndarray) -> np.ndarray:
    """Total of an exposure field at points, without the per-place detail explanations need."""
    if len(field) == 0 or field.tree is None:
        return np.zeros(len(xy))
    if hasattr(field, "total_at"):
        return np.asarray(field.total_at(xy), dtype=float)
    return np.asarray(field.evaluate(xy).total, dtype=float)
