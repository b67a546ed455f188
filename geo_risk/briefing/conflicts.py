"""Conflicts whose activity spaces overlap a school's area, as peer groups and places only.

A conflict is a live ``in_conflict_with`` link that names a peer group:

- between two peer groups (``group`` -> ``group``);
- between a peer group and a person (shown as "individuals (not named)"; the person's own
  peer groups are not named for them).

A dispute between two young people (``person`` -> ``person``) is not a group conflict, even
when they belong to different peer groups: it is never relabelled as one, never shown to a
school and never counted in a school's tension level.

Links and places count when they are live at ``as_of`` by the data contract's one rule
(:mod:`geo_risk.contract`: graded, sourced, not expired, first seen by then), the rule the
placement and route scores use. A group's activity space is
its own live places and its live members' live places, except homes (never displayed, and
not used: a member's home must not place a group near a school). A conflict overlaps the
area when either group has such a place within the school's buffer. No person's pseudonym
ever leaves this module; places are summarised by kind and area for school users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_risk.contract import GRADES, live_mask

INDIVIDUALS = "individuals (not named)"


@dataclass(frozen=True)
class ConflictPlace:
    """A place of a party's activity space inside the school's area."""

    group: str
    kind: str
    area_code: str | None
    area_name: str | None
    last_seen: pd.Timestamp | None
    place_id: str
    easting: float
    northing: float
    source: str = ""


@dataclass(frozen=True)
class PlaceSummary:
    """A party's places of one kind in one area, as a school may be told of them.

    ``sources`` is the number of different sources the places rest on; ``shown`` says whether it
    reaches the policy's ``school_min_place_sources`` (a place fewer sources report is never
    shown to a school: one report could point to the person who made it).
    """

    group: str
    kind: str
    area_code: str | None
    area_name: str | None
    last_seen: pd.Timestamp | None
    sources: int
    shown: bool


@dataclass(frozen=True)
class Conflict:
    """A conflict overlapping a school's area."""

    parties: tuple[str, str]
    basis: str
    evidence_last_seen: pd.Timestamp | None
    evidence_age_days: int | None
    recency: str
    best_grade: str
    places: tuple[ConflictPlace, ...]
    link_ids: tuple[str, ...]
    weight: float = 1.0
    shown_to_school: bool = True
    withheld: str = ""
    summaries: tuple[PlaceSummary, ...] = ()

    @property
    def key(self) -> str:
        return " v ".join(self.parties)


@dataclass(frozen=True)
class ConflictPair:
    """A citywide group-level conflict (internal)."""

    group_a: str
    group_b: str | None
    basis: str
    last_seen: pd.Timestamp | None
    best_grade: str
    link_ids: tuple[str, ...]


def recency_label(age_days: int | None) -> str:
    """Plain words for how old the latest evidence is."""
    if age_days is None:
        return "date of evidence not recorded"
    if age_days <= 31:
        return "in the last month"
    if age_days <= 92:
        return "in the last 3 months"
    if age_days <= 183:
        return "in the last 6 months"
    return "more than 6 months ago"


def _evidence_date(frame: pd.DataFrame) -> pd.Series:
    last = pd.to_datetime(frame["last_seen"]) if "last_seen" in frame else pd.Series(pd.NaT, index=frame.index)
    first = pd.to_datetime(frame["first_seen"]) if "first_seen" in frame else pd.Series(pd.NaT, index=frame.index)
    return last.fillna(first)


