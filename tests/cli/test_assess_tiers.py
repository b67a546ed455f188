"""`geo-risk assess` prints bands for housing and transport officers, scores only for analysts."""

from __future__ import annotations

import json
import re

from tests._tree import keys
from tests.cli._assess_world import AS_OF, HANGOUT, X0, Y0, run_cli, seed

AT_HANGOUT = f"{HANGOUT[0]:.0f},{HANGOUT[1]:.0f}"
FAR = f"{X0 + 3000:.0f},{Y0 + 3000:.0f}"
HOME = f"{X0:.0f},{Y0 + 350:.0f}"




def _placement(db_url, *extra):
    out = run_cli(["assess", "placement", "--child", "YP-1", "--point", AT_HANGOUT, "--point", FAR,
                   "--as-of", AS_OF, *extra], db_url)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _route(db_url, *extra):
    out = run_cli(["assess", "route", "--child", "YP-1", "--from", HOME, "--to-school", "999001", "--as-of", AS_OF,
                   *extra], db_url)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_placement_prints_bands_not_scores_for_the_housing_officer(db, db_url):
    seed(db)
    analyst = json.loads(_placement(db_url, "--json", "--audience", "analyst"))
    scores = [c["assessment"]["score"] for c in analyst["candidates"] if c["assessment"]["score"] > 0]
    assert scores  # the hangout's

    housing = json.loads(_placement(db_url, "--json"))
    assert not keys(housing) & {"score", "value", "raw", "weight", "contribution", "threshold"}
    assert [c["assessment"]["band"] for c in housing["candidates"]] == ["Low", "Very high"]
    assert [[f["name"] for f in c["assessment"]["factors"]] for c in housing["candidates"]] == [
        [f["name"] for f in c["assessment"]["factors"]] for c in analyst["candidates"]]

    table = _placement(db_url)
    header = table.splitlines()[2]
    assert header.split() == ["rank", "candidate", "band", "confidence", "largest", "factor"]
    for s in scores:
        assert f"{s:.1f}" not in table
    assert re.search(rf"^2\. {AT_HANGOUT}: Very high$", table, re.MULTILINE)

    full = _placement(db_url, "--audience", "analyst")
    assert "score" in full.splitlines()[2].split()
    for s in scores:
        assert f"{s:.1f}" in full


def test_route_prints_bands_not_scores_for_the_transport_officer(db, db_url):
    seed(db)
    analyst = json.loads(_route(db_url, "--json", "--audience", "analyst"))
    scores = [r["score"] for r in analyst["routes"] if r["score"] > 0]
    assert scores

    transport = json.loads(_route(db_url, "--json"))
    assert transport["tier"] == "transport"
    assert not keys(transport) & {"score", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk",
                                   "peak_risk"}
    assert [r["band"] for r in transport["routes"]] == [r["band"] for r in analyst["routes"]]
    assert all(s["band"] for r in transport["routes"] for s in r["segments"])

    table = _route(db_url)
    header = next(line for line in table.splitlines() if line.startswith("walk "))
    assert "score" not in header.split() and "band" in header.split()
    for s in scores:
        assert f"{s:.1f}" not in table

    full = _route(db_url, "--audience", "analyst")
    assert "score" in next(line for line in full.splitlines() if line.startswith("walk ")).split()
    assert f"{scores[0]:.1f}" in full
