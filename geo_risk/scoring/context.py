"""Inputs of placement checks, bundled once so that checking candidates is vector work only.

- :class:`ScoringSnapshot`: built once per data snapshot (peer graph, place index, fitted
  area surface and its fingerprint, incident dates).
- :class:`ScoringContext`: built once per young person and ``as_of`` from a snapshot
  (their adversaries and exploiters, and the merged activity fields as KD-trees).
  :meth:`ScoringContext.assess` then scores any number of points in one pass.

How a point is scored (docs/decisions.md, "Placement")
-----------------------------------------------------
Components, each in 0..1:

- **area intensity**: the area forecast's (:func:`geo_risk.surface.forecast.forecast_surface`: next
  month's expected incidents in the square around the point) percentile at the point / 100: among the residential
  addresses (postcode centres) of the area covered (:mod:`geo_risk.scoring.area`), or the
  surface's own cells when no postcodes are loaded;
- **conflict exposure**: ``1 - exp(-E_c / conflict_scale)``, with ``E_c`` the sum over
  adversary places of adversary weight x place weight x Gaussian kernel (see
  :mod:`geo_risk.network.activity`), plus the places of the young person's own peer group in a
  retaliation window. ``E_c = 1`` is standing at one fresh confirmed place of a fresh confirmed
  direct adversary; with the default scale 0.5 that gives 0.86. A placement context
  (``evidence="as_confirmed"``) weighs every grade as confirmed;
- **exploitation exposure**: the same over the young person's exploiters' places
  (their exploitation sites included), with ``exploitation_scale``;
- **proximity to exploitation sites**: any other live exploitation site within
  ``site_radius_m``, at ``unlinked_site_factor`` x its evidence weight, with a linear kernel
  falling to 0 at the radius, normalised with ``site_scale``.

The band is the worse of the **area band** (the percentile cut at ``area_band_edges``: Low,
Medium, High) and the **child-specific band** (the larger of conflict and exploitation exposure
cut at ``child_band_edges``: Low, Medium, High, Very high; at least High when an adversary's or
exploiter's home or regular place is within ``consult_distance_m``, which also makes the
outcome "consult the analyst"); an unrelated exploitation site nearby makes it at least Medium.
A point outside the data's coverage is "Cannot assess". Score =
``100 * sum(weight_k * component_k) / sum(weight_k)`` (rounded to 0.1) breaks ties within a band.

Confidence
----------
Low outside the coverage, and low when a child-specific concern rests mostly on unverified
grades (``unverified_grades``; the concern is flagged "verify by" a date). Otherwise, where a
child-specific concern is known, confidence rests on the evidence behind it (links on the
adversaries' and exploiters' paths, and places that give at least 5 % of the exposure): start
from the best link grade (A/B: high, C: medium, D/E: low); one step lower if the newest of those
links was last seen more than ``confidence_stale_days`` before ``as_of``; one step lower if
fewer than three pieces of evidence (links and places) stand behind it. With nothing specific
known it rests on the area data and is at most medium (no known threat is not evidence of
safety): one step lower if the newest incident is more than ``incident_stale_days`` old or
there is none, one step lower if fewer than ``confidence_min_incidents`` incidents fall in the
surface's horizon.

Inputs hash
-----------
SHA-256 of canonical JSON (sorted keys, no whitespace) of: the young person's pseudonym,
``as_of``, how evidence is weighed, the policy version and digest, every live link behind the
exposure (ids, type, grade, dates, status), every place in the activity fields and every home
or regular place the consult rule reads (id, kind, grade, dates, status, coordinates: hashed,
never shown), the point (to 0.1 m), the live exploitation sites within reach of it, the area
model's fingerprint (or the area percentile when it is given directly) and the coverage's.
Person attributes (sex, ethnicity, religion, flags) are never part of it, nor of the score.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo_risk.config import Policy
from geo_risk.contract import CANNOT_ASSESS, GRADES, first_seen_within
from geo_risk.crs import in_gb
from geo_risk.errors import ConfigError, ValidationError
from geo_risk.network import (
    Adversary,
    ExposureField,
    PeerNetwork,
    PlaceIndex,
    activity_field,
    build_network,
    find_exposure,
    group_members,
    site_field,
)
from geo_risk.network._time import as_timestamp, column_days, days_to_iso, timestamp_days
from geo_risk.network.exposure import Exposure
from geo_risk.scoring import _explain
from geo_risk.scoring.area import Coverage
from geo_risk.scoring.assessment import Assessment, Factor, Freshness

log = logging.getLogger(__name__)

#: The placement factors, in their fixed order.
FACTOR_NAMES = ("area_intensity", "conflict_exposure", "exploitation_exposure", "exploitation_site_proximity")
#: Index of "High" in ``[scoring] bands`` (the bands run Low, Medium, High, Very high).
HIGH = 2
#: How a context weighs evidence: by grade (routes), or every grade as confirmed (placement checks).
EVIDENCE_MODES = ("graded", "as_confirmed")
#: Place kinds that are not somewhere a person regularly is (the consult rule leaves them out).
_ONE_OFF_KINDS = frozenset({"incident_location"})


class AreaModel(Protocol):
    """What scoring needs from the area surface (``geo_risk.surface.forecast.AreaForecast``, or any
    surface with the same methods such as ``geo_risk.surface.IntensitySurface``)."""

    def percentile_at(self, xy: np.ndarray) -> np.ndarray: ...


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no whitespace: the same bytes for the same data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256_json(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def surface_fingerprint(surface: Any) -> str:
    """A SHA-256 fingerprint of a fitted area surface.

    Uses ``surface.fingerprint`` when the surface provides one (a string or a method);
    otherwise hashes the fitted state of an ``IntensitySurface``: ``as_of_``, its policy,
    the weighted incident locations ``xy_``/``weights_`` and the reference ``bounds_``.

    Raises
    ------
    ValidationError
        If the surface is not fitted or exposes none of these.
    """
    fp = getattr(surface, "fingerprint", None)
    if callable(fp):
        fp = fp()
    if isinstance(fp, str) and fp:
        return fp
    if not hasattr(surface, "xy_") or not hasattr(surface, "weights_"):
        msg = "the area surface is not fitted or has no fingerprint; call .fit(incidents, as_of) first"
        raise ValidationError(msg)
    h = hashlib.sha256()
    policy = getattr(surface, "policy", None)
    if dataclasses.is_dataclass(policy):
        h.update(canonical_json(dataclasses.asdict(policy)).encode())
    h.update(str(pd.Timestamp(surface.as_of_).isoformat()).encode())
    h.update(repr(tuple(round(float(b), 3) for b in getattr(surface, "bounds_", ()))).encode())
    h.update(np.ascontiguousarray(np.round(np.asarray(surface.xy_, dtype=float), 3)).tobytes())
    weights = np.asarray(surface.weights_, dtype=float)
    h.update(np.ascontiguousarray(np.round(weights, 12)).tobytes())
    return h.hexdigest()


def fit_area_surface(incidents: pd.DataFrame, as_of: Any, policy: Policy) -> AreaModel:
    """Fit the area surface at ``as_of``: the area forecast
    (:func:`geo_risk.surface.forecast.forecast_surface`), as placement and route checks use."""
    from geo_risk.surface.forecast import forecast_surface

    return forecast_surface(incidents, as_timestamp(as_of), policy.surface)


@dataclass(frozen=True, eq=False)
class ScoringSnapshot:
    """Everything placement checks need from one data snapshot, indexed once.

    Build with :meth:`from_frames`. ``surface`` is a fitted area surface (``percentile_at``)
    or ``None`` when area percentiles are passed to :meth:`ScoringContext.assess` directly.
    """

    network: PeerNetwork
    places: PlaceIndex
    surface: AreaModel | None
    surface_fingerprint: str | None
    incident_days: np.ndarray
    coverage: Coverage | None = None

    @property
    def area_reference(self) -> str:
        """The places a point's area intensity is ranked among, in words."""
        if self.surface is None:
            return "the area covered"
        words = getattr(self.surface, "description", None)
        return words or "every grid cell of the area loaded"

    @classmethod
    def from_frames(
        cls,
        *,
        people: pd.DataFrame,
        groups: pd.DataFrame,
        links: pd.DataFrame,
        places: gpd.GeoDataFrame,
        incidents: pd.DataFrame | None = None,
        surface: AreaModel | None = None,
        coverage: Coverage | None = None,
    ) -> ScoringSnapshot:
        """Index the data-contract frames (protected characteristics are never read).

        ``coverage`` is the area the data cover (:func:`geo_risk.scoring.area.data_coverage`):
        a point outside it cannot be assessed. ``None``: every point in Great Britain is covered.
        """
        network = build_network(people, groups, links)
        index = PlaceIndex.from_frame(places)
        if incidents is not None and len(incidents):
            days = column_days(incidents, "occurred_at")
            days = np.sort(days[np.isfinite(days)])
        else:
            days = np.zeros(0)
        return cls(
            network=network,
            places=index,
            surface=surface,
            surface_fingerprint=surface_fingerprint(surface) if surface is not None else None,
            incident_days=days,
            coverage=coverage,
        )

    def context(self, child: str, as_of: Any, policy: Policy, *, evidence: str = "graded") -> ScoringContext:
        """Shorthand for :meth:`ScoringContext.build`."""
        return ScoringContext.build(self, child, as_of, policy, evidence=evidence)


