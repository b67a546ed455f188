"""The peer network CSVs: contract columns, rivalries, expiry, sources, fairness-only columns."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest

from geo_risk.contract import SOURCE_TYPES
from geo_risk.synth import CityManifest
from geo_risk.synth._peers import COHORT_ETHNICITY
from geo_risk.synth._spec import AS_OF, CENSUS_RELIGION, SIZES

SPEC = SIZES["small"]


def _read(city: CityManifest, name: str) -> list[dict[str, str]]:
    with open(city.out_dir / "network" / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def net(small_city: CityManifest) -> dict[str, list[dict[str, str]]]:
    return {n: _read(small_city, n) for n in ("people", "groups", "links", "places")}


def test_contract_columns(net: dict[str, list[dict[str, str]]]) -> None:
    assert list(net["people"][0]) == [
        "pseudonym",
        "is_child",
        "birth_month",
        "cce_concern",
        "cse_concern",
        "looked_after",
        "sex",
        "ethnicity",
        "religion",
        "home_area_code",
        "source",
        "source_type",
    ]
    assert list(net["groups"][0]) == ["code", "label", "source", "source_type"]
    for col in (
        "link_id",
        "from_kind",
        "from_key",
        "to_kind",
        "to_key",
        "type",
        "evidence_grade",
        "source",
        "source_type",
        "first_seen",
        "last_seen",
        "review_by",
        "expires_at",
        "status",
    ):
        assert col in net["links"][0]
    for col in ("place_id", "entity_kind", "entity_key", "kind", "x", "y", "evidence_grade", "expires_at", "status"):
        assert col in net["places"][0]


def test_sizes_and_keys(net: dict[str, list[dict[str, str]]]) -> None:
    people, groups, links = net["people"], net["groups"], net["links"]
    assert len(people) == SPEC.people and len(groups) == SPEC.groups and len(links) == SPEC.links
    assert all(re.fullmatch(r"(YP|AD)-\d{4}", p["pseudonym"]) for p in people)
    assert all(re.fullmatch(r"G\d{2}", g["code"]) for g in groups)
    assert all(re.fullmatch(r"peer group \d+", g["label"]) for g in groups)
    keys = {p["pseudonym"] for p in people} | {g["code"] for g in groups}
    assert all(lk["from_key"] in keys and lk["to_key"] in keys for lk in links)
    assert len({lk["link_id"] for lk in links}) == len(links)
    pairs = [
        (lk["type"], *sorted((lk["from_key"], lk["to_key"])))
        for lk in links
        if lk["type"] in ("associates_with", "in_conflict_with", "family")
    ]
    assert len(pairs) == len(set(pairs))


def test_rivalries_as_requested(net: dict[str, list[dict[str, str]]]) -> None:
    group_conflicts = [
        lk for lk in net["links"] if lk["type"] == "in_conflict_with" and lk["from_kind"] == lk["to_kind"] == "group"
    ]
    live = [lk for lk in group_conflicts if lk["status"] == "live"]
    assert len(live) == SPEC.rivalries
    assert any(lk["status"] == "expired" for lk in group_conflicts)
    # members of rival groups are in conflict with each other
    person_conflicts = [lk for lk in net["links"] if lk["type"] == "in_conflict_with" and lk["from_kind"] == "person"]
    assert len(person_conflicts) > SPEC.links // 10


def test_every_link_type_and_direction(net: dict[str, list[dict[str, str]]]) -> None:
    types = {lk["type"] for lk in net["links"]}
    assert types == {"associates_with", "in_conflict_with", "exploits", "member_of", "family"}
    for lk in net["links"]:
        if lk["type"] == "exploits":
            assert lk["from_key"].startswith("AD-") and lk["to_key"].startswith("YP-")
        if lk["type"] == "member_of":
            assert lk["from_kind"] == "person" and lk["to_kind"] == "group"


def test_dates_expiry_and_status_agree(net: dict[str, list[dict[str, str]]]) -> None:
    as_of = AS_OF
    expired = 0
    for lk in net["links"] + net["places"]:
        first, last = dt.date.fromisoformat(lk["first_seen"]), dt.date.fromisoformat(lk["last_seen"])
        review, expires = dt.date.fromisoformat(lk["review_by"]), dt.date.fromisoformat(lk["expires_at"])
        assert first <= last < as_of <= expires or lk["status"] == "expired"
        assert last <= review <= expires
        assert (lk["status"] == "expired") == (expires <= as_of)
        expired += lk["status"] == "expired"
    assert 0.03 < expired / (len(net["links"]) + len(net["places"])) < 0.4


def test_sources_include_parents_and_young_people(net: dict[str, list[dict[str, str]]]) -> None:
    types = [lk["source_type"] for lk in net["links"]]
    assert set(types) == set(SOURCE_TYPES)
    assert types.count("parent_carer") >= 10 and types.count("young_person") >= 10
    grades = {lk["evidence_grade"] for lk in net["links"]}
    assert grades == {"A", "B", "C", "D", "E"}


def test_fairness_columns_use_census_categories(net: dict[str, list[dict[str, str]]]) -> None:
    people = net["people"]
    assert {p["sex"] for p in people} == {"Female", "Male"}
    assert {p["ethnicity"] for p in people} - {""} <= set(COHORT_ETHNICITY)
    assert {p["religion"] for p in people} <= set(CENSUS_RELIGION)
    assert len({p["ethnicity"] for p in people}) >= 4


def test_places_of_every_kind(net: dict[str, list[dict[str, str]]], small_city: CityManifest) -> None:
    kinds = {p["kind"] for p in net["places"]}
    assert kinds == {"hangout", "exploitation_site", "incident_location", "home"}
    x0, y0, x1, y1 = small_city.bbox
    for p in net["places"]:
        x, y = float(p["x"]), float(p["y"])
        assert x0 - 100 <= x <= x1 + 100 and y0 - 100 <= y <= y1 + 100
    hangouts = {p["entity_key"] for p in net["places"] if p["kind"] == "hangout"}
    assert hangouts == {g["code"] for g in net["groups"]}


def test_evidence_is_not_all_from_the_day_before(net: dict[str, list[dict[str, str]]]) -> None:
    # Records still current are not all "last seen" on the day before AS_OF (every conflict
    # would read as seen yesterday): evidence comes on dates.
    day_before = (AS_OF - dt.timedelta(days=1)).isoformat()
    live = [r for r in net["links"] + net["places"] if r["status"] == "live"]
    assert sum(r["last_seen"] == day_before for r in live) < 0.05 * len(live)
    ages = sorted((AS_OF - dt.date.fromisoformat(r["last_seen"])).days for r in live)
    assert 14 <= ages[len(ages) // 2] <= 120


def _members(net: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    return {
        lk["from_key"]: lk["to_key"] for lk in net["links"] if lk["type"] == "member_of" and lk["status"] == "live"
    }


def test_a_few_rivalries_flare_and_their_disputes_are_never_newer(net: dict[str, list[dict[str, str]]]) -> None:
    rivalries = {
        frozenset((lk["from_key"], lk["to_key"])): dt.date.fromisoformat(lk["last_seen"])
        for lk in net["links"]
        if lk["type"] == "in_conflict_with" and lk["from_kind"] == lk["to_kind"] == "group" and lk["status"] == "live"
    }
    ages = [(AS_OF - d).days for d in rivalries.values()]
    flaring = sum(a <= 60 for a in ages)
    assert 1 <= flaring < len(ages)  # some flare now, the rest are live but quiet
    group_of = _members(net)
    disputes = 0
    for lk in net["links"]:
        if lk["type"] != "in_conflict_with" or lk["from_kind"] != "person" or lk["to_kind"] != "person":
            continue
        pair = frozenset((group_of.get(lk["from_key"]), group_of.get(lk["to_key"])))
        if pair in rivalries:
            disputes += 1
            assert dt.date.fromisoformat(lk["last_seen"]) <= rivalries[pair]
    assert disputes > SPEC.links // 10


def test_disputes_between_people_are_between_current_members(net: dict[str, list[dict[str, str]]]) -> None:
    # a party whose membership had lapsed would read as an unaffiliated individual: the one
    # rivalry would show as two conflicts near every school its groups are active around
    group_of = _members(net)
    for lk in net["links"]:
        if lk["type"] == "in_conflict_with" and lk["from_kind"] == lk["to_kind"] == "person":
            assert lk["from_key"] in group_of and lk["to_key"] in group_of
            assert group_of[lk["from_key"]] != group_of[lk["to_key"]]


def test_disputes_of_a_person_with_a_group_are_by_current_members_of_a_rival(
    net: dict[str, list[dict[str, str]]],
) -> None:
    # the same holds for a young person in conflict with a whole rival group: one whose
    # membership had lapsed would read as 'individuals (not named)' v the group, a second
    # conflict beside the rivalry
    group_of = _members(net)
    rivals = {
        frozenset((lk["from_key"], lk["to_key"]))
        for lk in net["links"]
        if lk["type"] == "in_conflict_with" and lk["from_kind"] == lk["to_kind"] == "group"
    }
    disputes = [
        lk for lk in net["links"]
        if lk["type"] == "in_conflict_with" and lk["from_kind"] == "person" and lk["to_kind"] == "group"
    ]
    assert disputes
    for lk in disputes:
        assert lk["from_key"] in group_of, lk
        assert frozenset((group_of[lk["from_key"]], lk["to_key"])) in rivals, lk
