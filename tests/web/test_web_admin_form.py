"""The admin's forms (issue 16): school URNs are checked against the loaded schools, and a form with a
problem comes back with a GOV.UK error summary, the message beside its field and what was typed kept."""

from __future__ import annotations

import html
import re

from sqlalchemy import text

from geo_risk import audit


def _summary_links(page: str) -> list[str]:
    start = page.index("error-summary")
    return re.findall(r'href="#([\w-]+)"', page[start:page.index("</div>", start)])


def _accounts(engine, username: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM app_user WHERE username = :u"), {"u": username}).scalar_one()


def test_an_unknown_school_urn_is_shown_beside_its_field_and_what_was_typed_is_kept(signed_in, seeded):
    adam = signed_in("adam")
    adam.get("/admin/users")
    resp = adam.post("/admin/users", {"username": "Sara.Lead", "role": "school", "password": "school-lead-pass-4",
                                      "school_urns": "100001, 999999"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "<title>Error: " in page
    assert _summary_links(page) == ["school_urns"]
    assert 'id="school_urns-error"' in page and "No loaded school has the URN 999999" in html.unescape(page)
    assert 'value="100001, 999999"' in page and 'value="Sara.Lead"' in page
    assert re.search(r'<option value="school" selected>', page)
    assert "school-lead-pass-4" not in page  # never the password
    assert _accounts(seeded[0], "sara.lead") == 0
    with seeded[0].connect() as conn:
        refused = [e for e in audit.recent_events(conn, limit=5) if e.action == "admin.user.create"]
    assert refused and refused[0].outcome == "denied" and refused[0].target == "sara.lead"


def test_known_school_urns_make_the_school_account(signed_in, seeded):
    adam = signed_in("adam")
    adam.get("/admin/users")
    assert adam.post("/admin/users", {"username": "sara", "role": "school", "password": "school-lead-pass-4",
                                      "school_urns": "100001;100002"}).status_code == 303
    with seeded[0].connect() as conn:
        assert conn.execute(text("SELECT school_urns FROM app_user WHERE username = 'sara'")).scalar_one() == \
            "100001,100002"


def test_every_missing_field_is_named_and_no_role_is_chosen_for_the_admin(signed_in, seeded):
    adam = signed_in("adam")
    form = adam.get("/admin/users").get_data(as_text=True)
    add = form[form.index('id="user-form"'):]
    assert '<option value="">Choose a role</option>' in add and " selected" not in add  # no risky default
    page = adam.post("/admin/users", {"username": "", "role": "", "password": ""}).get_data(as_text=True)
    assert _summary_links(page) == ["username", "role", "password"]
    # URNs for a role that has none, and a username the accounts module refuses, beside their fields
    page = adam.post("/admin/users", {"username": "hana2", "role": "housing", "password": "housing-pass-88",
                                      "school_urns": "100001"}).get_data(as_text=True)
    assert _summary_links(page) == ["school_urns"] and 'value="hana2"' in page
    page = adam.post("/admin/users", {"username": "hana", "role": "housing",
                                      "password": "housing-pass-88"}).get_data(as_text=True)
    assert _summary_links(page) == ["username"] and "is taken" in html.unescape(page)


def test_a_role_change_to_school_checks_the_urns_in_that_row(signed_in, seeded, info):
    adam = signed_in("adam")
    adam.get("/admin/users")
    harry = info.users["harry"]
    resp = adam.post(f"/admin/users/{harry}/role", {"role": "school", "school_urns": "123456"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and _summary_links(page) == [f"school_urns-{harry}"]
    assert f'id="school_urns-{harry}-error"' in page and 'value="123456"' in page
    with seeded[0].connect() as conn:
        assert conn.execute(text("SELECT role FROM app_user WHERE id = :i"), {"i": harry}).scalar_one() == "housing"
    assert adam.post(f"/admin/users/{harry}/role", {"role": "school", "school_urns": "100002"}).status_code == 303
