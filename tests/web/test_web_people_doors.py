"""The network page and the network API read a young person through one use case: same people, same events."""

from __future__ import annotations

from sqlalchemy import text


def _events(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text("SELECT action, pseudonym, outcome FROM audit_event ORDER BY seq")).all()


def test_the_api_audits_the_children_its_network_shows_as_the_page_does(signed_in, seeded, info):
    engine = seeded[0]
    ana = signed_in("ana")
    before = len(_events(engine))
    resp = ana.get(f"/api/v1/people/{info.people['YP-0001']}/network")
    assert resp.status_code == 200
    shown = {n["key"] for n in resp.get_json()["nodes"] if n["kind"] == "person"}
    assert shown == {"YP-0001", "YP-0003", "AD-0001"}
    assert [tuple(e) for e in _events(engine)[before:]] == [("api.network.view", "YP-0001", "allowed"),
                                                             ("api.network.view.linked", "YP-0003", "allowed")]


def test_an_impossible_person_id_is_404_and_audited_on_both_doors(signed_in, seeded):
    engine = seeded[0]
    ana = signed_in("ana")
    for path, action in (("/analyst/people/99999999999999999999999", "network.view"),
                         ("/api/v1/people/99999999999999999999999/network", "api.network.view")):
        before = len(_events(engine))
        assert ana.get(path).status_code == 404
        assert [tuple(e) for e in _events(engine)[before:]] == [(action, None, "not_found")]