@dataclass(frozen=True, eq=False)
class ScoringContext:
    """One young person's exposure at ``as_of``, ready to score any number of points."""

    snapshot: ScoringSnapshot
    child: str
    as_of: pd.Timestamp
    policy: Policy
    exposure: Exposure
    conflict: ExposureField
    exploitation: ExposureField
    sites: ExposureField
    link_ids: tuple[str, ...]
    freshness: Freshness
    incidents_in_horizon: int
    latest_incident_days: float
    knows_network: bool
    digest: str
    policy_digest: str
    evidence_mode: str = "graded"
    consult: ConsultPlaces | None = None
    retaliation: ExposureField | None = None
    retaliation_owners: tuple[Adversary, ...] = ()
    retaliation_until: tuple[str, ...] = ()
    trusted: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, snapshot: ScoringSnapshot, child: str, as_of: Any, policy: Policy, *,
              evidence: str = "graded") -> ScoringContext:
        """Find ``child``'s adversaries and exploiters at ``as_of`` and merge their activity spaces.

        Parameters
        ----------
        evidence
            ``"graded"``: each link and place weighs by its evidence grade (``[network.grade_weights]``);
            ``"as_confirmed"`` (placement checks): every grade weighs as confirmed, so weak evidence
            does not shrink the risk; its grade lowers confidence and raises a "verify by" flag instead.

        Raises
        ------
        NotFound
            If ``child`` is not a person in the snapshot.
        """
        if evidence not in EVIDENCE_MODES:
            msg = f"evidence must be one of {', '.join(EVIDENCE_MODES)}, got {evidence!r}"
            raise ValueError(msg)
        as_of = as_timestamp(as_of)
        t = timestamp_days(as_of)
        net = policy.network
        if evidence == "as_confirmed":
            net = dataclasses.replace(net, grade_weights=dict.fromkeys(GRADES, 1.0))
        network, places = snapshot.network, snapshot.places
        link_w = network.link_weights(as_of, net)
        place_w = places.weights(as_of, net)
        exposure = find_exposure(network, child, as_of, net)
        common = {"network": network, "link_weights": link_w, "bandwidth_m": float(net.activity_bandwidth_m)}
        conflict = activity_field([(a.node, a.weight) for a in exposure.adversaries], places, place_w, **common)
        exploitation = activity_field([(e.node, e.weight) for e in exposure.exploiters], places, place_w, **common)
        sites = site_field(
            places,
            place_w,
            exclude_rows=exploitation.rows,
            factor=float(policy.scoring.unlinked_site_factor),
            radius_m=float(policy.scoring.site_radius_m),
        )
        consult = consult_places(exposure, network, places, place_w, link_w)
        retaliation, avengers, until = retaliation_field(exposure, child, as_of, policy, network, places, place_w,
                                                         link_w)
        via = {str(v) for v in (*conflict.via, *exploitation.via, *retaliation.via) if v}
        link_ids = tuple(sorted(set(exposure.links) | via | {lid for o in avengers for lid in o.path}))
        link_rows = np.array([network.row_of[i] for i in link_ids], dtype=np.int64)
        place_rows = np.union1d(np.union1d(conflict.rows, exploitation.rows), np.union1d(retaliation.rows, consult.rows))

        ev = network.evidence
        latest_link = float(np.nanmax(np.minimum(ev.last_seen[link_rows], t))) if len(link_rows) else np.nan
        pev = places.evidence
        latest_place = float(np.nanmax(np.minimum(pev.last_seen[place_rows], t))) if len(place_rows) else np.nan
        days = snapshot.incident_days
        upto = int(np.searchsorted(days, t, side="right"))
        latest_incident = float(days[upto - 1]) if upto else np.nan
        horizon = float(policy.surface.horizon_days)
        in_horizon = upto - int(np.searchsorted(days, t - horizon, side="right"))
        node = ("person", str(child))
        knows_network = any(link_w[row] > 0 for _, _, row, _, _ in network.incident.get(node, ()))

        p_digest = policy_digest(policy)  # once per context
        digest = sha256_json(
            {
                "kind": "placement",
                "child": str(child),
                "as_of": as_of.isoformat(),
                "evidence": evidence,
                "policy": {"version": policy.version, "digest": p_digest},
                "links": _link_records(network, link_rows),
                "places": _place_records(places, place_rows),
            }
        )
        return cls(
            snapshot=snapshot,
            child=str(child),
            as_of=as_of,
            policy=policy,
            exposure=exposure,
            conflict=conflict,
            exploitation=exploitation,
            sites=sites,
            link_ids=link_ids,
            freshness=Freshness(days_to_iso(latest_incident), days_to_iso(latest_link), days_to_iso(latest_place)),
            incidents_in_horizon=int(in_horizon),
            latest_incident_days=latest_incident,
            knows_network=bool(knows_network),
            digest=digest,
            policy_digest=p_digest,
            evidence_mode=evidence,
            consult=consult,
            retaliation=retaliation,
            retaliation_owners=avengers,
            retaliation_until=until,
            trusted=MappingProxyType({
                name: _explain.trusted_places(f, owners, network, places, policy.scoring.unverified_grades)
                for name, f, owners in (("conflict", conflict, exposure.adversaries),
                                        ("exploitation", exploitation, exposure.exploiters),
                                        ("retaliation", retaliation, avengers))
            }),
        )

    # ------------------------------------------------------------------ scoring

    def assess(self, points: np.ndarray | Sequence[Any], *, area_percentile: Any = None) -> list[Assessment]:
        """Assess every point (``(n, 2)`` eastings/northings in EPSG:27700) in one pass.

        Parameters
        ----------
        points
            Candidate points.
        area_percentile
            Citywide percentiles (0-100) of area intensity at the points, when no surface
            is in the snapshot (or to override it).

        Returns
        -------
        list of Assessment
            In the order of ``points``.
        """
        xy = validate_points(points)
        n = len(xy)
        sp = self.policy.scoring
        coverage = self.snapshot.coverage
        covered = coverage.contains(xy) if coverage is not None else np.ones(n, dtype=bool)
        pct, area_keys = self._area_percentiles(xy, area_percentile)
        cv = self.conflict.evaluate(xy)
        xv = self.exploitation.evaluate(xy)
        sv = self.sites.evaluate(xy)
        rv = self.retaliation.evaluate(xy) if self.retaliation is not None else None
        conflict_total = cv.total + (rv.total if rv is not None else 0.0)

        names = FACTOR_NAMES
        raw = np.column_stack([pct, conflict_total, xv.total, sv.total])
        scales = np.array([sp.conflict_scale, sp.exploitation_scale, sp.site_scale], dtype=float)
        if np.any(scales <= 0):
            msg = "policy [scoring] conflict_scale, exploitation_scale and site_scale must be positive"
            raise ConfigError(msg)
        values = np.column_stack([np.clip(pct / 100.0, 0.0, 1.0), -np.expm1(-raw[:, 1:] / scales)])
        weights = np.array([sp.area_weight, sp.conflict_weight, sp.exploitation_weight, sp.site_weight], dtype=float)
        total_weight = weights.sum()
        if total_weight <= 0:
            msg = "policy [scoring] weights must not all be zero"
            raise ConfigError(msg)
        contributions = 100.0 * values * weights / total_weight
        scores = np.round(contributions.sum(axis=1), 1)

        # The band: the worse of the area band and the child-specific band (docs/decisions.md).
        high = HIGH
        area_idx = np.searchsorted(np.asarray(sp.area_band_edges, dtype=float), pct, side="right")
        child_edges = np.asarray(sp.child_band_edges, dtype=float)
        own_idx = np.column_stack([np.searchsorted(child_edges, values[:, m], side="right") for m in (1, 2)])
        near = self.consult.within(xy, sp.consult_distance_m) if self.consult is not None else [()] * n
        consult = np.array([len(h) > 0 for h in near], dtype=bool)
        child_idx = np.maximum(own_idx.max(axis=1), np.where(consult, high, 0))
        site_idx = (values[:, 3] >= _explain.NOTICE).astype(np.int64)
        band_idx = np.maximum(np.maximum(area_idx, child_idx), site_idx)
        thresholds = (None, float(child_edges[high - 1]), float(child_edges[high - 1]), None)
        lifts = np.zeros((n, 4), dtype=bool)
        for col, m in ((0, 1), (1, 2)):
            lifts[:, m] = (own_idx[:, col] >= high) & (own_idx[:, col] >= area_idx)

        # hash records of every exploitation site within reach of any point, built in one pass
        near_sites = _place_record_map(self.snapshot.places, self.sites.rows[np.unique(sv.pairs[1])])

        results = []
        for k in range(n):
            factors = tuple(
                sorted(
                    (
                        Factor(
                            name=names[m],
                            value=float(values[k, m]),
                            raw=float(raw[k, m]),
                            weight=float(weights[m]),
                            contribution=float(contributions[k, m]),
                            threshold=thresholds[m],
                            lifts_band=bool(lifts[k, m]),
                        )
                        for m in range(4)
                    ),
                    key=lambda f: (-round(f.contribution, 6), names.index(f.name)),
                )
            )
            inside = bool(covered[k])
            point = _explain.PointView(
                index=k,
                xy=(float(xy[k, 0]), float(xy[k, 1])),
                values=dict(zip(names, (float(v) for v in values[k]), strict=True)),
                percentile=float(pct[k]),
                lifted=tuple(names[m] for m in range(4) if lifts[k, m]),
                band=sp.bands[int(band_idx[k])] if inside else CANNOT_ASSESS,
                area_band=sp.bands[int(area_idx[k])],
                child_band=sp.bands[int(child_idx[k])],
                consult=tuple(int(h) for h in near[k]),
                covered=inside,
            )
            explained = _explain.explain(self, point, cv, xv, sv, rv)
            site_rows = self.sites.rows[_explain.pair_slice(sv, k)[0]]
            site_records = sorted(near_sites[int(r)] for r in site_rows)
            inputs_hash = sha256_json(
                {
                    "context": self.digest,
                    "point": [round(point.xy[0], 1), round(point.xy[1], 1)],
                    "area": area_keys[k],
                    "coverage": coverage.fingerprint if coverage is not None else None,
                    "sites": site_records,
                }
            )
            outcome = "cannot_assess" if not inside else ("consult_analyst" if consult[k] else "assessed")
            results.append(
                Assessment(
                    child=self.child,
                    point=(round(point.xy[0], 1), round(point.xy[1], 1)),
                    as_of=self.as_of.isoformat(),
                    score=float(scores[k]) if inside else None,
                    band=point.band,
                    lifted_by=point.lifted if inside else (),
                    factors=factors if inside else (),
                    nearest_adversary_m=_finite(cv.nearest_m[k]),
                    nearest_exploiter_m=_finite(xv.nearest_m[k]),
                    reasons_analyst=explained.analyst,
                    reasons_housing=explained.housing,
                    evidence=explained.evidence,
                    freshness=self.freshness,
                    confidence=explained.confidence,
                    policy_version=self.policy.version,
                    inputs_hash=inputs_hash,
                    outcome=outcome,
                    flags=explained.flags,
                    area_band=point.area_band if inside else None,
                    child_band=point.child_band if inside else None,
                )
            )
        return results

    def _area_percentiles(self, xy: np.ndarray, area_percentile: Any) -> tuple[np.ndarray, list[Any]]:
        n = len(xy)
        if area_percentile is not None:
            pct = np.asarray(area_percentile, dtype=float).reshape(-1)
            if pct.shape != (n,):
                msg = f"area_percentile must give one value per point ({n}), got {pct.size}"
                raise ValidationError(msg)
            if not np.all(np.isfinite(pct)) or np.any((pct < 0) | (pct > 100)):
                msg = "area_percentile values must be finite percentiles between 0 and 100"
                raise ValidationError(msg)
            return pct, [{"percentile": round(float(p), 6)} for p in pct]
        surface = self.snapshot.surface
        if surface is None:
            msg = (
                "no area surface: build the snapshot with surface=forecast_surface(incidents, "
                "as_of, policy.surface), or pass area_percentile="
            )
            raise ValidationError(msg)
        fitted_at = getattr(surface, "as_of_", None)
        # Surfaces are fitted once a day; a few hours of decay on a 90-day half-life are
        # immaterial, so only a surface from another day is worth a warning.
        if fitted_at is not None and pd.Timestamp(fitted_at).normalize() != pd.Timestamp(self.as_of).normalize():
            log.warning("the area surface was fitted at %s, not at as_of %s", fitted_at, self.as_of)
        pct = np.asarray(surface.percentile_at(xy), dtype=float).reshape(-1)
        key = {"surface": self.snapshot.surface_fingerprint}
        return pct, [key] * n