def live_memberships(links: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``person``, ``group`` pairs of live ``member_of`` links."""
    if links is None or links.empty:
        return pd.DataFrame({"person": [], "group": []})
    ok = live_mask(links, as_of) & (links["type"] == "member_of").to_numpy()
    ok &= (links["from_kind"] == "person").to_numpy() & (links["to_kind"] == "group").to_numpy()
    sub = links.loc[ok]
    return pd.DataFrame(
        {"person": sub["from_key"].astype(str).to_numpy(), "group": sub["to_key"].astype(str).to_numpy()}
    )


def conflict_pairs(links: pd.DataFrame, as_of: pd.Timestamp) -> list[ConflictPair]:
    """Citywide conflicts live at ``as_of`` that name a peer group (never one between two people)."""
    if links is None or links.empty:
        return []
    ok = live_mask(links, as_of) & (links["type"] == "in_conflict_with").to_numpy()
    conflicts = links.loc[ok]
    evidence = _evidence_date(conflicts)
    found: dict[tuple[str, str | None], dict] = {}
    for (_, row), seen in zip(conflicts.iterrows(), evidence):
        kinds = (str(row["from_kind"]), str(row["to_kind"]))
        keys = (str(row["from_key"]), str(row["to_key"]))
        if "group" not in kinds:
            continue  # a dispute between two young people is not a group conflict
        if kinds == ("group", "group"):
            if keys[0] == keys[1]:
                continue
            a, b = sorted(keys)
            pair: tuple[str, str | None] = (a, b)
            basis = "between peer groups"
        else:
            pair = (keys[kinds.index("group")], None)
            basis = "between a peer group and individuals"
        rec = found.setdefault(pair, {"seen": pd.NaT, "grades": [], "links": [], "bases": set()})
        rec["bases"].add(basis)
        if pd.notna(seen) and (pd.isna(rec["seen"]) or seen > rec["seen"]):
            rec["seen"] = seen
        rec["grades"].append(str(row.get("evidence_grade", GRADES[-1])).strip().upper())
        rec["links"].append(str(row["link_id"]))
    out = []
    for (a, b), rec in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        grades = [g for g in rec["grades"] if g in GRADES]
        out.append(
            ConflictPair(
                group_a=a,
                group_b=b,
                basis="; ".join(sorted(rec["bases"])),
                last_seen=None if pd.isna(rec["seen"]) else pd.Timestamp(rec["seen"]),
                best_grade=min(grades) if grades else GRADES[-1],
                link_ids=tuple(sorted(set(rec["links"]))),
            )
        )
    return out


def member_counts(links: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, int]:
    """Number of live members of each peer group at ``as_of``."""
    members = live_memberships(links, as_of)
    if members.empty:
        return {}
    return members.drop_duplicates().groupby("group")["person"].nunique().astype(int).to_dict()


def group_places(places: pd.DataFrame, links: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Live, non-home places of each peer group's activity space (own and live members').

    Returns a frame with ``group``, ``place_id``, ``kind``, ``last_seen``, ``source`` (lower-cased),
    ``x``, ``y``;
    a member's place appears once for each of the member's groups.
    """
    cols = ["group", "place_id", "kind", "last_seen", "source", "x", "y"]
    if places is None or places.empty:
        return pd.DataFrame({c: [] for c in cols})
    ok = live_mask(places, as_of) & (places["kind"].astype(str) != "home").to_numpy()
    sub = places.loc[ok]
    if sub.empty:
        return pd.DataFrame({c: [] for c in cols})
    base = pd.DataFrame(
        {
            "entity_kind": sub["entity_kind"].astype(str).to_numpy(),
            "entity_key": sub["entity_key"].astype(str).to_numpy(),
            "place_id": sub["place_id"].astype(str).to_numpy(),
            "kind": sub["kind"].astype(str).to_numpy(),
            "last_seen": _evidence_date(sub).to_numpy(),
            "source": (sub["source"].astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
                       if "source" in sub.columns else np.full(len(sub), "", dtype=object)),
            "x": sub.geometry.x.to_numpy(),
            "y": sub.geometry.y.to_numpy(),
        }
    )
    own = base[base["entity_kind"] == "group"].assign(group=lambda d: d["entity_key"])
    members = live_memberships(links, as_of)
    via = base[base["entity_kind"] == "person"].merge(members, left_on="entity_key", right_on="person")
    both = pd.concat([own, via], ignore_index=True)
    return both[cols].drop_duplicates(["group", "place_id"]).reset_index(drop=True)
