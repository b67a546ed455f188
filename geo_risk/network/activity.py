"""Activity spaces: kernel densities over the places of adversaries and exploiters.

An entity's activity at a point x is ``sum_p w_p * K(|x - p|)`` over its live places p,
with ``w_p`` the place's evidence weight (grade weight x recency with
``place_half_life_days``) and K a Gaussian with peak 1 and standard deviation
``activity_bandwidth_m`` (cut off at 4 bandwidths, where it is below 0.04 %). One fresh
grade-A place gives activity 1 at the place itself, 0.61 at one bandwidth, 0.14 at two.

- A person's activity space uses their places **other than their home**.
- A group's activity space is its own places plus its members' places other than homes,
  each member's scaled by the weight of their live ``member_of`` link.

Homes never enter an activity space
-----------------------------------
An activity space belongs to *someone else*: an adversary or exploiter of the young person
being checked. Were that person's home in it, every distance or wording derived from the field
("within 300 m of an area associated with ...", the score itself) would be a function of the
distance to their home, and a user who may not see the network (a housing or transport officer)
could pin the home to about 100 m with a few dozen map clicks. So ``home`` places are left out
of every field built here, for every role and for the risk itself: a home carries no weight in
any score, in the "nearest" distance, or in the inputs hash. The young person's own home is
not an adversary place and never enters these fields either. Homes stay in the store (they are
shown to no one) and in :class:`PlaceIndex` (``away`` marks the other places).

For one young person, the places of all adversaries are merged into one
:class:`ExposureField` weighted by each adversary's weight; a place reached through
several adversaries counts once, at its strongest weight. Evaluating the field at many
candidate points is one KD-tree pass (``cKDTree.sparse_distance_matrix``), not a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from geo_risk.config import NetworkPolicy
from geo_risk.contract import PLACE_KINDS
from geo_risk.crs import require_store_crs
from geo_risk.errors import ConfigError, ValidationError
from geo_risk.network._evidence import EvidenceArrays
from geo_risk.network._time import as_timestamp, timestamp_days
from geo_risk.network.graph import Node, PeerNetwork

log = logging.getLogger(__name__)

PLACE_COLUMNS = ("place_id", "entity_kind", "entity_key", "kind", "geometry")
KERNEL_CUTOFF_BANDWIDTHS = 4.0


@dataclass(frozen=True, eq=False)
class PlaceIndex:
    """The snapshot's places as arrays, grouped by entity. Build once per snapshot."""

    place_ids: np.ndarray
    kind: np.ndarray
    entity: tuple[Node, ...]
    xy: np.ndarray
    evidence: EvidenceArrays
    by_entity: Mapping[Node, np.ndarray]
    by_entity_away: Mapping[Node, np.ndarray]
    sites: np.ndarray
    entity_code: np.ndarray
    entities: tuple[Node, ...]
    entity_index: Mapping[Node, int]
    entity_ptr: np.ndarray
    entity_rows: np.ndarray
    away: np.ndarray

    @classmethod
    def from_frame(cls, places: gpd.GeoDataFrame) -> PlaceIndex:
        """Index a data-contract ``places`` GeoDataFrame (EPSG:27700, Point geometries).

        Raises
        ------
        ValidationError
            On missing columns, unknown kinds or non-point geometries.
        CRSError
            If ``places`` is not in EPSG:27700.
        """
        missing = [c for c in PLACE_COLUMNS if c not in places.columns]
        if missing:
            msg = f"places lacks column(s) {', '.join(missing)}; see the data contract in the README"
            raise ValidationError(msg)
        if len(places):
            require_store_crs(places, "places")
        places = places.reset_index(drop=True)
        ids = places["place_id"].astype(str).to_numpy(dtype=object)
        kind = places["kind"].astype(str).to_numpy(dtype=object)
        problems = []
        bad_kind = ~np.isin(kind, PLACE_KINDS)
        if bad_kind.any():
            problems.append(f"kind must be one of {', '.join(PLACE_KINDS)} (rows {', '.join(ids[bad_kind][:5])})")
        geoms = places.geometry
        if len(places):
            bad_geom = (geoms.isna() | geoms.is_empty | (geoms.geom_type != "Point")).to_numpy()
        else:
            bad_geom = np.zeros(0, dtype=bool)
        if bad_geom.any():
            problems.append(f"geometry must be a Point (rows {', '.join(ids[bad_geom][:5])})")
        if problems:
            msg = "places: " + "; ".join(problems) + "; fix these rows and load the snapshot again"
            raise ValidationError(msg)
        xy = np.column_stack([geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)]) if len(places) else (
            np.zeros((0, 2))
        )
        entity = tuple(zip(places["entity_kind"].astype(str), places["entity_key"].astype(str), strict=True))
        entities = tuple(sorted(set(entity)))
        code_of = {node: i for i, node in enumerate(entities)}
        entity_code = np.fromiter((code_of[node] for node in entity), dtype=np.int64, count=len(entity))
        order = np.argsort(entity_code, kind="stable")
        bounds = np.searchsorted(entity_code[order], np.arange(len(entities) + 1))
        by_entity = {node: order[bounds[i] : bounds[i + 1]] for i, node in enumerate(entities)}
        away = kind != "home"
        by_entity_away = {node: rows[away[rows]] for node, rows in by_entity.items()}
        return cls(
            place_ids=ids,
            kind=kind,
            entity=entity,
            xy=xy,
            evidence=EvidenceArrays.from_frame(places, "place_id", "places"),
            by_entity=by_entity,
            by_entity_away=by_entity_away,
            sites=np.flatnonzero(kind == "exploitation_site"),
            entity_code=entity_code,
            entities=entities,
            entity_index=code_of,
            entity_ptr=bounds.astype(np.int64),
            entity_rows=order.astype(np.int64),
            away=away,
        )

    def __len__(self) -> int:
        return len(self.place_ids)

    def weights(self, as_of: Any, policy: NetworkPolicy) -> np.ndarray:
        """Evidence weight of every place at ``as_of`` (zero where not live)."""
        t = timestamp_days(as_timestamp(as_of))
        return self.evidence.weights(t, policy.grade_weights, policy.place_half_life_days)


