"""The golden scenarios (``tests/scenarios/<area>/<name>/``): each imported from real files with
``geo-risk import`` and asked through every door of its kind, on each database backend.

A scenario marked ``pending`` states a rule that is not on main yet: it is expected to fail (strictly:
the day it passes, the mark must go). ``GEO_RISK_TEST_SCENARIO_PENDING=run`` runs pending scenarios as
ordinary ones, to see what they get wrong.
"""

from __future__ import annotations

import os

import pytest

from tests.cli._assess_world import run_cli
from tests.scenarios import _harness as H

SCENARIOS = H.all_scenarios()


def test_every_area_folder_holds_only_scenarios():
    for area in H.AREAS:
        folder = H.ROOT / area
        if folder.is_dir():
            for sub in folder.iterdir():
                if sub.is_dir() and not sub.name.startswith(("_", ".")):
                    assert (sub / "scenario.toml").is_file(), f"{sub} has no scenario.toml"


def test_scenarios_are_found():
    assert any(s.kind == "placement" for s in SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario, db, db_url, tmp_path, request):
    if scenario.pending and os.environ.get("GEO_RISK_TEST_SCENARIO_PENDING") != "run":
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"pending: {scenario.pending}"))
    folder = H.build_folder(scenario, tmp_path / "data")
    H.import_folder(folder, db_url, run_cli)
    ids = H.create_accounts(db, scenario)
    world = H.World(scenario=scenario, engine=db, db_url=db_url, ids=ids, run_cli=run_cli)
    answers = {}
    problems = []
    for door in H.DOORS[scenario.kind]:
        answer = door.ask(world)
        answers[door] = answer
        problems += [f"[{door.name}] {p}" for p in H.CHECKS[scenario.kind](scenario, door, answer)]
    by_tier: dict[str, list] = {}
    for door, answer in answers.items():
        said = H.comparable(scenario.kind, answer)
        if said is not None:
            by_tier.setdefault(door.tier, []).append((door.name, said))
    for tier, said in by_tier.items():
        first_name, first = said[0]
        for name, other in said[1:]:
            if other != first:
                problems.append(f"[{name}] differs from [{first_name}] for the {tier} tier: {other} != {first}")
    assert not problems, f"{scenario.id}: {scenario.reason}\n" + "\n".join(problems)
