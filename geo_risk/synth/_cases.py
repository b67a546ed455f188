"""Demo cases: young people with an open placement or route referral.

Each case is chosen so that the check has something to find: a placement case's
candidate addresses include some close to a rival group's hangouts and some far from
any; a route case's walk from home to school passes near a rival group's hangout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_risk.contract import live_mask
from geo_risk.synth._areas import Postcodes, Schools
from geo_risk.synth._peers import FLARING_DAYS, Peers
from geo_risk.synth._spec import AS_OF
from geo_risk.synth._world import World

REFERRAL_DAYS = 90


@dataclass(frozen=True)
class DemoCase:
    """One young person with an open referral.

    Attributes
    ----------
    case_id
        ``"CASE-01"`` ...
    pseudonym
        The young person (in ``people.csv``).
    purpose
        ``"placement"`` (housing check over ``candidate_postcodes``) or ``"route"``
        (walk from ``home_postcode`` to school ``school_urn``).
    home_postcode
        Postcode of the current home (``""`` if not relevant).
    school_urn
        URN of the school (route cases; ``""`` otherwise).
    candidate_postcodes
        Candidate addresses' postcodes (placement cases; empty otherwise).
    referral_expires_at
        ISO date the referral lapses.
    """

    case_id: str
    pseudonym: str
    purpose: str
    home_postcode: str
    school_urn: str
    candidate_postcodes: tuple[str, ...]
    referral_expires_at: str


def _rival_hangouts_fn(peers: Peers, *, since: np.datetime64 | None = None) -> Callable[[int], np.ndarray]:
    """A function: person index -> hangout points of the live rivals of the person's groups.

    With ``since``, only rivalries with evidence on or after that day (flaring ones) count.
    """
    links = peers.links
    live = live_mask(pd.DataFrame(links), AS_OF)
    mem = (links["type"] == "member_of") & live
    groups_of: dict[str, set[str]] = {}
    for a, b in zip(links["from_key"][mem].tolist(), links["to_key"][mem].tolist(), strict=True):
        groups_of.setdefault(a, set()).add(b)
    conf = (
        (links["type"] == "in_conflict_with") & live & (links["from_kind"] == "group") & (links["to_kind"] == "group")
    )
    if since is not None:
        conf &= links["last_seen"] >= since
    rivals_of: dict[str, set[str]] = {}
    for a, b in zip(links["from_key"][conf].tolist(), links["to_key"][conf].tolist(), strict=True):
        rivals_of.setdefault(a, set()).add(b)
        rivals_of.setdefault(b, set()).add(a)
    pl = peers.places
    hang = (np.asarray(pl["kind"]) == "hangout") & live_mask(pd.DataFrame(pl), AS_OF)
    hang_xy: dict[str, list[tuple[float, float]]] = {}
    for k, x, y in zip(pl["entity_key"][hang].tolist(), pl["x"][hang].tolist(), pl["y"][hang].tolist(), strict=True):
        hang_xy.setdefault(k, []).append((x, y))
    pseud = peers.people["pseudonym"]

    def rival_hangouts(child: int) -> np.ndarray:
        rivals: set[str] = set()
        for g in groups_of.get(str(pseud[child]), ()):
            rivals |= rivals_of.get(g, set())
        pts = [p for r in sorted(rivals) for p in hang_xy.get(r, [])]
        return np.asarray(pts, dtype=float).reshape(-1, 2)

    return rival_hangouts


CANDIDATE_SPACING_M = 200.0  # the default policy's probing.min_spacing_m: every candidate can be checked


def _spaced(xy: np.ndarray, wanted: np.ndarray, pool: np.ndarray, kept: np.ndarray | None = None) -> np.ndarray:
    """``kept`` then ``wanted``, each postcode at least :data:`CANDIDATE_SPACING_M` from those before it; a
    wanted one too close to them is replaced by the first of ``pool`` that is far enough (or dropped)."""
    out = [int(i) for i in (kept if kept is not None else [])]

    def fits(i: int) -> bool:
        return i not in out and all(np.hypot(*(xy[i] - xy[j])) >= CANDIDATE_SPACING_M for j in out)

    for i in (int(i) for i in wanted):
        pick = i if fits(i) else next((int(j) for j in pool if fits(int(j))), None)
        if pick is not None:
            out.append(pick)
    return np.asarray(out, dtype=np.int64)


def _dist_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    proj = a + t[:, None] * ab
    return np.hypot(*(p - proj).T)


def make_cases(
    world: World, peers: Peers, postcodes: Postcodes, schools: Schools, rng: np.random.Generator
) -> tuple[DemoCase, ...]:
    """Pick the demo children and their candidate addresses or school."""
    spec = world.spec
    people = peers.people
    child = np.flatnonzero(people["is_child"])
    expires = (np.datetime64(AS_OF.isoformat(), "D") + np.timedelta64(REFERRAL_DAYS, "D")).astype(str)
    order = rng.permutation(child)
    rival_hangouts = _rival_hangouts_fn(peers)
    flaring_since = np.datetime64(AS_OF.isoformat(), "D") - np.timedelta64(FLARING_DAYS, "D")
    flaring_hangouts = _rival_hangouts_fn(peers, since=flaring_since)
    candidates = [(c, h) for c in order.tolist()[:400] if len(h := rival_hangouts(c))]
    # children whose groups' rivalries are flaring now first: their checks have most to find
    candidates.sort(key=lambda ch: len(flaring_hangouts(ch[0])) == 0)
    cases: list[DemoCase] = []
    used: set[int] = set()
    pc_xy = postcodes.xy
    # Placement cases: 7 candidate postcodes, 2-3 near rival hangouts, the rest away from them.
    for c, hang in candidates:
        if sum(k.purpose == "placement" for k in cases) >= spec.placement_cases:
            break
        d = np.min(np.hypot(pc_xy[:, None, 0] - hang[None, :, 0], pc_xy[:, None, 1] - hang[None, :, 1]), axis=1)
        near = np.flatnonzero(d < 250.0)
        far = np.flatnonzero(d > 1200.0)
        if len(near) < 3 or len(far) < 5:
            continue
        n_near = 2 + int(rng.integers(2))
        picks = _spaced(pc_xy, rng.choice(near, n_near, replace=False), near[np.argsort(d[near], kind="stable")])
        picks = _spaced(pc_xy, rng.choice(far, 7 - n_near, replace=False), far, picks)
        if len(picks) < 7:
            continue
        picks = picks[rng.permutation(len(picks))]
        home = postcodes.code[postcodes.nearest(peers.home_xy[c])[0]]
        used.add(c)
        cases.append(
            DemoCase(
                "",
                str(people["pseudonym"][c]),
                "placement",
                str(home),
                "",
                tuple(str(p) for p in postcodes.code[picks]),
                str(expires),
            )
        )
    # Route cases: a secondary school 0.8-3 km away whose straight path passes a rival hangout.
    sec = np.flatnonzero(np.isin(schools.phase, ["Secondary", "All-through"]))
    best: list[tuple[float, int, int]] = []
    for c, hang in candidates:
        if c in used:
            continue
        home = peers.home_xy[c]
        dist = np.hypot(*(schools.xy[sec] - home).T)
        ok = sec[(dist > 800.0) & (dist < 3000.0)]
        for s in ok.tolist():
            gap = float(_dist_to_segment(hang, home, schools.xy[s]).min())
            best.append((gap, c, s))
    best.sort()
    for gap, c, s in best:
        if sum(k.purpose == "route" for k in cases) >= spec.route_cases:
            break
        if c in used or gap > 400.0:
            continue
        used.add(c)
        home = postcodes.code[postcodes.nearest(peers.home_xy[c])[0]]
        cases.append(
            DemoCase("", str(people["pseudonym"][c]), "route", str(home), str(schools.urn[s]), (), str(expires))
        )
    cases.sort(key=lambda k: (k.purpose, k.pseudonym))
    return tuple(
        DemoCase(
            f"CASE-{i + 1:02d}",
            k.pseudonym,
            k.purpose,
            k.home_postcode,
            k.school_urn,
            k.candidate_postcodes,
            k.referral_expires_at,
        )
        for i, k in enumerate(cases)
    )