@dataclass(frozen=True, eq=False)
class FieldValues:
    """An :class:`ExposureField` evaluated at n points.

    Attributes
    ----------
    total
        Exposure at each point, shape (n,).
    by_owner
        Exposure split by owner (adversary, exploiter, ...), shape (n, n_owners).
    nearest_m
        Distance to the nearest place of the field (``inf`` for an empty field).
    nearest
        Index of that place within the field (``-1`` for an empty field).
    pairs
        ``(point, place, contribution)`` for every place within the cut-off of a point.
    """

    total: np.ndarray
    by_owner: np.ndarray
    nearest_m: np.ndarray
    nearest: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class ExposureField:
    """Weighted places with a kernel: exposure at any point is a sum over nearby places.

    Attributes
    ----------
    rows
        Row of each place in the :class:`PlaceIndex`.
    xy
        Coordinates (EPSG:27700) of each place.
    weights
        Weight of each place (owner weight x membership weight x place evidence weight).
    owner
        Index into ``owners`` of each place.
    owners
        The entities (adversaries, exploiters, ...) the places stand for.
    via
        Membership link id through which a group member's place reached its group ("" if direct).
    kernel
        ``"gaussian"`` (standard deviation ``scale_m``) or ``"triangular"`` (radius ``scale_m``).
    scale_m, cutoff_m
        Kernel scale and the distance beyond which a place contributes nothing.
    """

    rows: np.ndarray
    xy: np.ndarray
    weights: np.ndarray
    owner: np.ndarray
    owners: tuple[Node, ...]
    via: np.ndarray
    kernel: str
    scale_m: float
    cutoff_m: float
    tree: cKDTree | None

    def __len__(self) -> int:
        return len(self.rows)

    def evaluate(self, xy: np.ndarray) -> FieldValues:
        """Exposure at points ``xy`` (array of shape (n, 2), EPSG:27700)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        n_owners = len(self.owners)
        if self.tree is None or n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return FieldValues(
                total=np.zeros(n),
                by_owner=np.zeros((n, n_owners)),
                nearest_m=np.full(n, np.inf),
                nearest=np.full(n, -1, dtype=np.int64),
                pairs=(empty, empty, np.zeros(0)),
            )
        pairs = cKDTree(xy).sparse_distance_matrix(self.tree, self.cutoff_m, output_type="ndarray")
        i = pairs["i"].astype(np.int64)
        j = pairs["j"].astype(np.int64)
        d = pairs["v"]
        order = np.lexsort((j, i))  # deterministic order, whatever the tree traversal did
        i, j, d = i[order], j[order], d[order]
        contribution = self.weights[j] * self._kernel(d)
        total = np.bincount(i, weights=contribution, minlength=n)
        by_owner = np.bincount(i * n_owners + self.owner[j], weights=contribution, minlength=n * n_owners)
        nearest_m, nearest = self.tree.query(xy, k=1)
        return FieldValues(
            total=total,
            by_owner=by_owner.reshape(n, n_owners),
            nearest_m=np.asarray(nearest_m, dtype=float),
            nearest=np.asarray(nearest, dtype=np.int64),
            pairs=(i, j, contribution),
        )

    def total_at(self, xy: np.ndarray) -> np.ndarray:
        """Exposure at points ``xy`` without the per-owner and per-place detail (many points: routes, grids)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if self.tree is None or not len(xy):
            return np.zeros(len(xy))
        pairs = cKDTree(xy).sparse_distance_matrix(self.tree, self.cutoff_m, output_type="ndarray")
        contribution = self.weights[pairs["j"]] * self._kernel(pairs["v"])
        return np.bincount(pairs["i"].astype(np.int64), weights=contribution, minlength=len(xy))

    def _kernel(self, d: np.ndarray) -> np.ndarray:
        if self.kernel == "gaussian":
            return np.exp(-0.5 * (d / self.scale_m) ** 2)
        return np.clip(1.0 - d / self.scale_m, 0.0, None)


