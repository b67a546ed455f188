"""Demo cases: children with open referrals that have something for the checks to find."""

from __future__ import annotations

import csv

import numpy as np

from geo_risk.synth import CityManifest
from geo_risk.synth._spec import SIZES
from geo_risk.synth.city import City


def test_demo_cases_file_and_manifest_agree(small_city: CityManifest) -> None:
    with open(small_city.out_dir / "demo_cases.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["case_id"] for r in rows] == [c.case_id for c in small_city.demo_cases]
    assert [r["candidate_postcodes"] for r in rows] == [";".join(c.candidate_postcodes) for c in small_city.demo_cases]
    purposes = [c.purpose for c in small_city.demo_cases]
    assert purposes.count("placement") == SIZES["small"].placement_cases
    assert purposes.count("route") == SIZES["small"].route_cases


def test_cases_refer_to_real_records(small_city: CityManifest, small_drawn: City) -> None:
    people = set(small_drawn.peers.people["pseudonym"][small_drawn.peers.people["is_child"]])
    postcodes = set(small_drawn.postcodes.code)
    urns = set(small_drawn.schools.urn)
    assert len({c.pseudonym for c in small_city.demo_cases}) == len(small_city.demo_cases)
    for c in small_city.demo_cases:
        assert c.pseudonym in people
        assert c.home_postcode in postcodes
        assert c.referral_expires_at > small_city.as_of
        if c.purpose == "placement":
            assert 5 <= len(c.candidate_postcodes) <= 10
            assert set(c.candidate_postcodes) <= postcodes
            assert c.school_urn == ""
        else:
            assert c.school_urn in urns and not c.candidate_postcodes


def _rival_hangouts(city: City, pseudonym: str) -> np.ndarray:
    lk = city.peers.links
    live = lk["status"] == "live"
    groups = set(lk["to_key"][(lk["type"] == "member_of") & live & (lk["from_key"] == pseudonym)])
    gg = (lk["type"] == "in_conflict_with") & live & (lk["from_kind"] == "group") & (lk["to_kind"] == "group")
    rivals = {b for a, b in zip(lk["from_key"][gg], lk["to_key"][gg], strict=True) if a in groups}
    rivals |= {a for a, b in zip(lk["from_key"][gg], lk["to_key"][gg], strict=True) if b in groups}
    pl = city.peers.places
    sel = (pl["kind"] == "hangout") & np.isin(pl["entity_key"], sorted(rivals)) & (pl["status"] == "live")
    return np.column_stack([pl["x"][sel], pl["y"][sel]]).astype(float)


def test_placement_candidates_mix_risky_and_quiet_addresses(small_city: CityManifest, small_drawn: City) -> None:
    pc = dict(zip(small_drawn.postcodes.code, small_drawn.postcodes.xy, strict=True))
    for c in small_city.demo_cases:
        if c.purpose != "placement":
            continue
        hang = _rival_hangouts(small_drawn, c.pseudonym)
        assert len(hang) > 0
        d = np.array([np.hypot(*(hang - pc[p]).T).min() for p in c.candidate_postcodes])
        assert (d < 250).sum() >= 2 and (d > 1_200).sum() >= 3
        # far enough apart for a housing officer to check them all (the policy's probing.min_spacing_m)
        xy = np.array([pc[p] for p in c.candidate_postcodes], dtype=float)
        gaps = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])[np.triu_indices(len(xy), 1)]
        assert gaps.min() >= 200.0


def test_route_passes_near_a_rival_hangout(small_city: CityManifest, small_drawn: City) -> None:
    pc = dict(zip(small_drawn.postcodes.code, small_drawn.postcodes.xy, strict=True))
    school = dict(zip(small_drawn.schools.urn, small_drawn.schools.xy, strict=True))
    for c in small_city.demo_cases:
        if c.purpose != "route":
            continue
        a, b = pc[c.home_postcode], school[c.school_urn]
        assert 600 < np.hypot(*(b - a)) < 3_500
        hang = _rival_hangouts(small_drawn, c.pseudonym)
        t = np.clip(((hang - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
        gap = np.hypot(*(hang - (a + t[:, None] * (b - a))).T).min()
        assert gap < 450