@dataclass(frozen=True, eq=False)
class ConsultPlaces:
    """Live homes and regular places of a young person's adversaries and exploiters (homes included).

    They never enter an activity field, a score or a distance: a point within the policy's
    ``consult_distance_m`` of any of them gets "consult the analyst before placing here", which
    names no place, person or distance.

    Attributes
    ----------
    rows
        Rows of the places in the :class:`PlaceIndex`.
    owner
        Index into ``owners`` of each place.
    owners
        The adversaries and exploiters (:class:`Adversary` / :class:`Exploiter`) the places belong to
        (a group's members' places belong to the group).
    """

    rows: np.ndarray
    xy: np.ndarray
    owner: np.ndarray
    owners: tuple[Any, ...]
    tree: cKDTree | None

    def within(self, xy: np.ndarray, distance_m: float) -> list[np.ndarray]:
        """For each point, the indices (into ``rows``) of the places within ``distance_m``, sorted."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if self.tree is None:
            return [np.zeros(0, dtype=np.int64) for _ in range(len(xy))]
        return [np.asarray(sorted(hits), dtype=np.int64) for hits in self.tree.query_ball_point(xy, float(distance_m))]


def consult_places(exposure: Exposure, network: PeerNetwork, places: PlaceIndex, place_w: np.ndarray,
                   link_w: np.ndarray) -> ConsultPlaces:
    """The live places (homes included, incident locations left out) of ``exposure``'s adversaries and exploiters."""
    owners = (*exposure.adversaries, *exposure.exploiters)
    eligible = (place_w > 0) & ~np.isin(places.kind, list(_ONE_OFF_KINDS))
    rows: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    for m, who in enumerate(owners):
        entities = [who.node]
        if who.entity_kind == "group":
            entities += [member for member, _, _ in group_members(network, who.node, link_w)]
        for entity in entities:
            r = places.by_entity.get(entity)
            if r is not None and len(r):
                r = np.asarray(r, dtype=np.int64)
                r = r[eligible[r]]
                rows.append(r)
                owner.append(np.full(len(r), m, dtype=np.int64))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    o = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64)
    xy = places.xy[r] if len(r) else np.zeros((0, 2))
    return ConsultPlaces(rows=r, xy=xy, owner=o, owners=owners, tree=cKDTree(xy) if len(r) else None)


