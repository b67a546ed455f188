"""The synthetic peer network: peer groups, young people, adults of concern, links and places.

Peer groups have a home turf (a centre) and hangouts near it; some pairs of groups
are rivals (nearer pairs more often): a few rivalries are flaring now, the rest are
live but quiet. Young people belong to groups, associate mostly within them, and are
in conflict with current members of rival groups (never with newer evidence than
the rivalry's latest); adults of concern exploit some of them and use exploitation sites.
Every link and place has an evidence grade, a source and source type (parent/carer and
young-person information included), dates, a review date and an expiry; some have
expired. Evidence comes on dates: what is still current was last seen days or weeks
before the data's date, not all on the day before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo_risk.contract import SOURCE_TYPES, expired_mask, status_at
from geo_risk.synth._areas import Areas
from geo_risk.synth._spec import (
    AS_OF,
    CENSUS_ETHNICITY,
    CENSUS_RELIGION,
    CITY_NAME,
    LABEL,
    N_MONTHS,
)
from geo_risk.synth._streets import Streets
from geo_risk.synth._world import World

AS_OF_D = np.datetime64(AS_OF.isoformat(), "D")
START_D = AS_OF_D - np.timedelta64(N_MONTHS * 365 // 12 + 1, "D")
#: Mean days between the latest evidence of a record that is still current and AS_OF.
EVIDENCE_GAP_DAYS = 30.0
#: Share of live rivalries flaring now (latest evidence 5 to FLARING_DAYS days before
#: AS_OF); the rest are live but quiet (latest evidence 90-330 days before, kept until
#: they expire a year after it).
FLARING_SHARE = 0.25
FLARING_DAYS = 60

GRADE_SHARES = {"A": 0.10, "B": 0.25, "C": 0.35, "D": 0.20, "E": 0.10}
SOURCE_TYPE_SHARES = {
    "police": 0.30,
    "social_care": 0.18,
    "education": 0.10,
    "youth_justice": 0.10,
    "health": 0.05,
    "housing": 0.03,
    "voluntary_sector": 0.07,
    "parent_carer": 0.08,
    "young_person": 0.06,
    "community": 0.03,
}
SOURCE_NAMES = {
    "police": f"{CITY_NAME} Police {LABEL}",
    "social_care": f"{CITY_NAME} Children's Services {LABEL}",
    "education": f"{CITY_NAME} schools {LABEL}",
    "health": f"{CITY_NAME} NHS Trust {LABEL}",
    "youth_justice": f"{CITY_NAME} Youth Justice Service {LABEL}",
    "housing": f"{CITY_NAME} Housing {LABEL}",
    "voluntary_sector": f"{CITY_NAME} Youth Project {LABEL}",
    "parent_carer": "parent/carer",
    "young_person": "young person",
    "community": f"{CITY_NAME} community safety partnership {LABEL}",
}
EVIDENCE_TEXT = {
    "member_of": "seen with the group on several occasions (synthetic record)",
    "associates_with": "seen together (synthetic record)",
    "in_conflict_with": "reported dispute between them (synthetic record)",
    "exploits": "concern of exploitation reported (synthetic record)",
    "family": "family relationship recorded (synthetic record)",
}
#: Young people known to services in this field are not a random sample of the
#: population: these shares over-represent some groups relative to the census, as
#: agency data often does, so the fairness monitor has a disparity to find.
COHORT_ETHNICITY = {
    "White": 70.0,
    "Black, Black British, Black Welsh, Caribbean or African": 12.0,
    "Mixed or Multiple ethnic groups": 8.0,
    "Asian, Asian British or Asian Welsh": 7.5,
    "Other ethnic group": 2.5,
}


@dataclass(frozen=True)
class Peers:
    """The peer network as column arrays, ready to write as the data-contract CSVs."""

    people: dict[str, np.ndarray]
    groups: dict[str, np.ndarray]
    links: dict[str, np.ndarray]
    places: dict[str, np.ndarray]
    group_xy: np.ndarray
    home_xy: np.ndarray  # per person (NaN for adults without a home place)
    rivalries: np.ndarray  # (R, 2) live group index pairs


def _choice(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = np.asarray(list(shares), dtype=object)
    p = np.asarray(list(shares.values()), dtype=float)
    return keys[rng.choice(len(keys), n, p=p / p.sum())]


def _dates(
    rng: np.random.Generator,
    n: int,
    *,
    recent_days: float,
    active_days: float,
    end: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """first_seen, last_seen, review_by, expires_at and status for ``n`` records.

    A record is first seen ``recent_days`` (on average) before ``end`` (default: AS_OF;
    a record is never seen on or after it) and lasts ``active_days`` on average. Evidence
    arrives on dates (a sighting, a report), not every day: a record still going at
    ``end`` was last seen :data:`EVIDENCE_GAP_DAYS` (on average) before it, not the day
    before.
    """
    end = np.full(n, AS_OF_D) if end is None else np.asarray(end, dtype="datetime64[D]")
    span = (end - START_D).astype(np.int64)
    back = np.minimum(rng.exponential(recent_days, n).astype(np.int64), span - 1) + 1
    first = end - back.astype("timedelta64[D]")
    dur = rng.exponential(active_days, n).astype(np.int64)
    gap = rng.exponential(EVIDENCE_GAP_DAYS, n).astype(np.int64) + 1
    last = np.minimum(first + dur.astype("timedelta64[D]"), end - gap.astype("timedelta64[D]"))
    last = np.maximum(last, first)
    review = last + np.timedelta64(90, "D")
    expires = last + np.timedelta64(365, "D")
    status = status_at(expires, AS_OF)
    return {"first_seen": first, "last_seen": last, "review_by": review, "expires_at": expires, "status": status}


def _provenance(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    st = _choice(rng, SOURCE_TYPE_SHARES, n)
    return {
        "evidence_grade": _choice(rng, GRADE_SHARES, n),
        "source_type": st,
        "source": np.array([SOURCE_NAMES[s] for s in st], dtype=object),
    }


def _spread_points(pool: np.ndarray, k: int, min_sep: float, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` points of ``pool`` at least ``min_sep`` apart (relaxing the gap if needed)."""
    order = rng.permutation(len(pool))
    sep = min_sep
    while True:
        chosen: list[int] = []
        for i in order:
            if all(np.hypot(*(pool[i] - pool[j])) >= sep for j in chosen):
                chosen.append(int(i))
                if len(chosen) == k:
                    return pool[chosen]
        sep *= 0.8


