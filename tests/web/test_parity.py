"""Every door gives the same answer: ``geo-risk assess ... --json``, the JSON API and the pages run one
use case each, so for the same young person, inputs and moment they give the same band, rank, reasons
and recommendation (issue 12: one postcode was Medium in the CLI and Low on the web)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import defaultdict

import numpy as np
import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from geo_risk import accounts
from geo_risk.store import session_scope
from geo_risk.store.models import Postcode
from tests.cli._assess_world import run_cli
from tests.web.conftest import without_checking_budget
from tests.web.web_seed import NOW, X0, Y0

CHILDREN = ("YP-0001", "YP-0002", "YP-0003")
MOMENTS = (NOW, NOW.replace(hour=8, minute=15), NOW - dt.timedelta(days=41, hours=3),
           NOW - dt.timedelta(days=17, minutes=-7), NOW + dt.timedelta(days=9, hours=6, minutes=30),
           NOW - dt.timedelta(days=63))
ROW_RE = re.compile(r'<tr data-band="([^"]+)">\s*<td>(\d+)</td><td>([^<]*)</td>.*?<ul class="reasons">(.*?)</ul>',
                    re.DOTALL)
NO_CONCERN = "No specific concern found for this young person here."


@pytest.fixture
def app_policy():
    """200 questions through a few referrals: far over the checking budget (tested in test_probing.py)."""
    return without_checking_budget()


@pytest.fixture
def world(seeded):
    """The web city with 40 more postcodes, and placement (hana's) and route (tariq's) referrals to each
    young person."""
    engine, info = seeded
    rng = np.random.default_rng(12)
    postcodes = ["ZZ1 1AA", "ZZ1 1AB", "ZZ1 1AC", "ZZ1 1AD", "ZZ1 1AE"]
    with session_scope(engine) as s:
        for i in range(40):
            pc = f"ZZ2 {i // 10}{'ABCDEFGHJK'[i % 10]}A"
            x, y = X0 + rng.uniform(50, 1950), Y0 + rng.uniform(50, 1950)
            s.add(Postcode(postcode=pc, quality=10, geom=from_shape(Point(float(x), float(y)), srid=27700)))
            postcodes.append(pc)
        hana, tariq, ana = (accounts.get_user(s, u) for u in ("hana", "tariq", "ana"))
        rids = {("placement", "YP-0001"): info.referrals["hana"], ("route", "YP-0001"): info.referrals["tariq"]}
        for child in CHILDREN[1:]:
            for purpose, officer in (("placement", hana), ("route", tariq)):
                rids[(purpose, child)] = accounts.grant_referral(
                    s, child, officer, purpose, NOW + dt.timedelta(days=30), created_by=ana,
                    as_of=NOW - dt.timedelta(days=90)).id
    return engine, rids, postcodes


def _triples(postcodes, n=200, seed=20261206):
    rng = np.random.default_rng(seed)
    return [(CHILDREN[rng.integers(len(CHILDREN))], postcodes[rng.integers(len(postcodes))],
             MOMENTS[rng.integers(len(MOMENTS))]) for _ in range(n)]


def _answer(candidates):
    return [(c["rank"], c["label"], c["band"], list(c["reasons"])) for c in candidates]


def _cli(db_url, child, postcodes, as_of):
    args = ["assess", "placement", "--child", child, "--as-of", as_of.isoformat(timespec="minutes"), "--json"]
    for pc in postcodes:
        args += ["--postcode", pc]
    out = run_cli(args, db_url)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    return _answer([{"rank": c["rank"], "label": c["label"], **c["assessment"]} for c in result["candidates"]])


def _post_api(app, username, url, body):
    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    return app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def _api(app, rid, postcodes):
    resp = _post_api(app, "hana", f"/api/v1/referrals/{rid}/placement", {"postcodes": postcodes})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return _answer([f["properties"] for f in resp.get_json()["features"]])


def _page(browser, rid, postcodes):
    resp = browser.post(f"/housing/referrals/{rid}/check", {"postcodes": "\n".join(postcodes), "points": ""})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    rows = []
    for band, rank, label, reasons in ROW_RE.findall(resp.get_data(as_text=True)):
        said = [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", reasons, re.DOTALL)]
        rows.append((int(rank), html.unescape(label), html.unescape(band), [] if said == [NO_CONCERN] else said))
    return rows


def test_cli_api_and_page_agree_on_200_sampled_placement_questions(app, clock, db_url, world, signed_in):
    _engine, rids, postcodes = world
    groups: dict[tuple[str, dt.datetime], list[str]] = defaultdict(list)
    for child, pc, as_of in _triples(postcodes):
        if pc not in groups[(child, as_of)]:
            groups[(child, as_of)].append(pc)
    assert sum(len(v) for v in groups.values()) > 150 and len(groups) >= 12
    bands = set()
    for (child, as_of), pcs in sorted(groups.items()):
        clock.now = as_of
        cli = _cli(db_url, child, pcs, as_of)
        api = _api(app, rids[("placement", child)], pcs)
        page = _page(signed_in("hana"), rids[("placement", child)], pcs)
        assert cli == api == page, (child, as_of)
        bands |= {row[2] for row in cli}
    assert len(bands) >= 2  # the sample reaches more than one band, so agreement is not vacuous


# --------------------------------------------------------------------------- routes
SCHOOLS = ("100001", "100002")
WALK_RE = re.compile(r'<tr data-role="([^"]+)">.*?<span class="band [^"]*">([^<]*)</span>.*?<ul class="reasons">(.*?)</ul>',
                     re.DOTALL)
REC_RE = re.compile(r'<div class="card" id="recommendation">.*?<strong>(.*?)</strong></p>\s*<ul class="reasons">(.*?)</ul>',
                    re.DOTALL)
NOTHING_NEAR = "nothing of concern nearby"


def _items(fragment):
    return [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", fragment, re.DOTALL)]


def _route_answer(recommendation, walks):
    return ((recommendation["text"], list(recommendation["reasons"])),
            [(w["role"], w["band"], [n["text"] for n in w["near"]]) for w in walks])


def as_page(answer):
    """A route answer as the page words it: each walk's "passes near" items grouped by what they pass,
    each street named once (web.presentation.near_groups)."""
    from web.presentation import near_groups

    rec, walks = answer
    return rec, [(role, band, near_groups([{"text": t} for t in near])) for role, band, near in walks]


def _route_cli(db_url, child, home, urn, as_of):
    out = run_cli(["assess", "route", "--child", child, "--from", home, "--to-school", urn,
                   "--as-of", as_of.isoformat(timespec="minutes"), "--json"], db_url)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    return _route_answer(result["recommendation"], result["routes"])


def _route_api(app, rid, home, urn):
    resp = _post_api(app, "tariq", f"/api/v1/referrals/{rid}/route", {"home_postcode": home, "school_urn": urn})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    return _route_answer(body["recommendation"], [f["properties"] for f in body["features"]])


def _route_page(browser, rid, home, urn):
    resp = browser.post(f"/transport/referrals/{rid}/check", {"home_postcode": home, "school_urn": urn})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    text = resp.get_data(as_text=True)
    rec_text, rec_reasons = REC_RE.search(text).groups()
    walks = []
    for role, band, near in WALK_RE.findall(text):
        said = _items(near)
        walks.append((role, html.unescape(band), [] if said == [NOTHING_NEAR] else said))
    return (html.unescape(rec_text), _items(rec_reasons)), walks


def test_cli_api_and_page_agree_on_50_sampled_route_questions(app, clock, db_url, world, signed_in):
    _engine, rids, postcodes = world
    rng = np.random.default_rng(50)
    seen = set()
    for _ in range(50):
        child, home = CHILDREN[rng.integers(len(CHILDREN))], postcodes[rng.integers(len(postcodes))]
        urn, as_of = SCHOOLS[rng.integers(len(SCHOOLS))], MOMENTS[rng.integers(len(MOMENTS))]
        clock.now = as_of
        rid = rids[("route", child)]
        cli = _route_cli(db_url, child, home, urn, as_of)
        api = _route_api(app, rid, home, urn)
        page = _route_page(signed_in("tariq"), rid, home, urn)
        assert cli == api and as_page(cli) == page, (child, home, urn, as_of)
        seen |= {cli[0][0]} | {w[1] for w in cli[1]}
    assert len(seen) >= 3  # more than one recommendation or band, so agreement is not vacuous


# --------------------------------------------------------------------------- briefings
LEVEL_RE = re.compile(r'id="tension-level">([^<]+)</span>')


def test_brief_and_the_school_pages_agree_with_a_live_notice_posted_this_morning(app, clock, db_url, seeded, signed_in):
    """The CLI used to pass live notices into the briefing and the page did not: a notice raised the
    level in one door only. Both now run one use case, with the notices live at the moment."""
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    resp = ana.post("/analyst/notices", {"step": "publish", "title": "Disorder near the station", "what_happened": "Adults fought.",
                                         "what_to_do": "Remind pupils to travel in groups.", "contact": "Hub",
                                         "valid_from": "2026-11-20T08:00", "valid_to": "2026-11-27T08:00",
                                         "school_urns": "100001"})
    assert resp.status_code == 303
    clock.now = NOW  # 12:00, after the notice started; counts run to 00:00 that day
    for urn in ("100001", "100002"):
        out = run_cli(["brief", "--school", urn, "--as-of", NOW.isoformat(timespec="minutes")], db_url)
        assert out.returncode == 0, out.stderr
        cli = json.loads(out.stdout)
        page = LEVEL_RE.search(signed_in("ana").get(f"/schools/{urn}").get_data(as_text=True)).group(1)
        assert cli["tension"]["level"] == html.unescape(page), urn
        # a notice reaches exactly the schools its form names (geo_risk.contract.notice_reach)
        named = urn == "100001"
        assert [n["title"] for n in cli["notices"]] == (["Disorder near the station"] if named else [])
        assert ("a live post-incident notice covers this area" in cli["tension"]["reasons"]) == named
    school_page = signed_in("sami").get("/schools/100001").get_data(as_text=True)
    assert "Disorder near the station" in school_page