def retaliation_field(exposure: Exposure, child: str, as_of: pd.Timestamp, policy: Policy, network: PeerNetwork,
                      places: PlaceIndex, place_w: np.ndarray, link_w: np.ndarray,
                      ) -> tuple[ExposureField, tuple[Adversary, ...], tuple[str, ...]]:
    """The places of the young person's own peer groups that had a new incident: a retaliation exposure.

    A group counts when a live ``incident_location`` place of the group, or of one of its live
    members, was first seen in the ``[scoring] retaliation_days`` up to ``as_of``. Its places
    (and its members', homes never) then weigh ``retaliation_factor`` x the young person's
    membership weight. Returns the field, its owners as :class:`Adversary` objects with route
    ``retaliation`` (in the field's owner order) and, per owner, the last day of its window (ISO date).
    """
    sp = policy.scoring
    days = float(sp.retaliation_days)
    common = {"network": network, "link_weights": link_w, "bandwidth_m": float(policy.network.activity_bandwidth_m)}
    if days <= 0 or not exposure.groups:
        return activity_field([], places, place_w, **common), (), ()
    recent = first_seen_within(places.evidence.dates, as_of, days) & (place_w > 0) & (places.kind == "incident_location")
    child_node = ("person", str(child))
    membership = {}
    for nbr, link_id, row, kind, outgoing in network.incident.get(child_node, ()):
        if kind == "member_of" and outgoing and link_w[row] > 0 and nbr[0] == "group":
            w = float(link_w[row])
            if nbr not in membership or w > membership[nbr][0]:
                membership[nbr] = (w, link_id)
    owners: list[Adversary] = []
    until: list[str] = []
    for node in sorted(membership):
        entities = [node] + [member for member, _, _ in group_members(network, node, link_w)]
        rows = np.concatenate([np.asarray(places.by_entity.get(e, ()), dtype=np.int64) for e in entities])
        hits = rows[recent[rows]] if len(rows) else rows
        if not len(hits):
            continue
        w, link_id = membership[node]
        owners.append(Adversary(node[0], node[1], float(sp.retaliation_factor) * w, "retaliation", (link_id,)))
        last = float(np.nanmax(places.evidence.first_seen[hits]))
        until.append(str(days_to_iso(last + days))[:10])
    out = activity_field([(o.node, o.weight) for o in owners], places, place_w, **common)
    return out, tuple(owners), tuple(until)


