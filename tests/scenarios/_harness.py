"""The golden-scenario harness: real files in, ``geo-risk import``, then every door asked the same question.

A scenario is a folder ``tests/scenarios/<area>/<name>/`` (``<area>`` is ``placement``, ``route`` or
``tension``) holding ``scenario.toml`` and the files of its own data in the real import formats, laid
out by kind as ``geo-risk import`` takes them::

    network/people.csv, groups.csv, links.csv, places.csv   the peer network (ingest/NETWORK_FORMAT.md)
    police_uk/YYYY-MM/YYYY-MM-<force>-street.csv            police.uk street-level crime
    injuries/*.csv                                          emergency-department assaults (Cardiff model)
    postcodes/, streets/, boundaries/, schools/             as the base city's

The scenario's files are laid over the shared base city (``tests/scenarios/base/``, written by
``make_base.py``): a file at the same relative path replaces the base's, any other is added, and
``omit = ["postcodes"]`` leaves a base kind out. Every kind present is imported with
``geo-risk import KIND FOLDER`` into a fresh database (SpatiaLite, and PostGIS when configured),
then the scenario's question is put through each door of its kind (:data:`DOORS`): the CLI
(``geo-risk assess ... --json``) and the JSON API, which run the same use case. Each door's answer
is checked against ``[expect]``, and the doors must agree with each other.

``scenario.toml``::

    title = "..."                       # what the scenario shows
    reason = "..."                      # the expected outcome and why, in one sentence
    kind = "placement"                  # which doors (a key of DOORS)
    as_of = "2026-11-20T12:00"          # when the question is asked (UTC)
    child = "YP-0001"
    pending = "..."                     # optional: the rule is not on main yet; the scenario must fail
    omit = ["postcodes"]                # optional: base kinds left out
    [check]                             # the question (kind-specific; placement: postcodes, points)
    [expect]                            # the answer (kind-specific)
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
BASE = ROOT / "base"
AREAS = ("placement", "route", "tension")
# import order: boundaries and streets first (they set the area covered), postcodes before what is
# located by postcode (schools, injuries), the network last
IMPORT_ORDER = (("boundaries", "boundaries"), ("streets", "streets"), ("postcodes", "postcodes"),
                ("schools", "schools"), ("police_uk", "police-uk"), ("injuries", "injuries"), ("network", "network"))
PASSWORD = "scenario-password-1"
# The accounts every scenario has: username -> role. Referrals for the scenario's young person are
# granted to each officer for their purpose.
USERS = {"hana": "housing", "tariq": "transport", "sami": "school", "ana": "analyst"}
SCHOOL_URNS = {"sami": ("990001",)}  # the base city's secondary school
PURPOSES = {"housing": "placement", "transport": "route"}


@dataclass(frozen=True)
class Scenario:
    """One scenario folder, read from its ``scenario.toml``."""

    path: Path
    area: str
    name: str
    title: str
    reason: str
    kind: str
    as_of: dt.datetime
    child: str | None
    check: dict[str, Any]
    expect: dict[str, Any]
    pending: str | None = None
    omit: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.area}/{self.name}"


def read_scenario(path: Path) -> Scenario:
    """The scenario in folder ``path``; a missing or misspelt key is an error naming the file."""
    toml = path / "scenario.toml"
    data = tomllib.loads(toml.read_text(encoding="utf-8"))
    known = {"title", "reason", "kind", "as_of", "child", "check", "expect", "pending", "omit"}
    unknown = set(data) - known
    if unknown:
        msg = f"{toml}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        raise ValueError(msg)
    missing = [k for k in ("title", "reason", "kind", "as_of", "check", "expect") if k not in data]
    if missing:
        msg = f"{toml}: missing {', '.join(missing)}"
        raise ValueError(msg)
    omit = tuple(data.get("omit", ()))
    bad = set(omit) - {d for d, _ in IMPORT_ORDER}
    if bad:
        msg = f"{toml}: omit names unknown kind(s) {', '.join(sorted(bad))}"
        raise ValueError(msg)
    return Scenario(path=path, area=path.parent.name, name=path.name, title=data["title"], reason=data["reason"],
                    kind=data["kind"], as_of=dt.datetime.fromisoformat(data["as_of"]), child=data.get("child"),
                    check=data["check"], expect=data["expect"], pending=data.get("pending"), omit=omit, raw=data)


def all_scenarios() -> list[Scenario]:
    """Every scenario under ``tests/scenarios/<area>/``, in name order."""
    found = []
    for area in AREAS:
        for toml in sorted((ROOT / area).glob("*/scenario.toml")):
            found.append(read_scenario(toml.parent))
    return found


def build_folder(scenario: Scenario, dest: Path) -> Path:
    """The base city with the scenario's files laid over it, in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for src_root in (BASE, scenario.path):
        for src in sorted(p for p in src_root.rglob("*") if p.is_file() and p.name != "scenario.toml"):
            rel = src.relative_to(src_root)
            if src_root == BASE and rel.parts[0] in scenario.omit:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    return dest


