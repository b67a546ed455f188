"""Benchmark: one placement check (one young person, 20 candidates) on a city-sized snapshot.

Measured in one run, after the snapshot is loaded and indexed:

- **full check**: build the young person's scoring context (adversaries, exploiters, activity
  fields as KD-trees) and rank 20 candidates;
- **hot path**: rank 20 candidates with a context already built;
- **baseline**: the straightforward geopandas way, per candidate: buffer the point and
  ``geopandas.sjoin`` it with the incident locations, the adversaries' places, the
  exploiters' places and the exploitation sites, then sum the kernels over the joined rows.
  It reuses the same adversary weights, so it does strictly less work than the full check.

The two methods are checked to agree before anything is timed. By default the data are the
``city`` synthetic city (``geo_risk.synth``: 100,000 incidents over 24 months, 5,000 people,
20,000 links), generated and read through the real importers, and the young person is the
city's first placement case with its candidate postcodes (topped up to 20 with other
postcodes). ``--source random`` draws a comparable random city here instead;
``--child heaviest`` picks the child with the most adversary places, with half the
candidates near them. Target: full check under 50 ms.

Run: ``python bench/placement.py [--city-dir DIR] [--source synth|random] [--child case|heaviest]``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points as make_points

from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.scoring import Candidate, ScoringSnapshot, fit_area_surface, rank_placements
from geo_risk.scoring.area import address_reference, data_coverage
from geo_risk.synth._spec import POLICE_UK_CATEGORY_SHARES

AS_OF = pd.Timestamp("2026-11-01")
ORIGIN = (392_000.0, 205_000.0)
WIDTH, HEIGHT = 17_000.0, 15_000.0
# police.uk category shares measured from the shared Avon & Somerset months
CATEGORIES = POLICE_UK_CATEGORY_SHARES


def random_city(seed: int) -> dict[str, pd.DataFrame]:
    """Data-contract frames of a random city the size of the synthetic ``city``."""
    rng = np.random.default_rng(seed)
    x0, y0 = ORIGIN

    def uniform(n):
        return np.column_stack([x0 + rng.uniform(0, WIDTH, n), y0 + rng.uniform(0, HEIGHT, n)])

    # incidents: 60 % around 70 hotspots, 40 % background, over 24 months
    n_inc = 100_000
    hot = uniform(70)
    k = int(n_inc * 0.6)
    xy = np.vstack([hot[rng.integers(0, 70, k)] + rng.normal(0, 250, (k, 2)), uniform(n_inc - k)])
    xy = np.round(xy / 20) * 20  # snap points, as police.uk
    cats = rng.choice(list(CATEGORIES), size=n_inc, p=np.array(list(CATEGORIES.values())) / sum(CATEGORIES.values()))
    days = rng.uniform(1, 730, n_inc)
    occurred = (AS_OF - pd.to_timedelta(days, unit="D")).to_period("M").to_timestamp()
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": np.arange(n_inc),
            "external_id": [None] * n_inc,
            "category": cats,
            "source": "synthetic police",
            "source_type": "police",
            "occurred_at": occurred.astype("datetime64[ns]"),
            "has_time": False,
            "precision": "snap_point",
        },
        geometry=make_points(xy),
        crs=27700,
    )

    # people and groups
    n_people, n_groups = 5_000, 40
    people = pd.DataFrame(
        {
            "pseudonym": [f"YP-{i:05d}" for i in range(n_people)],
            "is_child": rng.random(n_people) < 0.8,
            "birth_month": None,
            "cce_concern": rng.random(n_people) < 0.1,
            "cse_concern": rng.random(n_people) < 0.05,
            "looked_after": rng.random(n_people) < 0.05,
            "sex": rng.choice(["female", "male"], n_people),
            "ethnicity": rng.choice(["a", "b", "c", "d"], n_people),
            "religion": rng.choice(["x", "y", "z"], n_people),
        }
    )
    groups = pd.DataFrame(
        {"code": [f"G{i:02d}" for i in range(n_groups)], "label": [f"peer group {i}" for i in range(n_groups)]}
    )
    territory = uniform(n_groups)

    links = []
    member_of = rng.integers(0, n_groups, n_people)
    members = np.flatnonzero(rng.random(n_people) < 0.3)
    for p in members:
        links.append(("person", f"YP-{p:05d}", "group", f"G{member_of[p]:02d}", "member_of"))
    pairs = set()
    while len(pairs) < 30:
        a, b = sorted(rng.choice(n_groups, 2, replace=False))
        pairs.add((a, b))
    for a, b in sorted(pairs):
        links.append(("group", f"G{a:02d}", "group", f"G{b:02d}", "in_conflict_with"))
    budget = 20_000 - len(links)
    kinds = rng.choice(["associates_with", "in_conflict_with", "family", "exploits"], budget, p=[0.7, 0.12, 0.13, 0.05])
    a = rng.integers(0, n_people, budget)
    b = rng.integers(0, n_people, budget)
    for t, u, v in zip(kinds, a, b, strict=True):
        if u != v:
            links.append(("person", f"YP-{u:05d}", "person", f"YP-{v:05d}", str(t)))
    n_links = len(links)
    last = AS_OF - pd.to_timedelta(rng.uniform(0, 600, n_links), unit="D")
    link_df = pd.DataFrame(links, columns=["from_kind", "from_key", "to_kind", "to_key", "type"])
    link_df.insert(0, "link_id", [f"L{i:06d}" for i in range(n_links)])
    link_df["evidence_grade"] = rng.choice(list("ABCDE"), n_links)
    link_df["source"] = "synthetic"
    link_df["source_type"] = rng.choice(["police", "social_care", "parent_carer", "young_person"], n_links)
    link_df["first_seen"] = (last - pd.Timedelta(days=60)).astype("datetime64[ns]")
    link_df["last_seen"] = last.astype("datetime64[ns]")
    link_df["review_by"] = (last + pd.Timedelta(days=180)).astype("datetime64[ns]")
    link_df["expires_at"] = (last + pd.Timedelta(days=730)).astype("datetime64[ns]")
    link_df["status"] = np.where(rng.random(n_links) < 0.1, "expired", "live")

    # places: a home and 1-3 hangouts per person (members near their territory), 5 per group,
    # 100 exploitation sites, 2,000 incident locations
    rows = []
    for p in range(n_people):
        home = uniform(1)[0]
        rows.append(("person", f"YP-{p:05d}", "home", home))
        centre = territory[member_of[p]] if p in set(members) else home
        for _ in range(rng.integers(1, 4)):
            rows.append(("person", f"YP-{p:05d}", "hangout", centre + rng.normal(0, 400, 2)))
    for g in range(n_groups):
        for _ in range(5):
            rows.append(("group", f"G{g:02d}", "hangout", territory[g] + rng.normal(0, 300, 2)))
    for _ in range(100):
        rows.append(("person", f"YP-{rng.integers(0, n_people):05d}", "exploitation_site", uniform(1)[0]))
    for _ in range(2_000):
        rows.append(("person", f"YP-{rng.integers(0, n_people):05d}", "incident_location", uniform(1)[0]))
    n_places = len(rows)
    last = AS_OF - pd.to_timedelta(rng.uniform(0, 600, n_places), unit="D")
    places = gpd.GeoDataFrame(
        {
            "place_id": [f"P{i:06d}" for i in range(n_places)],
            "entity_kind": [r[0] for r in rows],
            "entity_key": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "evidence_grade": rng.choice(list("ABCDE"), n_places),
            "source": "synthetic",
            "source_type": "police",
            "first_seen": (last - pd.Timedelta(days=30)).astype("datetime64[ns]"),
            "last_seen": last.astype("datetime64[ns]"),
            "review_by": (last + pd.Timedelta(days=180)).astype("datetime64[ns]"),
            "expires_at": (last + pd.Timedelta(days=730)).astype("datetime64[ns]"),
            "status": "live",
        },
        geometry=make_points(np.array([r[3] for r in rows])),
        crs=27700,
    )
    return {"incidents": incidents, "people": people, "groups": groups, "links": link_df, "places": places}


def pick_child(snapshot: ScoringSnapshot, people: pd.DataFrame, policy: Policy, as_of: pd.Timestamp) -> str:
    """The child with the most adversary and exploiter places among a sample: a heavy, realistic case."""
    best, best_n = None, -1
    for p in people.loc[people["is_child"].astype(bool), "pseudonym"].head(400):
        ctx = snapshot.context(p, as_of, policy, evidence="as_confirmed")
        n = len(ctx.conflict) + len(ctx.exploitation)
        if n > best_n:
            best, best_n = p, n
    return str(best)


def synthetic_city(
    city_dir: Path, seed: int | None, n_candidates: int
) -> tuple[dict, pd.Timestamp, str, list[Candidate], int]:
    """The ``city`` synthetic city through the real importers; its first placement case, candidates and seed."""
    from geo_risk.ingest.network import read_network
    from geo_risk.ingest.police_uk import read_police_uk
    from geo_risk.ingest.postcodes import read_postcodes
    from geo_risk.synth.city import DEFAULT_SEED, generate_city

    seed = DEFAULT_SEED if seed is None else seed
    manifest_file = city_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    if manifest.get("size") == "city" and manifest.get("seed") == seed:
        as_of, cases = manifest["as_of"], manifest["demo_cases"]
    else:
        m = generate_city(city_dir, seed=seed, size="city")
        as_of, cases = m.as_of, [dataclasses.asdict(c) for c in m.demo_cases]
    network = read_network(city_dir / "network").tables
    incidents = read_police_uk(city_dir / "police_uk").gdf
    postcodes = read_postcodes(city_dir / "postcodes").gdf.set_index("postcode")
    case = next(c for c in cases if c["purpose"] == "placement")
    labels = list(case["candidate_postcodes"])
    rng = np.random.default_rng(seed)
    others = postcodes.index.difference(labels).sort_values()
    labels += list(rng.choice(others, n_candidates - len(labels), replace=False))
    candidates = [
        Candidate(str(pc), EastNorth(float(postcodes.loc[pc].geometry.x), float(postcodes.loc[pc].geometry.y)))
        for pc in labels[:n_candidates]
    ]
    frames = {"incidents": incidents, **{k: network[k] for k in ("people", "groups", "links", "places")}}
    frames["postcodes"] = postcodes.reset_index()
    return frames, pd.Timestamp(as_of), str(case["pseudonym"]), candidates, seed


def baseline(context, reference, xy: np.ndarray, policy: Policy) -> np.ndarray:
    """Per candidate: buffer + sjoin against each layer, then kernel sums (the straightforward way)."""
    from geo_risk.surface.forecast import square_mass

    h = policy.network.activity_bandwidth_m
    surface = reference.surface  # the area forecast
    locs, cols = surface._location_layers()

    def layer(xy: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"j": np.arange(len(xy))}, geometry=make_points(xy) if len(xy) else [], crs=27700)

    layers = {
        # the area forecast sums the history's locations over the candidate's square at each
        # feature scale: its own layers and square mass, so the baseline re-implements the lookup,
        # not the maths (searched once, at the widest scale's reach)
        "incidents": (layer(locs), 0.5 * surface.cell_m + 3.0 * max(surface.scales_)),
        "conflict": (layer(context.conflict.xy), 4 * h),
        "retaliation": (layer(context.retaliation.xy), 4 * h),
        "exploitation": (layer(context.exploitation.xy), 4 * h),
        "sites": (layer(context.sites.xy), policy.scoring.site_radius_m),
    }
    out = np.zeros((len(xy), 5))
    for k, (x, y) in enumerate(xy):
        point = gpd.GeoDataFrame({"candidate": [k]}, geometry=make_points([[x, y]]), crs=27700)
        for m, (name, (gdf, radius)) in enumerate(layers.items()):
            zone = point.copy()
            # a polygon buffer is inscribed in the circle: pad it, then keep exact distances <= radius
            # (the forecast's reach is a square: its corners are radius * sqrt(2) away)
            zone["geometry"] = point.buffer(radius * (1.42 if name == "incidents" else 1.01), quad_segs=16)
            hits = gpd.sjoin(gdf, zone, predicate="within")
            if hits.empty:
                continue
            dx = x - hits.geometry.x.to_numpy()
            dy = y - hits.geometry.y.to_numpy()
            d = np.hypot(dx, dy)
            keep = (np.maximum(np.abs(dx), np.abs(dy)) if name == "incidents" else d) <= radius
            d, dx, dy, j = d[keep], dx[keep], dy[keep], hits["j"].to_numpy()[keep]
            if name == "incidents":
                # square_mass is measured from the location to the square's centre
                per_scale = [square_mass(-dx, -dy, surface.cell_m, sc)[None, :] @ cols[j] for sc in surface.scales_]
                value = surface.scale_ * (surface.weights_ @ surface._features_from(per_scale))
                out[k, m] = reference.percentile_of(np.asarray(value).reshape(1))[0]
            elif name == "sites":
                out[k, m] = np.sum(context.sites.weights[j] * np.clip(1 - d / radius, 0, None))
            else:
                field = getattr(context, name)
                out[k, m] = np.sum(field.weights[j] * np.exp(-0.5 * (d / h) ** 2))
    out[:, 1] += out[:, 2]  # the retaliation window's places add to the conflict exposure
    return out[:, [0, 1, 3, 4]]


def timed_ms(fn, repeats: int) -> tuple[float, float]:
    """Median and minimum wall time in milliseconds (the minimum shows the cost on an idle machine)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["synth", "random"], default="synth",
                        help="the synthetic city through the importers (default), or a random city drawn here")
    parser.add_argument("--city-dir", type=Path, default=None,
                        help="folder for the generated city (reused when it holds one); default: a temporary folder")
    parser.add_argument("--child", choices=["case", "heaviest"], default="case",
                        help="the city's first placement case, or the child with most adversary places")
    parser.add_argument("--seed", type=int, default=None, help="default: the synthetic city's own seed, or 7")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--baseline-repeats", type=int, default=5)
    parser.add_argument("--candidates", type=int, default=20)
    args = parser.parse_args()
    policy = Policy.default()

    t0 = time.perf_counter()
    if args.source == "synth":
        with contextlib.ExitStack() as stack:
            city_dir = args.city_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            frames, as_of, child, candidates, seed = synthetic_city(city_dir, args.seed, args.candidates)
        source = f"synthetic city 'city' (seed {seed}), read with the importers"
    else:
        seed = 7 if args.seed is None else args.seed
        frames, as_of, child = random_city(seed), AS_OF, None
        candidates = None
        source = f"random city (seed {seed})"
    t_gen = time.perf_counter() - t0
    postcodes = frames.pop("postcodes", None)
    t0 = time.perf_counter()
    fitted = fit_area_surface(frames["incidents"], as_of, policy)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    # as a served snapshot does: the area the data cover, and the addresses a place is ranked among
    inc = frames["incidents"]
    coverage = data_coverage(np.column_stack([inc.geometry.x, inc.geometry.y]),
                             buffer_m=policy.scoring.coverage_buffer_m)
    if postcodes is None:  # the random city: postcode centres drawn over its extent
        x0, y0, x1, y1 = inc.total_bounds
        rng0 = np.random.default_rng(seed + 2)
        pc_xy = np.column_stack([rng0.uniform(x0, x1, 5000), rng0.uniform(y0, y1, 5000)])
    else:
        pc_xy = np.column_stack([postcodes.geometry.x, postcodes.geometry.y])
    surface = address_reference(fitted, pc_xy, coverage)
    snapshot = ScoringSnapshot.from_frames(**frames, surface=surface, coverage=coverage)
    t_index = time.perf_counter() - t0
    if child is None or args.child == "heaviest":
        child = pick_child(snapshot, frames["people"], policy, as_of)
    context = snapshot.context(child, as_of, policy, evidence="as_confirmed")

    rng = np.random.default_rng(seed + 1)
    if candidates is None or args.child == "heaviest":
        x0, y0, x1, y1 = frames["incidents"].total_bounds
        xy = np.column_stack([rng.uniform(x0, x1, args.candidates), rng.uniform(y0, y1, args.candidates)])
        # half the candidates near the young person's adversaries' places: the case that matters
        if len(context.conflict):
            near = context.conflict.xy[rng.integers(0, len(context.conflict), args.candidates // 2)]
            xy[: args.candidates // 2] = near + rng.normal(0, 200, near.shape)
        candidates = [Candidate(f"c{i}", EastNorth(float(x), float(y))) for i, (x, y) in enumerate(xy)]
    xy = np.array([[c.point.easting, c.point.northing] for c in candidates])

    # the two methods agree before anything is timed
    ranked = rank_placements(child, candidates, as_of, policy, context=context)
    by_label = {c.label: c.assessment for c in ranked.candidates}
    names = ("area_intensity", "conflict_exposure", "exploitation_exposure", "exploitation_site_proximity")
    ours = np.array([[by_label[c.label].factor(n).raw for n in names] for c in candidates])
    base = baseline(context, surface, xy, policy)
    np.testing.assert_allclose(ours, base, rtol=1e-9, atol=1e-9)

    full = timed_ms(
        lambda: rank_placements(child, candidates, as_of, policy,
                                context=snapshot.context(child, as_of, policy, evidence="as_confirmed")),
        args.repeats,
    )
    hot = timed_ms(lambda: rank_placements(child, candidates, as_of, policy, context=context), args.repeats)
    context_only = timed_ms(lambda: snapshot.context(child, as_of, policy, evidence="as_confirmed"), args.repeats)
    fields_only = timed_ms(
        lambda: [f.evaluate(xy) for f in (context.conflict, context.exploitation, context.sites)], args.repeats
    )
    area_only = timed_ms(lambda: surface.percentile_at(xy), args.repeats)
    base_ms = timed_ms(lambda: baseline(context, surface, xy, policy), args.baseline_repeats)

    bands = pd.Series([c.assessment.band for c in ranked.candidates]).value_counts().to_dict()
    print(f"{source}: {len(frames['incidents']):,} incidents, {len(frames['people']):,} people, "
          f"{len(frames['links']):,} links, {len(frames['places']):,} places; as_of {as_of.date()}")
    print(f"setup (once per snapshot): data {t_gen:.1f} s, surface fit {t_fit * 1000:.0f} ms, "
          f"coverage, {len(surface.values):,} reference addresses, network + place index {t_index * 1000:.0f} ms")
    print(f"young person {child}: {len(context.exposure.adversaries)} adversaries, "
          f"{len(context.exposure.exploiters)} exploiters, {len(context.conflict)} adversary places, "
          f"{len(context.exploitation)} exploiter places, {len(context.sites)} other exploitation sites")
    print(f"bands of the {len(candidates)} candidates: {bands}")
    print(f"{len(candidates)} candidates; median (min) of {args.repeats} runs, baseline of {args.baseline_repeats}:")
    met = "met" if full[0] < 50 else "NOT met"
    rows = [
        ("full check (context + rank)", full, f"   target < 50 ms (median): {met}"),
        ("context build only", context_only, ""),
        ("rank with a prebuilt context", hot, ""),
        ("  of which exposure fields", fields_only, ""),
        ("  of which area percentiles", area_only, ""),
        ("baseline geopandas buffer + sjoin", base_ms, ""),
    ]
    for label, (med, low), note in rows:
        print(f"  {label:<36}{med:9.2f} ms ({low:.2f}){note}")
    print(f"  {'ratio baseline / full check':<36}{base_ms[0] / full[0]:9.1f} x ({base_ms[1] / full[1]:.1f})")
    print(f"  {'ratio baseline / prebuilt context':<36}{base_ms[0] / hot[0]:9.1f} x ({base_ms[1] / hot[1]:.1f})")


if __name__ == "__main__":
    main()