def validate_points(points: Any) -> np.ndarray:
    """Candidate points as an ``(n, 2)`` float array, checked to lie in Great Britain (EPSG:27700)."""
    try:
        xy = np.asarray(points, dtype=float)
    except (TypeError, ValueError) as exc:
        msg = "points must be (easting, northing) pairs in EPSG:27700 metres"
        raise ValidationError(msg) from exc
    if xy.ndim == 1 and xy.size == 2:
        xy = xy.reshape(1, 2)
    if xy.ndim != 2 or xy.shape[1] != 2:
        msg = f"points must be an (n, 2) array of eastings and northings, got shape {xy.shape}"
        raise ValidationError(msg)
    bad = ~in_gb(xy[:, 0], xy[:, 1])
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (
            f"point {k + 1} ({xy[k, 0]!r}, {xy[k, 1]!r}) is not in Great Britain: give British National Grid "
            "easting, northing in metres (convert longitude/latitude with geo_risk.crs.lonlat_to_en)"
        )
        raise ValidationError(msg)
    return xy


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _iso_seconds(days: np.ndarray) -> list[str | None]:
    """Float days since 1970 -> ISO date-times to the second, vectorised (``None`` for NaN)."""
    days = np.asarray(days, dtype=float)
    ok = np.isfinite(days)
    seconds = np.where(ok, np.round(np.where(ok, days, 0.0) * 86400.0), 0).astype(np.int64)
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").astype(object)
    text[~ok] = None
    return text.tolist()