def import_folder(folder: Path, db_url: str, run_cli: Callable[..., Any]) -> list[str]:
    """``geo-risk import KIND FOLDER/KIND`` for every kind present; returns the CLI's summaries."""
    out = []
    for sub, kind in IMPORT_ORDER:
        path = folder / sub
        if not path.exists():
            continue
        result = run_cli(["import", kind, str(path), "--no-progress"], db_url)
        if result.returncode != 0:
            msg = f"geo-risk import {kind} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            raise AssertionError(msg)
        out.append(result.stdout.strip().splitlines()[-1])
    return out


def create_accounts(engine, scenario: Scenario) -> dict[str, Any]:
    """The scenario's accounts, and a live referral of its young person for each officer."""
    from geo_risk import accounts
    from geo_risk.store import session_scope

    ids: dict[str, Any] = {"referrals": {}}
    with session_scope(engine) as s:
        users = {u: accounts.create_user(s, u, role, PASSWORD, school_urns=SCHOOL_URNS.get(u, ()),
                                                  demo_account=True) for u, role in USERS.items()}
        s.flush()
        if scenario.child:
            for username, role in USERS.items():
                purpose = PURPOSES.get(role)
                if purpose:
                    # a route referral records the young person's age band when the scenario gives one
                    details = ({"age_band": scenario.check["age_band"]}
                               if purpose == "route" and scenario.check.get("age_band") else {})
                    ids["referrals"][purpose] = accounts.grant_referral(
                        s, scenario.child, users[username], purpose, scenario.as_of + dt.timedelta(days=60),
                        details=details, created_by=users["ana"], as_of=scenario.as_of - dt.timedelta(days=1)).id
    return ids


def make_app(engine, now: dt.datetime):
    """The web app on ``engine`` with its clock stopped at ``now``."""
    from geo_risk.config import Settings
    from web import create_app

    return create_app({
        "TESTING": True,
        "SECRET_KEY": "scenario-secret-key-0123456789abcdef",
        "GEO_RISK_ENGINE": engine,
        "GEO_RISK_CLOCK": lambda: now,
        "GEO_RISK_SETTINGS": Settings(cookie_secure=False),
        "GEO_RISK_DATA_CHECK_SECONDS": 0.0,
        "GEO_RISK_WARM_UP": False,
    })


def api_post(app, username: str, url: str, body: dict[str, Any]):
    """POST ``body`` as JSON to ``url`` with ``username``'s API token."""
    from geo_risk import accounts
    from geo_risk.store import session_scope

    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    return app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def api_get(app, username: str, url: str):
    """GET ``url`` with ``username``'s API token."""
    from geo_risk import accounts
    from geo_risk.store import session_scope

    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    return app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})


@dataclass
class World:
    """What a door needs: the scenario, its database, accounts and the CLI runner."""

    scenario: Scenario
    engine: Any
    db_url: str
    ids: dict[str, Any]
    run_cli: Callable[..., Any]
    _app: Any = None

    @property
    def app(self):
        if self._app is None:
            self._app = make_app(self.engine, self.scenario.as_of)
        return self._app


