"""Every school of the ``city`` synthetic size gets the same tension level from ``geo-risk brief``, the
briefing API and the school page, with live notices present (issue 12: two schools were checked).

The city is built and imported once for the module (SpatiaLite: the doors, not the backends, are
compared); notices are published through the use case, one naming a few schools and one live since
this morning; then the CLI briefs every school in one run and the API and the page are asked for each.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import uuid

import pytest

from geo_risk import accounts
from geo_risk.config import Settings
from geo_risk.demo import prepare_demo
from geo_risk.service import Actor, SnapshotData
from geo_risk.service.notices import publish_notice
from geo_risk.store import session_scope
from geo_risk.store.engine import create_store_engine
from tests.cli._assess_world import run_cli
from tests.web.conftest import Clock, sign_in

NOW = dt.datetime(2026, 11, 2, 12, 0)
LEVEL_RE = re.compile(r'id="tension-level">([^<]+)</span>')


@pytest.fixture(scope="module")
def city(tmp_path_factory, _spatialite_template):
    from web import create_app

    folder = tmp_path_factory.mktemp("parity-city")
    path = folder / "geo-risk.sqlite"
    shutil.copyfile(_spatialite_template, path)
    engine = create_store_engine(f"sqlite:///{path}")
    info = prepare_demo(engine, folder, size="city", seed=7, progress=lambda _line: None, now=NOW)
    data = SnapshotData.load(engine, Settings().load_policy(), NOW)
    urns = data.snapshot.schools["urn"].astype(str).tolist()
    analyst = Actor(username=info.usernames["analyst"], role="analyst", now=NOW, request_id=uuid.uuid4().hex,
                    user_id=_user_id(engine, info.usernames["analyst"]))
    with session_scope(engine) as s:
        for title, start, named in (("Disorder near the station", NOW - dt.timedelta(hours=3), urns[:3]),
                                    ("Fight after school", NOW - dt.timedelta(days=2), urns[10:40:7])):
            publish_notice(s, analyst, data, title=title, what_happened="Young people fought.",
                           what_to_do="Remind pupils to travel in groups.", contact="Community safety hub",
                           valid_from=start, valid_to=NOW + dt.timedelta(days=5), school_urns=named)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef", "GEO_RISK_ENGINE": engine,
                      "GEO_RISK_CLOCK": Clock(NOW), "GEO_RISK_SETTINGS": Settings(cookie_secure=False),
                      "GEO_RISK_DATA_CHECK_SECONDS": 0.0, "GEO_RISK_WARM_UP": False})
    yield engine, app, info, urns, folder
    engine.dispose()


def _user_id(engine, username: str) -> int:
    with session_scope(engine) as s:
        return accounts.get_user(s, username).id


def test_every_city_school_gets_one_level_through_every_door_with_live_notices(city):
    engine, app, info, urns, folder = city
    assert len(urns) >= 150
    url = engine.url.render_as_string(hide_password=False)
    out_dir = folder / "briefings"
    out = run_cli(["brief", "--all", "--out", str(out_dir), "--format", "json", "--as-of",
                   NOW.isoformat(timespec="minutes")], url)
    assert out.returncode == 0, out.stderr
    username = info.usernames["analyst"]
    with session_scope(engine) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    api = app.test_client()
    page = sign_in(app, username, info.new_passwords["analyst"])
    levels, noticed = set(), 0
    for urn in urns:
        cli = json.loads((out_dir / f"{urn}.json").read_text(encoding="utf-8"))
        resp = api.get(f"/api/v1/schools/{urn}/briefing", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        body = resp.get_json()
        shown = LEVEL_RE.search(page.get(f"/schools/{urn}").get_data(as_text=True)).group(1)
        assert cli["tension"]["level"] == body["tension"]["level"] == html.unescape(shown), urn
        assert cli["tension"]["reasons"] == body["tension"]["reasons"], urn
        assert [n["title"] for n in cli["notices"]] == [n["title"] for n in body["notices"]], urn
        levels.add(cli["tension"]["level"])
        noticed += bool(cli["notices"])
    # agreement is not vacuous: the notices reached their schools, and more than one level is seen
    assert noticed == 8 and len(levels) >= 2
