"""Texts for schools and decision records carry no branding words, no names, no intelligence."""

from __future__ import annotations

import json

from sqlalchemy import text

from web_seed import PLACEMENT_DECISION


def test_notice_with_a_branding_word_or_a_pseudonym_is_refused(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    base = {"what_to_do": "Remind pupils to travel in groups.", "contact": "Hub",
            "valid_from": "2026-11-20T08:00", "valid_to": "2026-11-27T08:00", "school_urns": "100001"}
    for title, happened in (("Gang fight near the station", "Adults fought."),
                            ("Disorder near the station", "YP-0001 was hurt.")):
        resp = ana.post("/analyst/notices", {**base, "title": title, "what_happened": happened})
        assert resp.status_code == 400
    with seeded[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notice")).scalar_one() == 0


def test_housing_decision_record_holds_the_housing_tier_only(signed_in, info, seeded):
    hana = signed_in("hana")
    resp = hana.post(f"/housing/referrals/{info.referrals['hana']}/decisions", {"postcodes": "ZZ1 1AA", **PLACEMENT_DECISION})
    assert resp.status_code == 303
    with seeded[0].connect() as conn:
        stored = conn.execute(text("SELECT result FROM assessment")).scalar_one()
    record = json.loads(stored) if isinstance(stored, str) else stored
    body = json.dumps(record)
    assert "reasons_analyst" not in body
    assert "nearest_adversary_m" not in body
    assert "link_ids" not in body and "evidence_ids" not in body