def group_members(network: PeerNetwork, group: Node, link_weights: np.ndarray) -> list[tuple[Node, float, str]]:
    """Live members of ``group`` as ``(member, membership weight, link id)``, sorted."""
    members: dict[Node, tuple[float, str]] = {}
    for nbr, link_id, row, kind, outgoing in network.incident.get(group, ()):
        if kind != "member_of" or outgoing or nbr == group:
            continue
        w = float(link_weights[row])
        if w > 0.0 and (nbr not in members or w > members[nbr][0]):
            members[nbr] = (w, link_id)
    return sorted((m, w, lid) for m, (w, lid) in members.items())


def activity_field(
    entities: Sequence[tuple[Node, float]],
    places: PlaceIndex,
    place_weights: np.ndarray,
    *,
    network: PeerNetwork,
    link_weights: np.ndarray,
    bandwidth_m: float,
) -> ExposureField:
    """Merge the activity spaces of weighted entities into one field.

    ``home`` places are never part of the field (see the module docstring): a home cannot be
    located from any score, distance or wording built on it.

    Parameters
    ----------
    entities
        ``(node, weight)`` pairs, e.g. a young person's adversaries and their weights.
    places
        The snapshot's :class:`PlaceIndex`.
    place_weights
        ``places.weights(as_of, policy)``.
    network
        The snapshot's peer graph (for group members).
    link_weights
        ``network.link_weights(as_of, policy)``.
    bandwidth_m
        Standard deviation of the Gaussian kernel.
    """
    if bandwidth_m <= 0:
        msg = "policy [network] activity_bandwidth_m must be positive"
        raise ConfigError(msg)
    # sources: (entity code, weight, owner, via link); then one vectorised expansion
    index = places.entity_index
    codes: list[int] = []
    src_w: list[float] = []
    src_owner: list[int] = []
    src_via: list[str] = []

    def add(node: Node, weight: float, owner: int, via: str) -> None:
        code = index.get(node)
        if code is not None:
            codes.append(code)
            src_w.append(weight)
            src_owner.append(owner)
            src_via.append(via)

    for k, (node, w_entity) in enumerate(entities):
        add(node, w_entity, k, "")
        if node[0] == "group":
            for member, w_member, link_id in group_members(network, node, link_weights):
                add(member, w_entity * w_member, k, link_id)
    code_arr = np.asarray(codes, dtype=np.int64)
    ptr = places.entity_ptr
    counts = ptr[code_arr + 1] - ptr[code_arr]
    src = np.repeat(np.arange(len(code_arr)), counts)
    # row positions: each source's run entity_rows[ptr[code] : ptr[code + 1]], laid end to end
    offsets = np.cumsum(counts) - counts
    first = np.repeat(ptr[code_arr] - offsets, counts)
    rows = places.entity_rows[first + np.arange(len(src))] if len(src) else np.zeros(0, dtype=np.int64)
    keep = places.away[rows]  # never a home: see the module docstring
    rows, src = rows[keep], src[keep]
    weights = np.asarray(src_w, dtype=float)[src] * place_weights[rows]
    owner = np.asarray(src_owner, dtype=np.int64)[src]
    via = np.asarray(src_via, dtype=object)[src] if len(src) else np.zeros(0, dtype=object)
    owners = tuple(node for node, _ in entities)
    return _field([rows], [weights], [owner], [via], owners, places, "gaussian", bandwidth_m)


