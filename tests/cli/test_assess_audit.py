"""`geo-risk assess placement|route` audit every read of a young person's data.

Runs in process (CliRunner) against the ``db`` fixture on SpatiaLite and, when configured, PostGIS.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json

import pytest

from geo_risk.errors import DataSourceError
from tests.cli._assess_world import AS_OF, HANGOUT, events, run_cli, seed

PLACEMENT = ["assess", "placement", "--child", "YP-1", "--point", f"{HANGOUT[0]:.0f},{HANGOUT[1]:.0f}",
             "--as-of", AS_OF]
ROUTE = ["assess", "route", "--child", "YP-1", "--from", "ZZ1 1AA", "--to-school", "999001", "--as-of", AS_OF]


@pytest.mark.parametrize(
    ("args", "purpose", "action"),
    [(PLACEMENT, "placement", "cli.assess.placement"), (ROUTE, "route", "cli.assess.route")],
    ids=["placement", "route"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_each_cli_check_writes_exactly_one_audit_event(db, db_url, args, purpose, action, as_json):
    seed(db)
    out = run_cli([*args, *(["--json"] if as_json else [])], db_url)
    assert out.returncode == 0, out.stderr
    assert "YP-1" in out.stdout
    (event,) = events(db)
    assert (event.role, event.purpose, event.pseudonym, event.action, event.outcome) == (
        "operator", purpose, "YP-1", action, "allowed"
    )
    assert event.username == getpass.getuser()
    assert len(event.request_id) == 32 and int(event.request_id, 16) >= 0  # a uuid4 hex
    assert abs(event.at - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    # a second run is a second read: a second event, chained to the first
    assert run_cli(args, db_url).returncode == 0
    first, second = events(db)
    assert second.prev_hash == first.hash and second.request_id != first.request_id


@pytest.mark.parametrize("args", [PLACEMENT, ROUTE], ids=["placement", "route"])
def test_if_the_audit_write_fails_the_check_fails_and_shows_nothing(db, db_url, args, monkeypatch):
    from geo_risk import audit

    seed(db)

    def refuse(*_a, **_k):
        msg = "the audit event could not be written, so the read it records is refused"
        raise DataSourceError(msg)

    monkeypatch.setattr(audit, "record", refuse)
    for extra in ([], ["--json"]):
        out = run_cli([*args, *extra], db_url)
        assert out.returncode == 2
        assert out.stdout == ""  # nothing of the young person: no band, score, reason or route
        assert "audit event could not be written" in out.stderr
    assert events(db) == []


def test_a_failed_lookup_writes_no_event_and_shows_nothing(db, db_url):
    seed(db)
    out = run_cli(["assess", "placement", "--child", "YP-404", "--point", "450000,200000", "--as-of", AS_OF], db_url)
    assert out.returncode == 2 and out.stdout == ""
    assert events(db) == []


def test_audited_json_is_still_the_ranking(db, db_url):
    seed(db)
    out = run_cli([*PLACEMENT, "--json"], db_url)
    data = json.loads(out.stdout)
    assert data["candidates"][0]["assessment"]["band"] == "Very high"
