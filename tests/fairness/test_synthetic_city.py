"""Oversight on the synthetic city: its population file, peer network and feeds go through (issue 8)."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_risk.chronology import read_chronology
from geo_risk.fairness import repository as repo
from geo_risk.fairness.disproportionality import disproportionality, person_outcomes
from geo_risk.fairness.population import read_population_csv
from geo_risk.fairness.reviews import due_by_source, review_queue
from geo_risk.quality import quality_report
from geo_risk.store.engine import session_scope


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    synth = pytest.importorskip("geo_risk.synth")
    folder = tmp_path_factory.mktemp("city") / "synthetown"
    synth.generate_city(folder, seed=7, size="small")
    return folder


def test_synthetic_city_oversight_end_to_end(city, db):
    from geo_risk.ingest.load import load

    load("network", city / "network", db)
    load("police_uk", city / "police_uk", db)
    population = read_population_csv(city / "population" / "children_by_lsoa.csv")
    assert set(population["dimension"]) == {"ethnicity", "sex"}

    people, referrals, assessments = repo.load_fairness_inputs(db)
    outcomes = person_outcomes(people, referrals, assessments)
    children = people[people["is_child"]]
    for dimension in ("ethnicity", "sex"):
        result = disproportionality(outcomes, population, dimension=dimension)
        # every child's home area has denominators and every recorded label matches one
        assert result.excluded_no_area == 0
        assert result.excluded_unknown_group == int(children[dimension].isna().sum())
        assert result.young_people == len(children) - result.excluded_unknown_group
        flagged = [r for r in result.ratios if r.outcome == "flagged" and r.area == "all"]
        assert sum(r.events for r in flagged) == int((children["cce_concern"] | children["cse_concern"])
                                                     [children[dimension].notna()].sum())

    links, places = repo.load_evidence(db)
    queue = review_queue(links, places, "2026-11-01")
    by_source = due_by_source(queue)
    assert {"parent_carer", "young_person", "police"} <= set(by_source["source_type"])

    report = quality_report(db)
    assert report.summary["months_covered"] == 24
    assert report.summary["incidents_not_exact"] == report.summary["incidents"] > 0  # police.uk snap points

    linked = set(links["from_key"]) | set(links["to_key"])
    child = next(p for p in children["pseudonym"] if p in linked)
    with session_scope(db) as s:
        chron = read_chronology(s, child, username="ana", role="analyst", request_id="t",
                                at=dt.datetime(2026, 11, 1))
    assert len(chron) > 0 and all(i.family in ("inside", "outside") for i in chron.items)