def site_field(
    places: PlaceIndex,
    place_weights: np.ndarray,
    *,
    exclude_rows: np.ndarray,
    factor: float,
    radius_m: float,
) -> ExposureField:
    """Every live exploitation site, at ``factor`` x its evidence weight, with a linear kernel of ``radius_m``.

    Sites in ``exclude_rows`` (already counted, e.g. as places of the young person's own
    exploiters) are left out so nothing counts twice.
    """
    if radius_m <= 0:
        msg = "policy [scoring] site_radius_m must be positive"
        raise ConfigError(msg)
    rows = places.sites[~np.isin(places.sites, exclude_rows)]
    rows = rows[place_weights[rows] > 0]
    codes, owner = np.unique(places.entity_code[rows], return_inverse=True)
    return _field(
        [rows],
        [factor * place_weights[rows]],
        [owner.astype(np.int64)],
        [np.full(len(rows), "", dtype=object)],
        tuple(places.entities[c] for c in codes),
        places,
        "triangular",
        radius_m,
    )


def _field(
    rows_parts: list[np.ndarray],
    weight_parts: list[np.ndarray],
    owner_parts: list[np.ndarray],
    via_parts: list[np.ndarray],
    owners: tuple[Node, ...],
    places: PlaceIndex,
    kernel: str,
    scale_m: float,
) -> ExposureField:
    if rows_parts:
        rows = np.concatenate(rows_parts).astype(np.int64)
        weights = np.concatenate(weight_parts).astype(float)
        owner = np.concatenate(owner_parts).astype(np.int64)
        via = np.concatenate(via_parts).astype(object)
    else:
        rows = np.zeros(0, dtype=np.int64)
        weights = np.zeros(0)
        owner = np.zeros(0, dtype=np.int64)
        via = np.zeros(0, dtype=object)
    keep = weights > 0.0
    rows, weights, owner, via = rows[keep], weights[keep], owner[keep], via[keep]
    # one entry per place: its strongest weight (ties: the stronger, earlier owner)
    order = np.lexsort((owner, -weights, rows))
    rows, weights, owner, via = rows[order], weights[order], owner[order], via[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    rows, weights, owner, via = rows[first], weights[first], owner[first], via[first]
    xy = places.xy[rows] if len(rows) else np.zeros((0, 2))
    cutoff = scale_m * (KERNEL_CUTOFF_BANDWIDTHS if kernel == "gaussian" else 1.0)
    return ExposureField(
        rows=rows,
        xy=xy,
        weights=weights,
        owner=owner,
        owners=owners,
        via=via,
        kernel=kernel,
        scale_m=float(scale_m),
        cutoff_m=float(cutoff),
        tree=cKDTree(xy) if len(rows) else None,
    )
