"""A notice reaches exactly the schools chosen on its form (geo_risk.contract.notice_reach).

The two seeded schools are 707 m apart, each inside the other's 1 km briefing area: a notice
for one must not reach the other.
"""

from __future__ import annotations

import re

from sqlalchemy import text

FORM = {"title": "Disorder near the park", "what_happened": "Adults fought.",
        "what_to_do": "Remind pupils to travel in groups.", "contact": "Hub",
        "valid_from": "2026-11-20T08:00", "valid_to": "2026-11-27T08:00"}


def test_a_notice_for_one_school_does_not_reach_its_neighbour(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    assert ana.post("/analyst/notices", {**FORM, "step": "publish", "school_urns": "100002"}).status_code == 303
    with seeded[0].connect() as conn:
        nid = conn.execute(text("SELECT id FROM notice")).scalar_one()
        named = conn.execute(text("SELECT school_urn FROM notice_school WHERE notice_id = :n"), {"n": nid}).all()
    assert [r[0] for r in named] == ["100002"]
    assert "Disorder near the park" in ana.get("/schools/100002").get_data(as_text=True)
    sami = signed_in("sami")  # a school user of 100001
    page = sami.get("/schools/100001")
    assert page.status_code == 200
    assert "Disorder near the park" not in page.get_data(as_text=True)
    assert sami.post(f"/schools/100001/notices/{nid}/ack").status_code == 404
    with seeded[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notice_ack")).scalar_one() == 0


def test_a_notice_for_both_schools_reaches_both(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    assert ana.post("/analyst/notices", {**FORM, "step": "publish", "school_urns": ["100001", "100002"]}).status_code == 303
    html = signed_in("sami").get("/schools/100001").get_data(as_text=True)
    assert "Disorder near the park" in html
    assert re.search(r'data-notice="\d+"', html)