@dataclass(frozen=True)
class Door:
    """One way in: ``ask(world)`` returns the answer in the kind's common shape; ``tier`` is whose view it is."""

    name: str
    tier: str
    ask: Callable[[World], Any]


# --------------------------------------------------------------------------- placement
# Common shape of a placement answer: one dict per candidate, safest first, with the keys every
# door gives (rank, label, band, reasons, confidence, and any of outcome/flags the result carries).
PLACEMENT_KEYS = ("rank", "label", "band", "reasons", "confidence", "outcome", "flags")


def _placement_row(candidate: dict[str, Any]) -> dict[str, Any]:
    return {k: candidate[k] for k in PLACEMENT_KEYS if k in candidate}


def _placement_cli(world: World, audience: str) -> list[dict[str, Any]]:
    s = world.scenario
    args = ["assess", "placement", "--child", s.child, "--as-of", s.as_of.isoformat(timespec="minutes"),
            "--audience", audience, "--json"]
    for pc in s.check.get("postcodes", []):
        args += ["--postcode", pc]
    for x, y in s.check.get("points", []):
        args += ["--point", f"{x},{y}"]
    out = world.run_cli(args, world.db_url)
    if out.returncode != 0:
        return {"error": out.stderr.strip() or out.stdout.strip(), "status": out.returncode}
    result = json.loads(out.stdout)
    rows = []
    for c in result["candidates"]:
        a = dict(c["assessment"])
        if audience == "analyst":
            a["reasons"] = a.get("reasons_analyst", [])
        rows.append({"rank": c["rank"], "label": c["label"], **_placement_row(a), "_full": a})
    return rows


def _placement_api(world: World) -> list[dict[str, Any]]:
    from geo_risk.crs import en_to_lonlat

    s = world.scenario
    points = []
    for x, y in s.check.get("points", []):
        lon, lat = en_to_lonlat(float(x), float(y))
        points.append([float(lat), float(lon)])
    rid = world.ids["referrals"]["placement"]
    body: dict[str, Any] = {"postcodes": list(s.check.get("postcodes", []))}
    if points:  # the housing door takes postcodes only: a scenario's points must be refused there (issue 14)
        body["points"] = points
    resp = api_post(world.app, "hana", f"/api/v1/referrals/{rid}/placement", body)
    if points:
        return {"error": resp.get_data(as_text=True), "status": resp.status_code, "points_refused": True}
    if resp.status_code != 200:
        return {"error": resp.get_data(as_text=True), "status": resp.status_code}
    rows = []
    for f in resp.get_json()["features"]:
        p = f["properties"]
        rows.append({**_placement_row(p), "_full": p})
    return rows


# --------------------------------------------------------------------------- route
# Common shape of a route answer: the walks' roles and bands in order, the recommendation (both grounds)
# and the notes under the result.


def _route_answer(result_routes: list[dict[str, Any]], recommendation: dict[str, Any], notes: list[str],
                  full: Any) -> dict[str, Any]:
    bands = [(r["role"], r["band"]) for r in result_routes]
    return {"walks": bands, "meets_bar": recommendation["meets_bar"], "text": recommendation["text"],
            "reasons": list(recommendation["reasons"]), "walking_distance": recommendation.get("walking_distance"),
            "notes": list(notes), "_full": full}


def _route_cli(world: World, audience: str) -> dict[str, Any]:
    s = world.scenario
    args = ["assess", "route", "--child", s.child, "--from", s.check["home"], "--to-school", str(s.check["school"]),
            "--as-of", s.as_of.isoformat(timespec="minutes"), "--audience", audience, "--json"]
    if s.check.get("age_band"):
        args += ["--age-band", s.check["age_band"]]
    out = world.run_cli(args, world.db_url)
    if out.returncode != 0:
        return {"error": out.stderr.strip() or out.stdout.strip(), "status": out.returncode}
    result = json.loads(out.stdout)
    return _route_answer(result["routes"], result["recommendation"], result["notes"], result)


