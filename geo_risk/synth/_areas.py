"""Residents, statistical areas (OA -> LSOA -> MSOA, wards, the LAD), postcodes and schools.

Residents are points along the residential streets, denser where the world's density
is higher. Output-area-like cells are the Voronoi cells of a sample of residents;
LSOAs (about 1,500 residents) are groups of those cells, so their boundaries are
irregular, and MSOAs and wards are groups of LSOAs. A point's LSOA is the LSOA of its
nearest cell seed, which is exactly the polygon it falls in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo_risk.synth import _names
from geo_risk.synth._spec import (
    CITY_LABEL,
    CITY_NAME,
    LABEL,
    LAD_PREFIX,
    LSOA_PREFIX,
    MSOA_PREFIX,
    POSTCODE_AREA,
    URN_START,
    WARD_PREFIX,
)
from geo_risk.synth._streets import Streets
from geo_risk.synth._world import World

RESIDENTS_PER_OA = 300
RESIDENTS_PER_LSOA = 1_500
LSOAS_PER_MSOA = 5
LSOAS_PER_WARD = 7
RESIDENTS_PER_POSTCODE = 40
#: Letters used in the unit part of a postcode (never C, I, K, M, O, V).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Areas:
    """Statistical and administrative areas of the city (EPSG:27700 geometry).

    Attributes
    ----------
    residents
        Resident points, shape ``(population, 2)``.
    seeds, seed_lsoa
        Cell seeds and the LSOA index of each: a point's LSOA is its nearest seed's.
    lsoa_code, lsoa_name, lsoa_geom, lsoa_msoa, lsoa_ward, lsoa_pop
        One entry per LSOA.
    msoa_code, msoa_name, msoa_geom
        One entry per MSOA.
    ward_code, ward_name, ward_geom
        One entry per ward.
    lad_code, lad_name, lad_geom
        The one local authority.
    """

    residents: np.ndarray
    seeds: np.ndarray
    seed_lsoa: np.ndarray
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    lsoa_geom: np.ndarray
    lsoa_msoa: np.ndarray
    lsoa_ward: np.ndarray
    lsoa_pop: np.ndarray
    msoa_code: np.ndarray
    msoa_name: np.ndarray
    msoa_geom: np.ndarray
    ward_code: np.ndarray
    ward_name: np.ndarray
    ward_geom: np.ndarray
    lad_code: str
    lad_name: str
    lad_geom: shapely.Geometry
    seed_tree: cKDTree

    def lsoa_of(self, xy: np.ndarray) -> np.ndarray:
        """LSOA index of each point of ``xy`` (shape ``(n, 2)``)."""
        _, j = self.seed_tree.query(np.asarray(xy, dtype=float).reshape(-1, 2))
        return self.seed_lsoa[j]


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iters: int = 12) -> np.ndarray:
    """Cluster labels of ``points`` into ``k`` groups (Lloyd's algorithm, seeded from ``rng``)."""
    k = max(1, min(k, len(points)))
    centres = points[rng.choice(len(points), k, replace=False)]
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iters):
        _, labels = cKDTree(centres).query(points)
        counts = np.bincount(labels, minlength=k)
        sx = np.bincount(labels, weights=points[:, 0], minlength=k)
        sy = np.bincount(labels, weights=points[:, 1], minlength=k)
        ok = counts > 0
        centres[ok] = np.column_stack([sx[ok] / counts[ok], sy[ok] / counts[ok]])
    _, labels = cKDTree(centres).query(points)
    # Renumber: drop empty clusters, keep the order of the centres.
    used = np.unique(labels)
    remap = np.full(k, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return remap[labels]


def balanced_partition(
    points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator, iters: int = 60
) -> np.ndarray:
    """Labels grouping weighted ``points`` into ``k`` compact groups of about equal total weight.

    Starts from k-means and then shifts each group's additive distance bias (a power
    diagram) towards the target weight.
    """
    lab = kmeans(points, k, rng)
    k = int(lab.max()) + 1
    target = weights.sum() / k
    bias = np.zeros(k)
    for _ in range(iters):
        tot = np.bincount(lab, weights=weights, minlength=k)
        cen = np.column_stack(
            [np.bincount(lab, weights=weights * points[:, i], minlength=k) / np.maximum(tot, 1e-9) for i in (0, 1)]
        )
        d2 = ((points[:, None, :] - cen[None, :, :]) ** 2).sum(axis=2)
        scale = np.median(d2.min(axis=1)) + 1.0
        bias += 0.3 * scale * (target - tot) / target
        lab = np.argmin(d2 - bias[None, :], axis=1)
    used = np.unique(lab)
    remap = np.full(k, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return remap[lab]


def place_residents(world: World, streets: Streets, rng: np.random.Generator) -> np.ndarray:
    """Resident points beside the residential streets, as many as the size's population."""
    target = world.spec.population
    road = np.isin(streets.highway, ["residential", "tertiary", "secondary", "primary", "service"])
    idx = np.flatnonzero(road & ~streets.bridge)
    a, b = streets.xy[streets.u[idx]], streets.xy[streets.v[idx]]
    mid = 0.5 * (a + b)
    length = np.hypot(*(b - a).T)
    weight = length * world.density(mid[:, 0], mid[:, 1]) ** 1.3
    weight = weight / weight.sum()
    out = np.empty((0, 2))
    while len(out) < target:
        n = int((target - len(out)) * 1.15) + 16
        e = rng.choice(len(idx), n, p=weight)
        t = rng.uniform(0.05, 0.95, n)[:, None]
        d = (b[e] - a[e]) / np.maximum(length[e], 1e-9)[:, None]
        normal = np.column_stack([-d[:, 1], d[:, 0]]) * rng.choice([-1.0, 1.0], n)[:, None]
        pts = a[e] * (1 - t) + b[e] * t + normal * rng.uniform(8.0, 22.0, n)[:, None]
        ok = world.inside(pts[:, 0], pts[:, 1]) & (
            world.river_distance(pts[:, 0], pts[:, 1]) > world.river_width * 0.5 + 5.0
        )
        out = np.vstack([out, pts[ok]])
    return np.round(out[:target], 1)


def _voronoi_cells(seeds: np.ndarray, outline: shapely.Geometry) -> np.ndarray:
    """Voronoi cells of ``seeds`` (in seed order) clipped to ``outline``."""
    env = shapely.buffer(outline, 2_000.0).envelope
    regions = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=env, ordered=True)
    cells = np.asarray(shapely.get_parts(regions))
    return shapely.intersection(cells, outline)


def make_areas(world: World, streets: Streets, rng: np.random.Generator) -> Areas:
    """Draw residents and group them into OAs, LSOAs, MSOAs, wards and the LAD."""
    residents = place_residents(world, streets, rng)
    n_oa = max(8, round(len(residents) / RESIDENTS_PER_OA))
    # Output-area-like cells: k-means centres of the residents (about 300 residents each).
    sub = residents[rng.choice(len(residents), min(len(residents), 100_000), replace=False)]
    lab = kmeans(sub, n_oa, rng, iters=8)
    k = int(lab.max()) + 1
    cnt = np.bincount(lab, minlength=k)
    seeds = np.column_stack([np.bincount(lab, weights=sub[:, i], minlength=k) / cnt for i in (0, 1)])
    seeds = np.round(seeds, 1)
    seeds = seeds[np.lexsort((seeds[:, 0], -seeds[:, 1]))]
    # Residents per seed cell, then LSOAs as population-balanced clusters of cells.
    tree = cKDTree(seeds)
    _, res_seed = tree.query(residents)
    n_lsoa = max(4, round(len(residents) / RESIDENTS_PER_LSOA))
    seed_pop = np.bincount(res_seed, minlength=len(seeds)).astype(float)
    seed_group = balanced_partition(seeds, seed_pop, n_lsoa, rng)
    # Renumber LSOAs densely in the order seeds were sorted (north to south).
    _, first = np.unique(seed_group, return_index=True)
    order = np.argsort(first)
    remap = np.empty(int(seed_group.max()) + 1, dtype=np.int64)
    remap[np.unique(seed_group)[order]] = np.arange(len(order))
    seed_lsoa = remap[seed_group]
    n_lsoa = int(seed_lsoa.max()) + 1
    lsoa_pop = np.bincount(seed_lsoa[res_seed], minlength=n_lsoa)

    cells = _voronoi_cells(seeds, world.outline)
    lsoa_geom = np.array([shapely.coverage_union_all(cells[seed_lsoa == i]) for i in range(n_lsoa)], dtype=object)
    lsoa_geom = shapely.set_precision(lsoa_geom, 0.01)
    cent = shapely.get_coordinates(shapely.point_on_surface(lsoa_geom))

    # MSOAs: clusters of about five LSOAs, numbered north to south as ONS numbers them.
    n_msoa = max(2, round(n_lsoa / LSOAS_PER_MSOA))
    lsoa_msoa = kmeans(cent, n_msoa, rng)
    n_msoa = int(lsoa_msoa.max()) + 1
    m_y = np.array([cent[lsoa_msoa == i, 1].mean() for i in range(n_msoa)])
    m_x = np.array([cent[lsoa_msoa == i, 0].mean() for i in range(n_msoa)])
    m_rank = np.empty(n_msoa, dtype=np.int64)
    m_rank[np.lexsort((m_x, -m_y))] = np.arange(n_msoa)
    lsoa_msoa = m_rank[lsoa_msoa]
    msoa_geom = np.array([shapely.coverage_union_all(lsoa_geom[lsoa_msoa == i]) for i in range(n_msoa)], dtype=object)
    msoa_name = np.array([f"{CITY_NAME} {i + 1:03d} {LABEL}" for i in range(n_msoa)], dtype=object)
    msoa_code = np.array([f"{MSOA_PREFIX}{i + 1:06d}" for i in range(n_msoa)], dtype=object)

    # LSOA names: MSOA number plus a letter, west to east within the MSOA; codes in name order.
    letters = np.empty(n_lsoa, dtype=object)
    for i in range(n_msoa):
        members = np.flatnonzero(lsoa_msoa == i)
        members = members[np.argsort(cent[members, 0], kind="stable")]
        for j, m in enumerate(members):
            letters[m] = chr(ord("A") + j)
    base_names = np.array([f"{CITY_NAME} {lsoa_msoa[i] + 1:03d}{letters[i]}" for i in range(n_lsoa)], dtype=object)
    name_order = np.argsort(base_names, kind="stable")
    # Put everything in name order so LSOA index i has code X01..(i+1).
    perm = name_order
    inv = np.empty(n_lsoa, dtype=np.int64)
    inv[perm] = np.arange(n_lsoa)
    lsoa_geom = lsoa_geom[perm]
    lsoa_msoa = lsoa_msoa[perm]
    lsoa_pop = lsoa_pop[perm]
    cent = cent[perm]
    seed_lsoa = inv[seed_lsoa]
    lsoa_name = np.array([f"{n} {LABEL}" for n in base_names[perm]], dtype=object)
    lsoa_code = np.array([f"{LSOA_PREFIX}{i + 1:06d}" for i in range(n_lsoa)], dtype=object)

    # Wards: clusters of about seven LSOAs, named from the list, coded in name order.
    n_ward = max(2, round(n_lsoa / LSOAS_PER_WARD))
    lsoa_ward = kmeans(cent, n_ward, rng)
    n_ward = int(lsoa_ward.max()) + 1
    stems = np.asarray(_names.WARD_STEMS, dtype=object)[rng.choice(len(_names.WARD_STEMS), n_ward, replace=False)]
    w_order = np.argsort(stems, kind="stable")
    w_rank = np.empty(n_ward, dtype=np.int64)
    w_rank[w_order] = np.arange(n_ward)
    lsoa_ward = w_rank[lsoa_ward]
    stems = stems[w_order]
    ward_geom = np.array([shapely.coverage_union_all(lsoa_geom[lsoa_ward == i]) for i in range(n_ward)], dtype=object)
    ward_name = np.array([f"{s} {LABEL}" for s in stems], dtype=object)
    ward_code = np.array([f"{WARD_PREFIX}{i + 1:06d}" for i in range(n_ward)], dtype=object)

    lad_geom = shapely.coverage_union_all(lsoa_geom)
    return Areas(
        residents=residents,
        seeds=seeds,
        seed_lsoa=seed_lsoa,
        lsoa_code=lsoa_code,
        lsoa_name=lsoa_name,
        lsoa_geom=lsoa_geom,
        lsoa_msoa=lsoa_msoa,
        lsoa_ward=lsoa_ward,
        lsoa_pop=lsoa_pop,
        msoa_code=msoa_code,
        msoa_name=msoa_name,
        msoa_geom=msoa_geom,
        ward_code=ward_code,
        ward_name=ward_name,
        ward_geom=ward_geom,
        lad_code=f"{LAD_PREFIX}000001",
        lad_name=CITY_LABEL,
        lad_geom=lad_geom,
        seed_tree=tree,
    )


@dataclass(frozen=True)
class Postcodes:
    """Postcode unit centres (Code-Point Open style)."""

    code: np.ndarray
    xy: np.ndarray
    lsoa: np.ndarray
    residents: np.ndarray

    def nearest(self, xy: np.ndarray) -> np.ndarray:
        """Index of the nearest postcode to each point."""
        _, j = cKDTree(self.xy).query(np.asarray(xy, dtype=float).reshape(-1, 2))
        return j


def make_postcodes(world: World, areas: Areas, rng: np.random.Generator) -> Postcodes:
    """Group residents into postcode units of about 40 and code them ``ZZ<district> <sector><unit>``."""
    res = areas.residents
    n_pc = max(20, round(len(res) / RESIDENTS_PER_POSTCODE))
    seeds = res[rng.choice(len(res), n_pc, replace=False)]
    _, lab = cKDTree(seeds).query(res)
    counts = np.bincount(lab, minlength=n_pc)
    ok = counts > 0
    mean = np.column_stack([np.bincount(lab, weights=res[:, i], minlength=n_pc)[ok] / counts[ok] for i in (0, 1)])
    # Code-Point places a unit at the address nearest the mean of its addresses.
    _, near = cKDTree(res).query(mean)
    xy = np.round(res[near]).astype(np.int64)
    xy, uniq = np.unique(xy, axis=0, return_index=True)
    members = counts[ok][uniq]
    # Districts: about 450 units each, numbered outwards from the centre.
    n_dist = max(2, round(len(xy) / 450))
    dist_lab = kmeans(xy.astype(float), n_dist, rng)
    n_dist = int(dist_lab.max()) + 1
    cx, cy = world.centre
    d_cent = np.array(
        [np.hypot(xy[dist_lab == i, 0].mean() - cx, xy[dist_lab == i, 1].mean() - cy) for i in range(n_dist)]
    )
    d_rank = np.empty(n_dist, dtype=np.int64)
    d_rank[np.argsort(d_cent, kind="stable")] = np.arange(n_dist)
    dist_lab = d_rank[dist_lab]
    codes = np.empty(len(xy), dtype=object)
    for d in range(n_dist):
        idx = np.flatnonzero(dist_lab == d)
        n_sec = min(10, max(1, int(np.ceil(len(idx) / 300))))
        angle = rng.uniform(0, np.pi)
        proj = xy[idx, 0] * np.cos(angle) + xy[idx, 1] * np.sin(angle)
        idx = idx[np.argsort(proj, kind="stable")]
        for s, chunk in enumerate(np.array_split(idx, n_sec)):
            chunk = chunk[np.lexsort((xy[chunk, 0], -xy[chunk, 1]))]
            sector = (s + 1) % 10
            for u, i in enumerate(chunk):
                unit = UNIT_LETTERS[u // len(UNIT_LETTERS)] + UNIT_LETTERS[u % len(UNIT_LETTERS)]
                codes[i] = f"{POSTCODE_AREA}{d + 1} {sector}{unit}"
    order = np.argsort(_postcode_sort_key(codes), kind="stable")
    xy = xy[order]
    return Postcodes(code=codes[order], xy=xy.astype(float), lsoa=areas.lsoa_of(xy), residents=members[order])


def _postcode_sort_key(codes: np.ndarray) -> np.ndarray:
    """Sort keys so ZZ2 comes before ZZ10 (as Code-Point files are ordered)."""
    keys = []
    for c in codes:
        out, inw = c.split(" ")
        keys.append(f"{int(out[len(POSTCODE_AREA) :]):03d} {inw}")
    return np.asarray(keys, dtype=object)


@dataclass(frozen=True)
class Schools:
    """Schools with GIAS-style attributes."""

    urn: np.ndarray
    name: np.ndarray
    phase: np.ndarray  # GIAS PhaseOfEducation (name)
    kind: np.ndarray  # GIAS TypeOfEstablishment (name)
    low_age: np.ndarray
    high_age: np.ndarray
    xy: np.ndarray
    postcode: np.ndarray
    street: np.ndarray


_PHASE_MIX = {
    # phase, type of establishment, ages, share
    "primary": ("Primary", "Community school", 4, 11, 0.78),
    "secondary": ("Secondary", "Academy converter", 11, 18, 0.15),
    "special": ("Not applicable", "Community special school", 3, 19, 0.04),
    "all-through": ("All-through", "Academy sponsor led", 4, 18, 0.015),
    "post-16": ("16 plus", "Further education", 16, 19, 0.015),
}


def make_schools(
    world: World, streets: Streets, areas: Areas, postcodes: Postcodes, rng: np.random.Generator
) -> Schools:
    """Place schools where the residents are: primaries close together, secondaries further apart."""
    n = world.spec.schools
    counts = {k: int(np.floor(v[4] * n)) for k, v in _PHASE_MIX.items()}
    counts["primary"] += n - sum(counts.values())
    if counts["special"] == 0 and n >= 10:
        counts["special"], counts["primary"] = 1, counts["primary"] - 1
    res = areas.residents
    sub = res[rng.choice(len(res), min(len(res), 40_000), replace=False)]
    road = np.isin(streets.highway, ["residential", "tertiary", "secondary", "service"])
    road_nodes = np.unique(np.r_[streets.u[road], streets.v[road]])
    node_tree = cKDTree(streets.xy[road_nodes])
    rows = []
    used_nodes: set[int] = set()
    for phase, (gias_phase, kind, lo, hi, _) in _PHASE_MIX.items():
        k = counts[phase]
        if k == 0:
            continue
        lab = kmeans(sub, k, rng)
        for c in range(int(lab.max()) + 1):
            centre = sub[lab == c].mean(axis=0)
            _, cand = node_tree.query(centre, k=8)
            node = next(
                (int(road_nodes[j]) for j in np.atleast_1d(cand) if int(road_nodes[j]) not in used_nodes),
                int(road_nodes[np.atleast_1d(cand)[0]]),
            )
            used_nodes.add(node)
            rows.append((phase, gias_phase, kind, lo, hi, streets.xy[node] + rng.normal(0, 15.0, 2)))
    # Order west to east, north to south within phase groups, then number URNs.
    xy = np.array([r[5] for r in rows])
    xy = np.round(xy).astype(np.int64)
    stems = np.asarray(_names.STEMS, dtype=object)[rng.choice(len(_names.STEMS), len(rows), replace=False)]
    names, phases, kinds, lows, highs = [], [], [], [], []
    for i, (phase, gias_phase, kind, lo, hi, _) in enumerate(rows):
        if phase == "primary":
            suffix = _names.PRIMARY_SUFFIXES[int(rng.integers(len(_names.PRIMARY_SUFFIXES)))]
        elif phase == "secondary":
            suffix = _names.SECONDARY_SUFFIXES[int(rng.integers(len(_names.SECONDARY_SUFFIXES)))]
        elif phase == "special":
            suffix = "Special School"
        elif phase == "all-through":
            suffix = "All-through Academy"
        else:
            suffix = "Sixth Form College"
        names.append(f"{stems[i]} {suffix} {LABEL}")
        phases.append(gias_phase)
        kinds.append(kind)
        lows.append(lo)
        highs.append(hi)
    pc = postcodes.code[postcodes.nearest(xy)]
    # The street a school stands on: the nearest named street's snap point.
    _, sj = cKDTree(streets.snap_xy).query(xy)
    street = streets.snap_name[sj]
    return Schools(
        urn=np.array([str(URN_START + i) for i in range(len(rows))], dtype=object),
        name=np.array(names, dtype=object),
        phase=np.array(phases, dtype=object),
        kind=np.array(kinds, dtype=object),
        low_age=np.array(lows),
        high_age=np.array(highs),
        xy=xy.astype(float),
        postcode=pc,
        street=street,
    )
