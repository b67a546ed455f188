"""Synthetic police.uk incidents and emergency-department assault injuries.

Incidents follow police.uk's category mix, concentrate around hotspots (the night-time
centre, district shopping streets, peer-group turf), come in near-repeat bursts
(an incident is followed within weeks by others of its kind close by), vary with the
season, and are published the police.uk way: moved to the nearest snap point ("On or
near <street>" or a point of interest such as "On or near Supermarket"), month only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geo_risk.synth._areas import Areas
from geo_risk.synth._peers import Peers
from geo_risk.synth._spec import POLICE_UK_CATEGORY_SHARES, POLICE_UK_OUTCOME_SHARES, month_list
from geo_risk.synth._streets import Streets
from geo_risk.synth._world import World

CATEGORIES = np.asarray(list(POLICE_UK_CATEGORY_SHARES), dtype=object)
#: Seasonal amplitude per category (peak in July): anti-social behaviour swings most.
SEASONAL_AMPLITUDE = {
    "Anti-social behaviour": 0.30,
    "Violence and sexual offences": 0.10,
    "Public order": 0.10,
    "Criminal damage and arson": 0.08,
    "Bicycle theft": 0.35,
    "Burglary": -0.08,
}
#: Which hotspot kinds each category is drawn to: (night centre, shops, peer-group turf, estates).
HOTSPOT_AFFINITY = {
    "Violence and sexual offences": (1.0, 0.6, 1.0, 0.8),
    "Anti-social behaviour": (0.6, 0.6, 0.8, 1.0),
    "Public order": (1.0, 0.8, 0.6, 0.5),
    "Shoplifting": (0.3, 1.0, 0.0, 0.1),
    "Other theft": (0.8, 1.0, 0.1, 0.3),
    "Criminal damage and arson": (0.3, 0.3, 0.6, 1.0),
    "Vehicle crime": (0.3, 0.7, 0.2, 0.8),
    "Burglary": (0.1, 0.2, 0.3, 1.0),
    "Other crime": (0.5, 0.5, 0.5, 0.5),
    "Drugs": (0.6, 0.2, 1.0, 0.6),
    "Robbery": (0.8, 0.6, 1.0, 0.3),
    "Bicycle theft": (0.6, 1.0, 0.0, 0.4),
    "Possession of weapons": (0.6, 0.3, 1.0, 0.3),
    "Theft from the person": (1.0, 1.0, 0.1, 0.1),
}
#: Share of each category published at a point-of-interest snap point, and which kinds.
POI_SNAP = {
    "Shoplifting": (0.85, ("Supermarket", "Shopping Area")),
    "Vehicle crime": (0.35, ("Parking Area", "Petrol Station")),
    "Theft from the person": (0.45, ("Shopping Area", "Nightclub", "Bus/Coach Station")),
    "Other theft": (0.30, ("Shopping Area", "Supermarket", "Parking Area", "Hospital", "Sports/Recreation Area")),
    "Bicycle theft": (0.30, ("Parking Area", "Shopping Area", "Further/Higher Educational Building")),
    "Violence and sexual offences": (
        0.10,
        ("Nightclub", "Shopping Area", "Hospital", "Sports/Recreation Area", "Theatre/Concert Hall", "Police Station"),
    ),
    "Public order": (0.12, ("Nightclub", "Shopping Area", "Supermarket", "Hospital")),
    "Anti-social behaviour": (0.10, ("Park/Open Space", "Shopping Area", "Sports/Recreation Area")),
    "Drugs": (0.08, ("Park/Open Space", "Parking Area")),
    "Robbery": (0.10, ("Shopping Area", "Bus/Coach Station")),
    "Criminal damage and arson": (0.08, ("Parking Area", "Park/Open Space", "Supermarket")),
}
SHARE_HOTSPOT = 0.45
SHARE_REPEAT = 0.20


@dataclass(frozen=True)
class Snaps:
    """All police.uk snap points: streets then points of interest."""

    xy: np.ndarray
    label: np.ndarray  # "On or near ..."
    poi_kind: np.ndarray  # POI kind, or "" for street snap points


@dataclass(frozen=True)
class Incidents:
    """Distinct incidents (before quirks are planted)."""

    category: np.ndarray
    month: np.ndarray  # index into month_list()
    true_xy: np.ndarray
    snap: np.ndarray  # index into Snaps
    outcome: np.ndarray
    crime_id: np.ndarray  # "" for anti-social behaviour


@dataclass(frozen=True)
class Hotspots:
    xy: np.ndarray
    sigma: np.ndarray
    weight: np.ndarray
    kind: np.ndarray  # 0 night, 1 shops, 2 group turf, 3 estate


def make_hotspots(world: World, areas: Areas, peers: Peers, rng: np.random.Generator) -> Hotspots:
    """Hotspot centres: the night-time centre, district centres, peer-group turf and estates."""
    n = world.spec.hotspots
    cx, cy = world.centre
    res = areas.residents
    rows = []
    n_night = max(2, n // 12)
    for _ in range(n_night):
        rows.append((cx + rng.normal(0, 120), cy + rng.normal(0, 120), rng.uniform(60, 120), 3.0, 0))
    for dx, dy in world.districts:
        rows.append((dx + rng.normal(0, 60), dy + rng.normal(0, 60), rng.uniform(70, 140), 1.5, 1))
    rows.append((cx + rng.normal(0, 150), cy + rng.normal(0, 150), rng.uniform(100, 180), 2.0, 1))
    for gx, gy in peers.group_xy:
        rows.append((gx + rng.normal(0, 80), gy + rng.normal(0, 80), rng.uniform(90, 200), 1.2, 2))
    dens = world.density(res[:, 0], res[:, 1])
    while len(rows) < n:
        j = int(rng.choice(len(res), p=dens / dens.sum()))
        rows.append((res[j, 0], res[j, 1], rng.uniform(80, 220), 1.0, 3))
    arr = np.asarray(rows[: max(n, len(rows))], dtype=float)
    weight = arr[:, 3] * (rng.pareto(1.3, len(arr)) + 1.0)
    return Hotspots(xy=arr[:, :2], sigma=arr[:, 2], weight=weight, kind=arr[:, 4].astype(int))


def make_pois(world: World, streets: Streets, areas: Areas, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points of interest police.uk snaps to: (xy, kind)."""
    pop = world.spec.population
    cx, cy = world.centre
    res = areas.residents
    dens = world.density(res[:, 0], res[:, 1])
    centres = np.vstack([[cx, cy], world.districts])
    art = np.isin(streets.highway, ["primary", "secondary"])
    art_mid = 0.5 * (streets.xy[streets.u[art]] + streets.xy[streets.v[art]])
    xy, kind = [], []

    def put(points: np.ndarray, k: str, spread: float) -> None:
        points = np.atleast_2d(points) + rng.normal(0, spread, (len(np.atleast_2d(points)), 2))
        xy.append(points)
        kind.extend([k] * len(points))

    n_super = max(3, pop // 7000)
    put(res[rng.choice(len(res), n_super, p=dens / dens.sum())], "Supermarket", 40)
    put(centres, "Supermarket", 60)
    put(centres, "Shopping Area", 30)
    put(centres, "Parking Area", 120)
    put(res[rng.choice(len(res), max(2, pop // 20000))], "Parking Area", 30)
    put(art_mid[rng.choice(len(art_mid), max(2, pop // 25000))], "Petrol Station", 15)
    put(np.repeat([[cx, cy]], max(2, pop // 40000), axis=0), "Nightclub", 150)
    put(np.repeat([[cx, cy]], max(1, pop // 150000), axis=0), "Theatre/Concert Hall", 150)
    put(np.repeat([[cx, cy]], 1, axis=0), "Bus/Coach Station", 200)
    put(centres[rng.choice(len(centres), max(1, pop // 150000))], "Police Station", 100)
    put(res[rng.choice(len(res), max(1, pop // 200000))], "Hospital", 50)
    put(res[rng.choice(len(res), max(1, pop // 100000))], "Further/Higher Educational Building", 50)
    if len(world.parks):
        put(world.parks[:, :2], "Park/Open Space", 20)
        put(world.parks[:, :2], "Sports/Recreation Area", 60)
    else:
        put(res[rng.choice(len(res), 2)], "Park/Open Space", 20)
    pts = np.vstack(xy)
    kinds = np.asarray(kind, dtype=object)
    ok = world.inside(pts[:, 0], pts[:, 1]) & (world.river_distance(pts[:, 0], pts[:, 1]) > world.river_width)
    return np.round(pts[ok], 1), kinds[ok]


def make_snaps(streets: Streets, pois: tuple[np.ndarray, np.ndarray]) -> Snaps:
    """Street snap points then POI snap points."""
    pxy, pkind = pois
    label = np.concatenate(
        [
            np.array([f"On or near {n}" for n in streets.snap_name], dtype=object),
            np.array([f"On or near {k}" for k in pkind], dtype=object),
        ]
    )
    return Snaps(
        xy=np.vstack([np.round(streets.snap_xy, 1), pxy]),
        label=label,
        poi_kind=np.concatenate([np.full(len(streets.snap_xy), "", dtype=object), pkind]),
    )


def _seasonal_month_weights(category: str) -> np.ndarray:
    months = month_list()
    moy = np.array([m for _, m in months])  # 0-based month of year
    amp = SEASONAL_AMPLITUDE.get(category, 0.05)
    trend = np.linspace(0.97, 1.03, len(months))
    w = (1.0 + amp * np.cos(2 * np.pi * (moy - 6) / 12)) * trend
    return w / w.sum()


def make_incidents(world: World, areas: Areas, hotspots: Hotspots, snaps: Snaps, rng: np.random.Generator) -> Incidents:
    """Draw the city's distinct police.uk incidents."""
    n = world.spec.incidents
    shares = np.asarray(list(POLICE_UK_CATEGORY_SHARES.values()))
    counts = rng.multinomial(n, shares / shares.sum())
    category = np.repeat(CATEGORIES, counts)
    cat_idx = np.repeat(np.arange(len(CATEGORIES)), counts)
    month = np.empty(n, dtype=np.int64)
    start = 0
    for c, k in enumerate(counts):
        month[start : start + k] = rng.choice(len(month_list()), k, p=_seasonal_month_weights(CATEGORIES[c]))
        start += k

    comp = rng.uniform(0, 1, n)
    is_hot = comp < SHARE_HOTSPOT
    is_rep = comp >= 1.0 - SHARE_REPEAT
    is_bg = ~is_hot & ~is_rep
    xy = np.empty((n, 2))
    # Hotspots, by category affinity.
    aff = np.asarray([HOTSPOT_AFFINITY[c] for c in CATEGORIES])  # (n_cat, 4)
    for c in range(len(CATEGORIES)):
        sel = np.flatnonzero(is_hot & (cat_idx == c))
        if len(sel) == 0:
            continue
        w = hotspots.weight * aff[c, hotspots.kind]
        h = rng.choice(len(w), len(sel), p=w / w.sum())
        xy[sel] = hotspots.xy[h] + rng.normal(0, 1, (len(sel), 2)) * hotspots.sigma[h][:, None]
    # Background: where people live.
    bg = np.flatnonzero(is_bg)
    xy[bg] = areas.residents[rng.integers(len(areas.residents), size=len(bg))] + rng.normal(0, 30, (len(bg), 2))
    # Near repeats: close to an earlier incident of the same category, same or next month.
    base = ~is_rep
    last = len(month_list()) - 1
    for c in range(len(CATEGORIES)):
        sel = np.flatnonzero(is_rep & (cat_idx == c))
        parents = np.flatnonzero(base & (cat_idx == c))
        if len(sel) == 0:
            continue
        if len(parents) == 0:
            parents = np.flatnonzero(base)
        # A few parents start a burst each.
        n_par = max(1, len(sel) // 4)
        chosen = rng.choice(parents, n_par)
        par = chosen[rng.integers(n_par, size=len(sel))]
        later = rng.uniform(0, 1, len(sel)) < 0.35
        # A repeat a month after a burst in the last month would be published after the
        # data ends: it follows a burst that is not in the last month instead (clipping
        # it into the last month would pile repeats up there, a surge in the latest month).
        stuck = later & (month[par] == last)
        early = chosen[month[chosen] < last]
        if len(early):
            par[stuck] = early[rng.integers(len(early), size=int(stuck.sum()))]
        else:
            later &= ~stuck
        xy[sel] = xy[par] + rng.normal(0, 50, (len(sel), 2))
        month[sel] = month[par] + later
    # Anything that fell outside the city goes back to a resident's street.
    out = ~world.inside(xy[:, 0], xy[:, 1])
    xy[out] = areas.residents[rng.integers(len(areas.residents), size=int(out.sum()))]

    # Snap: some categories to points of interest, the rest to the nearest street snap point.
    street_idx = np.flatnonzero(snaps.poi_kind == "")
    _, near = cKDTree(snaps.xy[street_idx]).query(xy)
    snap = street_idx[near]
    for c, (p, kinds) in POI_SNAP.items():
        cand = np.flatnonzero(np.isin(snaps.poi_kind, kinds))
        if len(cand) == 0:
            continue
        sel = np.flatnonzero((category == c) & (rng.uniform(0, 1, n) < p))
        if len(sel):
            _, pj = cKDTree(snaps.xy[cand]).query(xy[sel])
            snap[sel] = cand[pj]

    out_keys = np.asarray(list(POLICE_UK_OUTCOME_SHARES), dtype=object)
    out_p = np.asarray(list(POLICE_UK_OUTCOME_SHARES.values()))
    outcome = out_keys[rng.choice(len(out_keys), n, p=out_p / out_p.sum())]
    asb = category == "Anti-social behaviour"
    outcome[asb] = ""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    crime_id = np.array([r.tobytes().hex() for r in raw], dtype=object)
    crime_id[asb] = ""
    return Incidents(category=category, month=month, true_xy=xy, snap=snap, outcome=outcome, crime_id=crime_id)


@dataclass(frozen=True)
class Injuries:
    """Emergency-department assault records (Cardiff model)."""

    record_id: np.ndarray
    date: np.ndarray  # datetime64[D]
    hour: np.ndarray
    xy: np.ndarray  # NaN where only the incident postcode is known
    postcode: np.ndarray  # "" where coordinates are given
    weapon: np.ndarray
    age_band: np.ndarray
    location_type: np.ndarray


WEAPONS = {
    "bodily force": 0.55,
    "knife or sharp object": 0.15,
    "blunt object": 0.10,
    "glass or bottle": 0.08,
    "other": 0.06,
    "not known": 0.05,
    "firearm": 0.01,
}
AGE_BANDS = {"10-14": 0.05, "15-17": 0.12, "18-24": 0.30, "25-34": 0.25, "35-44": 0.15, "45-54": 0.08, "55+": 0.05}
LOCATION_TYPES = {
    "street": 0.45,
    "pub or club": 0.20,
    "home": 0.15,
    "park": 0.06,
    "shop": 0.05,
    "transport": 0.04,
    "school": 0.02,
    "other": 0.03,
}
#: Assaults by hour of day (0-23): late evening and night heavy.
HOUR_WEIGHTS = np.array([8, 7, 6, 4, 2, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 6, 6, 7, 8, 9, 10, 10], dtype=float)
#: Monday..Sunday.
DOW_WEIGHTS = np.array([0.10, 0.10, 0.11, 0.13, 0.18, 0.23, 0.15])


def make_injuries(
    world: World,
    areas: Areas,
    hotspots: Hotspots,
    peers: Peers,
    postcodes_xy: np.ndarray,
    postcodes_code: np.ndarray,
    rng: np.random.Generator,
) -> Injuries:
    """Draw the ED assault records: night-time centre, peer-group turf, and the rest of the city."""
    n = world.spec.injuries
    months = month_list()
    first = np.datetime64(f"{months[0][0]:04d}-{months[0][1] + 1:02d}-01", "D")
    y, m = months[-1]
    last = np.datetime64(f"{y + (m + 1) // 12:04d}-{(m + 1) % 12 + 1:02d}-01", "D")
    days = np.arange(first, last, dtype="datetime64[D]")
    dow = (days.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday
    moy = (days.astype("datetime64[M]").astype(np.int64)) % 12
    w = DOW_WEIGHTS[dow] * (1.0 + 0.12 * np.cos(2 * np.pi * (moy - 6) / 12))
    date = np.sort(days[rng.choice(len(days), n, p=w / w.sum())])
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    comp = rng.uniform(0, 1, n)
    xy = np.empty((n, 2))
    night = comp < 0.45
    turf = (comp >= 0.45) & (comp < 0.8)
    rest = comp >= 0.8
    nh = np.flatnonzero(hotspots.kind == 0)
    h = rng.choice(nh, int(night.sum()))
    xy[night] = hotspots.xy[h] + rng.normal(0, 1, (len(h), 2)) * hotspots.sigma[h][:, None]
    hang = peers.places["kind"] == "hangout"
    hxy = np.column_stack([peers.places["x"][hang], peers.places["y"][hang]]).astype(float)
    j = rng.integers(len(hxy), size=int(turf.sum()))
    xy[turf] = hxy[j] + rng.normal(0, 120, (len(j), 2))
    xy[rest] = areas.residents[rng.integers(len(areas.residents), size=int(rest.sum()))]
    out = ~world.inside(xy[:, 0], xy[:, 1])
    xy[out] = areas.residents[rng.integers(len(areas.residents), size=int(out.sum()))]
    xy = np.round(xy)
    # Some departments record only the postcode where the assault happened.
    by_pc = rng.uniform(0, 1, n) < 0.15
    _, pj = cKDTree(postcodes_xy).query(xy[by_pc])
    postcode = np.full(n, "", dtype=object)
    postcode[by_pc] = postcodes_code[pj]
    xy[by_pc] = np.nan

    def pick(d: dict[str, float]) -> np.ndarray:
        k = np.asarray(list(d), dtype=object)
        p = np.asarray(list(d.values()))
        return k[rng.choice(len(k), n, p=p / p.sum())]

    return Injuries(
        record_id=np.array([f"ED-{i + 1:06d}" for i in range(n)], dtype=object),
        date=date,
        hour=hour,
        xy=xy,
        postcode=postcode,
        weapon=pick(WEAPONS),
        age_band=pick(AGE_BANDS),
        location_type=pick(LOCATION_TYPES),
    )