def _route_api(world: World) -> dict[str, Any]:
    s = world.scenario
    rid = world.ids["referrals"]["route"]
    resp = api_post(world.app, "tariq", f"/api/v1/referrals/{rid}/route",
                    {"home_postcode": s.check["home"], "school_urn": str(s.check["school"])})
    if resp.status_code != 200:
        return {"error": resp.get_data(as_text=True), "status": resp.status_code}
    body = resp.get_json()
    return _route_answer([f["properties"] for f in body["features"]], body["recommendation"], body["notes"], body)


# --------------------------------------------------------------------------- tension
# Common shape of a tension answer: the level, its reasons, the conflicts shown (parties) and, for each,
# the area codes of the places shown.


def _tension_answer(result: dict[str, Any]) -> dict[str, Any]:
    conflicts = [list(c["parties"]) for c in result["conflicts"]]
    places = {" v ".join(c["parties"]): sorted({p["area_code"] for p in c["places"]}) for c in result["conflicts"]}
    return {"level": result["tension"]["level"], "reasons": list(result["tension"]["reasons"]),
            "conflicts": conflicts, "places": places, "_full": result}


def _tension_cli(world: World, tier: str) -> dict[str, Any]:
    s = world.scenario
    out = world.run_cli(["brief", "--school", str(s.check["school"]), "--as-of", s.as_of.isoformat(timespec="minutes"),
                         "--tier", tier], world.db_url)
    if out.returncode != 0:
        return {"error": out.stderr.strip() or out.stdout.strip(), "status": out.returncode}
    return _tension_answer(json.loads(out.stdout))


def _tension_api(world: World) -> dict[str, Any]:
    urn = str(world.scenario.check["school"])
    resp = api_get(world.app, "sami", f"/api/v1/schools/{urn}/briefing")
    if resp.status_code != 200:
        return {"error": resp.get_data(as_text=True), "status": resp.status_code}
    return _tension_answer(resp.get_json())


DOORS: dict[str, tuple[Door, ...]] = {
    "placement": (
        Door("cli", "housing", lambda w: _placement_cli(w, "housing")),
        Door("api", "housing", _placement_api),
        Door("cli-analyst", "analyst", lambda w: _placement_cli(w, "analyst")),
    ),
    "route": (
        Door("cli", "transport", lambda w: _route_cli(w, "transport")),
        Door("api", "transport", _route_api),
        Door("cli-analyst", "analyst", lambda w: _route_cli(w, "analyst")),
    ),
    "tension": (
        Door("cli", "school", lambda w: _tension_cli(w, "school")),
        Door("api", "school", _tension_api),
        Door("cli-analyst", "analyst", lambda w: _tension_cli(w, "analyst")),
    ),
}


def _point_labels(scenario: Scenario, door: str) -> dict[str, str]:
    """How each door labels the scenario's points, mapped to the scenario's own name for them."""
    out = {}
    for i, (x, y) in enumerate(scenario.check.get("points", [])):
        name = f"point {i + 1}"
        out[f"map point {i + 1}" if door == "api" else f"{x},{y}"] = name
    return out


def check_placement(scenario: Scenario, door: Door, answer: Any) -> list[str]:
    """Problems with one door's placement answer against ``[expect]`` (an empty list when it matches)."""
    exp = scenario.expect
    problems: list[str] = []
    if isinstance(answer, dict) and answer.get("points_refused"):
        from geo_risk.service import POSTCODES_ONLY

        if answer["status"] != 400 or POSTCODES_ONLY not in json.loads(answer["error"]).get("message", ""):
            problems.append(f"the housing door must refuse points (400, asking for postcodes), got "
                            f"{answer['status']}: {answer['error'][:300]}")
        return problems
    if isinstance(answer, dict) and "error" in answer:
        if exp.get("refused"):
            if exp["refused"].lower() not in answer["error"].lower():
                problems.append(f"refused, but the message does not say {exp['refused']!r}: {answer['error'][:300]}")
            return problems
        return [f"failed ({answer['status']}): {answer['error'][:500]}"]
    if exp.get("refused"):
        return [f"answered, but should be refused saying {exp['refused']!r}"]
    names = _point_labels(scenario, door.name)
    by_label = {names.get(c["label"], c["label"]): c for c in answer}
    order = [names.get(c["label"], c["label"]) for c in answer]
    if "order" in exp and order != list(exp["order"]):
        problems.append(f"order {order}, expected {exp['order']}")
    for want in exp.get("candidate", []):
        label = want["label"]
        got = by_label.get(label)
        if got is None:
            problems.append(f"{label}: not in the answer ({order})")
            continue
        tiered = {k[: -len("_" + door.tier)]: v for k, v in want.items() if k.endswith("_" + door.tier)}
        checks = {k: v for k, v in want.items() if not any(k.endswith("_" + t) for t in ("analyst", "housing"))}
        checks.update(tiered)
        problems += [f"{label}: {p}" for p in _check_candidate(got, checks)]
    return problems