def _evidence_columns(ev: Any, rows: np.ndarray, kinds: np.ndarray) -> dict[str, list[Any]]:
    """Hash inputs of links or places as columns, rows sorted by id."""
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[np.argsort(ev.ids[rows].astype(str), kind="stable")] if len(rows) else rows
    return {
        "id": ev.ids[rows].tolist(),
        "kind": kinds[rows].tolist(),
        "grade": "".join(GRADES[g] for g in ev.grade[rows]),
        "first_seen": _iso_seconds(ev.first_seen[rows]),
        "last_seen": _iso_seconds(ev.last_seen[rows]),
        "expires_at": _iso_seconds(ev.expires_at[rows]),
        "expired": ev.expired[rows].tolist(),
        "rows": rows,  # removed before hashing
    }


def _link_records(network: PeerNetwork, rows: np.ndarray) -> dict[str, list[Any]]:
    """Hash inputs of links: id, type, grade, first/last seen, expiry, expired status; sorted by id."""
    columns = _evidence_columns(network.evidence, rows, network.link_type)
    del columns["rows"]
    return columns


def _place_records(places: PlaceIndex, rows: np.ndarray) -> dict[str, list[Any]]:
    """Hash inputs of places: as for links plus coordinates to 0.1 m; sorted by id."""
    columns = _evidence_columns(places.evidence, rows, places.kind)
    ordered = columns.pop("rows")
    columns["x"] = np.round(places.xy[ordered, 0], 1).tolist() if len(ordered) else []
    columns["y"] = np.round(places.xy[ordered, 1], 1).tolist() if len(ordered) else []
    return columns


def _place_record_map(places: PlaceIndex, rows: np.ndarray) -> dict[int, list[Any]]:
    """Hash record of each place row: ``[id, kind, grade, first, last, expires, expired, x, y]``."""
    columns = _evidence_columns(places.evidence, rows, places.kind)
    ordered = columns.pop("rows")
    if not len(ordered):
        return {}
    columns["grade"] = list(columns["grade"])
    columns["x"] = np.round(places.xy[ordered, 0], 1).tolist()
    columns["y"] = np.round(places.xy[ordered, 1], 1).tolist()
    records = zip(*columns.values(), strict=True)
    return {int(r): list(rec) for r, rec in zip(ordered, records, strict=True)}


def policy_digest(policy: Policy) -> str:
    """``policy.digest``: a pure function, with no cache of its own.

    The core keeps no module-level state. :class:`ScoringContext` computes the digest once
    when it is built (once per young person and ``as_of``) and keeps it as
    :attr:`ScoringContext.policy_digest`; a policy is not hashable (its weight tables are
    mappings), so it cannot key an ``lru_cache``, and a cache keyed on ``id()`` would hold
    policies alive and serve a stale digest if an id were reused.
    """
    return policy.digest