def make_peers(world: World, streets: Streets, areas: Areas, rng: np.random.Generator) -> Peers:
    """Draw the peer network of the city."""
    spec = world.spec
    n_groups, n_people, n_links = spec.groups, spec.people, spec.links
    res = areas.residents
    dens = world.density(res[:, 0], res[:, 1])

    # Groups: turf centres in residential areas, spread apart.
    pool = res[rng.choice(len(res), min(len(res), 4000), replace=False, p=dens / dens.sum())]
    sep = 0.18 * min(spec.width_m, spec.height_m) if spec.name == "small" else 900.0
    group_xy = _spread_points(pool, n_groups, sep, rng)
    group_code = np.array([f"G{i + 1:02d}" for i in range(n_groups)], dtype=object)
    group_label = np.array([f"peer group {i + 1}" for i in range(n_groups)], dtype=object)
    g_prov = _provenance(rng, n_groups)

    # Rivalries: exactly spec.rivalries live pairs, nearer pairs likelier; a few expired ones.
    ii, jj = np.triu_indices(n_groups, 1)
    d = np.hypot(*(group_xy[ii] - group_xy[jj]).T)
    w = np.exp(-d / (0.35 * min(spec.width_m, spec.height_m) if spec.name == "small" else 2500.0))
    n_old = max(1, spec.rivalries // 5)
    pick = rng.choice(len(ii), spec.rivalries + n_old, replace=False, p=w / w.sum())
    rivals = np.column_stack([ii[pick], jj[pick]])
    live_rivals, old_rivals = rivals[: spec.rivalries], rivals[spec.rivalries :]

    # People: young people (children), adults of concern, other adults (family).
    n_adult_concern = max(4, round(0.10 * n_people))
    n_adult_family = max(2, round(0.05 * n_people))
    n_child = n_people - n_adult_concern - n_adult_family
    is_child = np.r_[np.ones(n_child, dtype=bool), np.zeros(n_adult_concern + n_adult_family, dtype=bool)]
    pseud = np.array(
        [f"YP-{i + 1:04d}" for i in range(n_child)]
        + [f"AD-{i + 1:04d}" for i in range(n_adult_concern + n_adult_family)],
        dtype=object,
    )
    concern = np.r_[
        np.zeros(n_child, dtype=bool), np.ones(n_adult_concern, dtype=bool), np.zeros(n_adult_family, dtype=bool)
    ]

    # Group membership: most young people and some adults of concern; sizes vary.
    size_w = rng.pareto(1.5, n_groups) + 1.0
    member_of = np.full(n_people, -1, dtype=np.int64)
    is_member = (is_child & (rng.uniform(0, 1, n_people) < 0.65)) | (concern & (rng.uniform(0, 1, n_people) < 0.4))
    member_of[is_member] = rng.choice(n_groups, int(is_member.sum()), p=size_w / size_w.sum())

    # Homes: near the group's turf for members, anywhere for the rest.
    res_tree = cKDTree(res)
    home_guess = np.where(
        (member_of >= 0)[:, None],
        group_xy[np.maximum(member_of, 0)] + rng.normal(0, 500.0, (n_people, 2)),
        res[rng.integers(len(res), size=n_people)],
    )
    _, hj = res_tree.query(home_guess)
    home_xy = res[hj].copy()
    # Siblings share a home: pairs of young people.
    n_sib = max(2, round(0.03 * n_people))
    sib_a = rng.choice(n_child, n_sib, replace=False)
    sib_b = rng.choice(n_child, n_sib, replace=False)
    ok = sib_a != sib_b
    sib_a, sib_b = sib_a[ok], sib_b[ok]
    home_xy[sib_b] = home_xy[sib_a]
    home_lsoa = areas.lsoa_code[areas.lsoa_of(home_xy)]

    # Ages: young people 10-17, adults of concern 18-35, family adults 30-55 (at AS_OF).
    age_months = np.where(
        is_child,
        rng.integers(10 * 12, 18 * 12, n_people),
        np.where(concern, rng.integers(18 * 12, 36 * 12, n_people), rng.integers(30 * 12, 56 * 12, n_people)),
    )
    as_of_month = AS_OF.year * 12 + AS_OF.month - 1
    bm = as_of_month - age_months
    birth_month = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in bm], dtype=object)
    birth_month[~is_child & (rng.uniform(0, 1, n_people) < 0.3)] = None

    sex = np.where(
        is_child,
        np.where(rng.uniform(0, 1, n_people) < 0.72, "Male", "Female"),
        np.where(
            concern,
            np.where(rng.uniform(0, 1, n_people) < 0.85, "Male", "Female"),
            np.where(rng.uniform(0, 1, n_people) < 0.3, "Male", "Female"),
        ),
    ).astype(object)
    ethnicity = _choice(rng, COHORT_ETHNICITY, n_people)
    religion = _choice(rng, CENSUS_RELIGION, n_people)
    unknown = rng.uniform(0, 1, n_people) < 0.04
    ethnicity[unknown] = None

    # --- links ----------------------------------------------------------------------------
    link_rows: list[dict[str, np.ndarray]] = []
    used: set[tuple[str, str, str]] = set()

    def add(
        kind_from: str,
        keys_from: np.ndarray,
        kind_to: str,
        keys_to: np.ndarray,
        typ: str,
        dates: dict[str, np.ndarray],
        limit: int | None = None,
        symmetric: bool = True,
    ) -> int:
        keep = []
        for i, (a, b) in enumerate(zip(keys_from.tolist(), keys_to.tolist(), strict=True)):
            if a == b:
                continue
            key = (typ, *sorted((a, b))) if symmetric else (typ, a, b)
            if key in used:
                continue
            used.add(key)
            keep.append(i)
            if limit is not None and len(keep) >= limit:
                break
        k = np.asarray(keep, dtype=np.int64)
        if len(k) == 0:
            return 0
        prov = _provenance(rng, len(k))
        link_rows.append(
            {
                "from_kind": np.full(len(k), kind_from, dtype=object),
                "from_key": keys_from[k],
                "to_kind": np.full(len(k), kind_to, dtype=object),
                "to_key": keys_to[k],
                "type": np.full(len(k), typ, dtype=object),
                **prov,
                **{c: v[k] for c, v in dates.items()},
            }
        )
        return len(k)

    # Group rivalries (live: flaring now or quiet, all reviewed; old: expired). A rivalry's
    # latest evidence is its group-level link's last_seen; the disputes between members
    # below are its evidence, so none is newer than that.
    n_r = len(live_rivals)
    n_flaring = max(1, round(FLARING_SHARE * n_r))
    flaring = np.zeros(n_r, dtype=bool)
    flaring[rng.choice(n_r, n_flaring, replace=False)] = True
    age = np.where(flaring, rng.integers(5, FLARING_DAYS, n_r), rng.integers(90, 330, n_r))
    rivalry_last = AS_OF_D - age.astype("timedelta64[D]")
    d_live = _dates(rng, n_r, recent_days=200.0, active_days=120.0, end=rivalry_last + np.timedelta64(1, "D"))
    d_live["last_seen"] = rivalry_last
    d_live["first_seen"] = np.minimum(d_live["first_seen"], d_live["last_seen"])
    d_live["review_by"] = d_live["last_seen"] + np.timedelta64(90, "D")
    d_live["expires_at"] = d_live["last_seen"] + np.timedelta64(365, "D")
    d_live["status"] = np.full(n_r, "live", dtype=object)
    add("group", group_code[live_rivals[:, 0]], "group", group_code[live_rivals[:, 1]], "in_conflict_with", d_live)
    n_o = len(old_rivals)
    old_last = AS_OF_D - rng.integers(400, 600, n_o).astype("timedelta64[D]")
    d_old = {
        "first_seen": old_last - rng.integers(30, 120, n_o).astype("timedelta64[D]"),
        "last_seen": old_last,
        "review_by": old_last + np.timedelta64(90, "D"),
        "expires_at": old_last + np.timedelta64(365, "D"),
        "status": np.full(n_o, "expired", dtype=object),
    }
    add("group", group_code[old_rivals[:, 0]], "group", group_code[old_rivals[:, 1]], "in_conflict_with", d_old)

    # Membership.
    mem = np.flatnonzero(member_of >= 0)
    d_mem = _dates(rng, len(mem), recent_days=220.0, active_days=150.0)
    add("person", pseud[mem], "group", group_code[member_of[mem]], "member_of", d_mem, symmetric=False)
    # members whose membership is still on record (not expired)
    current = np.zeros(n_people, dtype=bool)
    current[mem[~expired_mask(pd.DataFrame(d_mem), AS_OF)]] = True

    # Exploitation: adults of concern -> young people, preferring members near them.
    adults = np.flatnonzero(concern)
    n_exp_each = rng.integers(1, 5, len(adults))
    exp_from, exp_to = [], []
    child_idx = np.flatnonzero(is_child)
    child_tree = cKDTree(home_xy[child_idx])
    for a, k in zip(adults, n_exp_each, strict=True):
        _, near = child_tree.query(home_xy[a], k=min(25, len(child_idx)))
        victims = rng.choice(child_idx[np.atleast_1d(near)], int(k), replace=False)
        exp_from.extend([a] * len(victims))
        exp_to.extend(victims.tolist())
    exp_from_a, exp_to_a = np.asarray(exp_from), np.asarray(exp_to)
    add(
        "person",
        pseud[exp_from_a],
        "person",
        pseud[exp_to_a],
        "exploits",
        _dates(rng, len(exp_from_a), recent_days=200.0, active_days=90.0),
        symmetric=False,
    )
    exploited = np.zeros(n_people, dtype=bool)
    exploited[exp_to_a] = True

    # Family: siblings, and a parent/carer-type adult for some young people.
    fam_adults = np.flatnonzero(~is_child & ~concern)
    fam_kids = rng.choice(child_idx, len(fam_adults), replace=False)
    add(
        "person",
        pseud[sib_a],
        "person",
        pseud[sib_b],
        "family",
        _dates(rng, len(sib_a), recent_days=300.0, active_days=300.0),
    )
    add(
        "person",
        pseud[fam_adults],
        "person",
        pseud[fam_kids],
        "family",
        _dates(rng, len(fam_adults), recent_days=300.0, active_days=300.0),
    )

    # Person-to-person conflict across live rivalries; then associations fill the budget.
    budget = n_links - sum(len(r["type"]) for r in link_rows)
    n_conf = int(0.2 * budget)
    rival_of: dict[int, list[int]] = {}
    for a, b in live_rivals.tolist():
        rival_of.setdefault(a, []).append(b)
        rival_of.setdefault(b, []).append(a)
    members_by_group = [np.flatnonzero(member_of == g) for g in range(n_groups)]
    rivalry_of: dict[tuple[int, int], int] = {}
    for r, (a, b) in enumerate(live_rivals.tolist()):
        rivalry_of[(a, b)] = rivalry_of[(b, a)] = r
    # Disputes across a rivalry are between its groups' members on record: a party whose
    # membership had lapsed would read as an unaffiliated individual, a conflict of its own.
    current_by_group = [np.flatnonzero((member_of == g) & current) for g in range(n_groups)]
    mem_current = np.flatnonzero(current)
    cand_from = rng.choice(mem_current, n_conf * 3) if len(mem_current) else np.zeros(0, dtype=np.int64)
    cf, ct, cr = [], [], []
    for p in cand_from.tolist():
        rivals_g = rival_of.get(int(member_of[p]))
        if not rivals_g:
            continue
        g = rivals_g[int(rng.integers(len(rivals_g)))]
        if len(current_by_group[g]) == 0:
            continue
        cf.append(p)
        ct.append(int(rng.choice(current_by_group[g])))
        cr.append(rivalry_of[(int(member_of[p]), g)])
    cf_a, ct_a = np.asarray(cf, dtype=np.int64), np.asarray(ct, dtype=np.int64)
    cr_a = np.asarray(cr, dtype=np.int64)
    add(
        "person",
        pseud[cf_a],
        "person",
        pseud[ct_a],
        "in_conflict_with",
        _dates(rng, len(cf_a), recent_days=150.0, active_days=60.0, end=rivalry_last[cr_a] + np.timedelta64(1, "D")),
        limit=n_conf,
    )
    # A few young people in conflict with a whole rival group: current members too, for the
    # same reason.
    pg_from = (
        rng.choice(mem_current, min(len(mem_current), max(3, n_groups)))
        if len(mem_current)
        else np.zeros(0, dtype=np.int64)
    )
    pg_to = []
    pg_keep = []
    pg_rivalry = []
    for p in pg_from.tolist():
        rivals_g = rival_of.get(int(member_of[p]))
        if rivals_g:
            pg_keep.append(p)
            pg_to.append(rivals_g[int(rng.integers(len(rivals_g)))])
            pg_rivalry.append(rivalry_of[(int(member_of[p]), pg_to[-1])])
    if pg_keep:
        add(
            "person",
            pseud[np.asarray(pg_keep)],
            "group",
            group_code[np.asarray(pg_to)],
            "in_conflict_with",
            _dates(
                rng,
                len(pg_keep),
                recent_days=150.0,
                active_days=60.0,
                end=rivalry_last[np.asarray(pg_rivalry)] + np.timedelta64(1, "D"),
            ),
            symmetric=False,
        )

    budget = n_links - sum(len(r["type"]) for r in link_rows)
    # Associations: mostly within a group, some across, some with non-members.
    m = budget * 4
    a_idx = rng.choice(mem, m) if len(mem) else rng.choice(child_idx, m)
    kind = rng.uniform(0, 1, m)
    same = np.array([rng.choice(members_by_group[member_of[a]]) for a in a_idx.tolist()]) if len(mem) else a_idx
    other = rng.choice(child_idx, m)
    b_idx = np.where(kind < 0.75, same, other)
    add(
        "person",
        pseud[a_idx],
        "person",
        pseud[b_idx],
        "associates_with",
        _dates(rng, m, recent_days=200.0, active_days=120.0),
        limit=budget,
    )

    links = {c: np.concatenate([r[c] for r in link_rows]) for c in link_rows[0]}
    n_l = len(links["type"])
    links["link_id"] = np.array([f"L{i + 1:06d}" for i in range(n_l)], dtype=object)
    links["evidence"] = np.array([EVIDENCE_TEXT[t] for t in links["type"]], dtype=object)
    # Make sure every source type appears (parent/carer and young person in particular).
    for j, st in enumerate(SOURCE_TYPES):
        if not (links["source_type"] == st).any() and n_l > j:
            links["source_type"][j * 7 % n_l] = st
            links["source"][j * 7 % n_l] = SOURCE_NAMES[st]

    # --- places ---------------------------------------------------------------------------
    nodes = streets.xy[np.unique(np.r_[streets.u, streets.v])]
    node_tree = cKDTree(nodes)
    pl: list[dict[str, np.ndarray]] = []

    def add_places(kind_e: str, keys: np.ndarray, kind_p: str, xy: np.ndarray, dates: dict[str, np.ndarray]) -> None:
        prov = _provenance(rng, len(keys))
        pl.append(
            {
                "entity_kind": np.full(len(keys), kind_e, dtype=object),
                "entity_key": keys,
                "kind": np.full(len(keys), kind_p, dtype=object),
                **prov,
                **dates,
                "x": np.round(xy[:, 0], 1),
                "y": np.round(xy[:, 1], 1),
            }
        )

    n_hang = rng.integers(2, 5, n_groups)
    hg = np.repeat(np.arange(n_groups), n_hang)
    guess = group_xy[hg] + rng.normal(0, 250.0, (len(hg), 2))
    _, nj = node_tree.query(guess)
    hxy = nodes[nj] + rng.normal(0, 10.0, (len(hg), 2))
    add_places("group", group_code[hg], "hangout", hxy, _dates(rng, len(hg), recent_days=150.0, active_days=100.0))
    n_site = rng.integers(1, 3, len(adults))
    sa = np.repeat(adults, n_site)
    _, rj = res_tree.query(home_xy[sa] + rng.normal(0, 400.0, (len(sa), 2)))
    add_places(
        "person", pseud[sa], "exploitation_site", res[rj], _dates(rng, len(sa), recent_days=180.0, active_days=90.0)
    )
    add_places(
        "person",
        pseud[child_idx],
        "home",
        home_xy[child_idx],
        _dates(rng, len(child_idx), recent_days=250.0, active_days=250.0),
    )
    inc_p = rng.choice(mem, max(1, len(mem) // 8), replace=False) if len(mem) else child_idx[:1]
    _, ij = node_tree.query(home_xy[inc_p] + rng.normal(0, 600.0, (len(inc_p), 2)))
    add_places(
        "person",
        pseud[inc_p],
        "incident_location",
        nodes[ij],
        _dates(rng, len(inc_p), recent_days=120.0, active_days=10.0),
    )
    places = {c: np.concatenate([r[c] for r in pl]) for c in pl[0]}
    places["place_id"] = np.array([f"P{i + 1:06d}" for i in range(len(places["kind"]))], dtype=object)
    places["evidence"] = np.full(len(places["kind"]), "recorded by a partner (synthetic record)", dtype=object)

    # Flags.
    cce = exploited | (is_child & (rng.uniform(0, 1, n_people) < 0.04))
    cse = is_child & (
        ((sex == "Female") & (rng.uniform(0, 1, n_people) < 0.15)) | (exploited & (rng.uniform(0, 1, n_people) < 0.15))
    )
    looked_after = is_child & (rng.uniform(0, 1, n_people) < np.where(exploited, 0.2, 0.06))
    p_prov = _provenance(rng, n_people)
    people = {
        "pseudonym": pseud,
        "is_child": is_child,
        "birth_month": birth_month,
        "cce_concern": cce,
        "cse_concern": cse,
        "looked_after": looked_after,
        "sex": sex,
        "ethnicity": ethnicity,
        "religion": religion,
        "home_area_code": np.where(is_child, home_lsoa, None).astype(object),
        "source": p_prov["source"],
        "source_type": p_prov["source_type"],
    }
    groups = {
        "code": group_code,
        "label": group_label,
        "source": g_prov["source"],
        "source_type": g_prov["source_type"],
    }
    home = np.where(is_child[:, None], home_xy, np.nan)
    return Peers(
        people=people, groups=groups, links=links, places=places, group_xy=group_xy, home_xy=home, rivalries=live_rivals
    )


def make_population(world: World, areas: Areas, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Children per LSOA by ethnicity and by sex, census-like, for disproportionality monitoring.

    Ethnic mix varies between areas (more diverse towards the centre) around the 2021
    census shares; the peer network's cohort (:data:`COHORT_ETHNICITY`) over-represents
    some groups against these denominators, as agency data often does.
    """
    n = len(areas.lsoa_code)
    cent = shapely_points_xy(areas.lsoa_geom)
    dens = world.density(cent[:, 0], cent[:, 1])
    children = np.round(areas.lsoa_pop * rng.uniform(0.17, 0.25, n)).astype(np.int64)
    labels = list(CENSUS_ETHNICITY)
    base = np.asarray([CENSUS_ETHNICITY[k] for k in labels]) / 100.0
    white = labels.index("White")
    rows_code, rows_dim, rows_group, rows_count = [], [], [], []
    for i in range(n):
        p = base.copy()
        other = np.arange(len(p)) != white
        p[other] *= np.exp(rng.normal(0, 0.4, other.sum())) * (0.6 + 1.4 * dens[i])
        p[white] = max(0.3, 1.0 - p[other].sum())
        counts = rng.multinomial(children[i], p / p.sum())
        female = rng.binomial(children[i], 0.488)
        for g, c in zip(labels, counts.tolist(), strict=True):
            rows_code.append(areas.lsoa_code[i])
            rows_dim.append("ethnicity")
            rows_group.append(g)
            rows_count.append(c)
        for g, c in (("Female", female), ("Male", children[i] - female)):
            rows_code.append(areas.lsoa_code[i])
            rows_dim.append("sex")
            rows_group.append(g)
            rows_count.append(int(c))
    return {
        "area_code": np.asarray(rows_code, dtype=object),
        "dimension": np.asarray(rows_dim, dtype=object),
        "group": np.asarray(rows_group, dtype=object),
        "count": np.asarray(rows_count, dtype=np.int64),
    }


def shapely_points_xy(geoms: np.ndarray) -> np.ndarray:
    """A point inside each polygon, as an ``(n, 2)`` array."""
    import shapely

    return shapely.get_coordinates(shapely.point_on_surface(geoms))