def _check_candidate(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    reasons = " | ".join(got.get("reasons", []))
    for key, value in want.items():
        if key == "label":
            continue
        if key in ("band", "rank", "confidence", "outcome"):
            if got.get(key) != value:
                problems.append(f"{key} {got.get(key)!r}, expected {value!r}")
        elif key in ("band_in", "confidence_in"):
            if got.get(key[:-3]) not in value:
                problems.append(f"{key[:-3]} {got.get(key[:-3])!r}, expected one of {value}")
        elif key in ("band_not", "confidence_not"):
            if got.get(key[:-4]) in value:
                problems.append(f"{key[:-4]} {got.get(key[:-4])!r}, expected none of {value}")
        elif key == "reasons_include":
            problems += [f"no reason says {t!r}: {reasons}" for t in value if t.lower() not in reasons.lower()]
        elif key == "reasons_exclude":
            problems += [f"a reason says {t!r}: {reasons}" for t in value if t.lower() in reasons.lower()]
        elif key == "flags_include":
            flags = " | ".join(got.get("flags", []))
            problems += [f"no flag says {t!r}: {flags or 'no flags'}" for t in value if t.lower() not in flags.lower()]
        elif key == "keys_absent":
            text = json.dumps(got.get("_full", {}))
            problems += [f"the answer carries {k!r}" for k in value if f'"{k}"' in text]
        else:
            problems.append(f"unknown expectation {key!r}")
    return problems


def _tiered(want: dict[str, Any], tier: str, tiers: tuple[str, ...]) -> dict[str, Any]:
    """``want`` with the keys for ``tier`` (``key_<tier>``) in place of the plain ones, others' dropped."""
    plain = {k: v for k, v in want.items() if not any(k.endswith("_" + t) for t in tiers)}
    plain.update({k[: -len("_" + tier)]: v for k, v in want.items() if k.endswith("_" + tier)})
    return plain


def _check_common(got: dict[str, Any], key: str, value: Any) -> list[str] | None:
    """The expectations route and tension answers share (None for a key they do not share)."""
    reasons = " | ".join(got.get("reasons", []))
    text = json.dumps(got.get("_full", {}), ensure_ascii=False)
    if key == "reasons_include":
        return [f"no reason says {t!r}: {reasons}" for t in value if t.lower() not in reasons.lower()]
    if key == "reasons_exclude":
        return [f"a reason says {t!r}: {reasons}" for t in value if t.lower() in reasons.lower()]
    if key == "keys_absent":
        return [f"the answer carries {k!r}" for k in value if f'"{k}"' in text]
    if key == "text_exclude":
        return [f"the answer says {t!r}" for t in value if t.lower() in text.lower()]
    return None


def _refusal(scenario: Scenario, answer: Any) -> list[str] | None:
    exp = scenario.expect
    if isinstance(answer, dict) and "error" in answer:
        if exp.get("refused"):
            if exp["refused"].lower() not in answer["error"].lower():
                return [f"refused, but the message does not say {exp['refused']!r}: {answer['error'][:300]}"]
            return []
        return [f"failed ({answer['status']}): {answer['error'][:500]}"]
    if exp.get("refused"):
        return [f"answered, but should be refused saying {exp['refused']!r}"]
    return None


def check_route(scenario: Scenario, door: Door, answer: Any) -> list[str]:
    """Problems with one door's route answer against ``[expect]``.

    ``lowest_band``, ``shortest_band``, ``meets_bar``, ``no_walk_below`` (no walk listed is in a lower
    band than the lowest-risk walk: true), ``age_band``, ``beyond_statutory``, ``notes_include``, and the
    shared ``reasons_include``/``reasons_exclude``/``keys_absent``/``text_exclude`` (``_transport`` and
    ``_analyst`` suffixes check one tier only).
    """
    refused = _refusal(scenario, answer)
    if refused is not None:
        return refused
    bands = list(BANDS)
    walks = dict(answer["walks"])
    lowest = walks.get("lowest_risk", walks.get("shortest"))
    problems = []
    for key, value in _tiered(scenario.expect, door.tier, ("transport", "analyst")).items():
        common = _check_common(answer, key, value)
        if common is not None:
            problems += common
        elif key == "lowest_band":
            if lowest != value:
                problems.append(f"the lowest-risk walk is {lowest}, expected {value} (walks {answer['walks']})")
        elif key == "shortest_band":
            if walks.get("shortest") != value:
                problems.append(f"the shortest walk is {walks.get('shortest')}, expected {value}")
        elif key == "no_walk_below":
            below = [(r, b) for r, b in answer["walks"] if bands.index(b) < bands.index(lowest)]
            if value and below:
                problems.append(f"walks listed in a lower band than the lowest-risk walk ({lowest}): {below}")
        elif key == "meets_bar":
            if answer["meets_bar"] is not value:
                problems.append(f"meets_bar {answer['meets_bar']}, expected {value}")
        elif key in ("age_band", "beyond_statutory"):
            got = (answer.get("walking_distance") or {}).get(key, "no walking distance")
            if got != value:
                problems.append(f"{key} {got!r}, expected {value!r}")
        elif key == "notes_include":
            notes = " | ".join(answer["notes"])
            problems += [f"no note says {t!r}: {notes}" for t in value if t.lower() not in notes.lower()]
        else:
            problems.append(f"unknown expectation {key!r}")
    return problems


def check_tension(scenario: Scenario, door: Door, answer: Any) -> list[str]:
    """Problems with one door's briefing answer against ``[expect]``.

    ``level``, ``conflicts`` (the parties of each conflict shown, in order), ``places`` (conflict
    "A v B" -> the area codes of its places shown), and the shared ``reasons_include``/
    ``reasons_exclude``/``keys_absent``/``text_exclude`` (``_school`` and ``_analyst`` suffixes check
    one tier only).
    """
    refused = _refusal(scenario, answer)
    if refused is not None:
        return refused
    problems = []
    for key, value in _tiered(scenario.expect, door.tier, ("school", "analyst")).items():
        common = _check_common(answer, key, value)
        if common is not None:
            problems += common
        elif key == "level":
            if answer["level"] != value:
                problems.append(f"level {answer['level']!r}, expected {value!r}")
        elif key == "conflicts":
            if answer["conflicts"] != [list(c) for c in value]:
                problems.append(f"conflicts {answer['conflicts']}, expected {value}")
        elif key == "places":
            for conflict, codes in value.items():
                got = answer["places"].get(conflict)
                if got != sorted(codes):
                    problems.append(f"places of {conflict}: {got}, expected {sorted(codes)}")
        else:
            problems.append(f"unknown expectation {key!r}")
    return problems


BANDS = ("Low", "Medium", "High", "Very high")
CHECKS: dict[str, Callable[[Scenario, Door, Any], list[str]]] = {
    "placement": check_placement, "route": check_route, "tension": check_tension}


def comparable(kind: str, answer: Any) -> Any:
    """The part of an answer every door of the same tier must give identically (None: a door that,
    by design, does not answer this scenario's question, e.g. the housing API given points)."""
    if isinstance(answer, dict) and answer.get("points_refused"):
        return None
    if isinstance(answer, dict) and "error" in answer:
        return ("refused",)
    if kind == "placement":
        return [(c["band"], list(c["reasons"]), c["confidence"], c.get("outcome"), c.get("flags")) for c in answer]
    if kind in ("route", "tension"):
        return {k: v for k, v in answer.items() if k != "_full"}
    return answer
