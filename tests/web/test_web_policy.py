"""Every route has an entry in the route x role table, and every role is refused or let in as it says."""

from __future__ import annotations

import pytest

from web import policy
from web_seed import PLACEMENT_DECISION, ROUTE_DECISION, USERS

ROLE_USERS = {"housing": "hana", "transport": "tariq", "school": "sami", "analyst": "ana", "admin": "adam",
              "privacy_officer": "pat"}
assert set(ROLE_USERS.values()) <= set(USERS)


def samples(info) -> dict[str, tuple[str, str, dict]]:
    """One request per endpoint: method, path, form data."""
    hana, tariq = info.referrals["hana"], info.referrals["tariq"]
    other = info.referrals["hana_other"]
    pid = info.people["YP-0001"]
    harry = info.users["harry"]
    return {
        "static": ("GET", "/static/app.css", {}),
        "main.healthz": ("GET", "/healthz", {}),
        "auth.login": ("GET", "/login", {}),
        "auth.login_step": ("GET", "/login/continue", {}),
        "auth.account": ("GET", "/account", {}),
        "auth.account_token": ("POST", "/account/token", {"password": "test-password-1"}),
        "auth.account_two_factor": ("POST", "/account/two-factor", {"action": "begin"}),
        "main.index": ("GET", "/", {}),
        "api_v1.openapi": ("GET", "/api/v1/openapi.json", {}),
        "api_v1.docs": ("GET", "/api/v1/docs", {}),
        "housing.index": ("GET", "/housing/", {}),
        "housing.case": ("GET", f"/housing/referrals/{hana}", {}),
        "housing.check": ("POST", f"/housing/referrals/{hana}/check", {"postcodes": "ZZ1 1AA", "points": ""}),
        "housing.save": ("POST", f"/housing/referrals/{hana}/decisions", {"postcodes": "ZZ1 1AA", "points": "",
                                                                          **PLACEMENT_DECISION}),
        "housing.decision": ("GET", "/housing/decisions/1", {}),
        "housing.decisions": ("GET", "/housing/decisions", {}),
        "housing.decision_print": ("GET", "/housing/decisions/1/print", {}),
        "housing.decision_pdf": ("GET", "/housing/decisions/1/record.pdf", {}),
        "housing.decision_csv": ("GET", "/housing/decisions/1/record.csv", {}),
        "transport.index": ("GET", "/transport/", {}),
        "transport.case": ("GET", f"/transport/referrals/{tariq}", {}),
        "transport.check": ("POST", f"/transport/referrals/{tariq}/check",
                            {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}),
        "transport.save": ("POST", f"/transport/referrals/{tariq}/decisions",
                           {"home_postcode": "ZZ1 1AA", "school_urn": "100001", **ROUTE_DECISION}),
        "transport.decision": ("GET", "/transport/decisions/2", {}),
        "transport.decisions": ("GET", "/transport/decisions", {}),
        "transport.decision_print": ("GET", "/transport/decisions/2/print", {}),
        "transport.decision_pdf": ("GET", "/transport/decisions/2/record.pdf", {}),
        "transport.decision_csv": ("GET", "/transport/decisions/2/record.csv", {}),
        "schools.index": ("GET", "/schools/", {}),
        "schools.briefing": ("GET", "/schools/100001", {}),
        "schools.acknowledge": ("POST", "/schools/100001/notices/1/ack", {}),
        "schools.tension": ("POST", "/schools/100001/tension", {"level": "High", "reason": "Disorder at the station",
                                                                 "days": "3"}),
        "analyst.index": ("GET", "/analyst/", {}),
        "analyst.incidents": ("GET", "/analyst/incidents", {}),
        "analyst.people": ("GET", "/analyst/people", {}),
        "analyst.person": ("GET", f"/analyst/people/{pid}", {}),
        "analyst.placement": ("POST", f"/analyst/people/{pid}/placement", {"postcodes": "ZZ1 1AB", "points": ""}),
        "analyst.route": ("POST", f"/analyst/people/{pid}/route", {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}),
        "analyst.notices": ("GET", "/analyst/notices", {}),
        "analyst.notice_create": ("POST", "/analyst/notices", {
            "title": "Fight near the park", "what_happened": "A fight between adults.",
            "what_to_do": "Remind pupils to go home in groups.", "contact": "Safeguarding hub",
            "valid_from": "2026-11-20T08:00", "valid_to": "2026-11-27T08:00", "school_urns": "100001"}),
        "analyst.notice_end": ("POST", "/analyst/notices/9999/end", {}),
        "analyst.referrals": ("GET", "/analyst/referrals", {}),
        "analyst.referral_grant": ("POST", "/analyst/referrals", {"pseudonym": "YP-0003", "user_id": str(harry),
                                                                    "days": "10", "postcodes": "ZZ1 1AD"}),
        "analyst.referral_revoke": ("POST", f"/analyst/referrals/{other}/revoke", {}),
        "analyst.briefings": ("GET", "/analyst/briefings", {}),
        "analyst.backtest": ("GET", "/analyst/backtest", {}),
        "analyst.policies": ("GET", "/analyst/policies", {}),
        "admin.users": ("GET", "/admin/users", {}),
        "admin.user_create": ("POST", "/admin/users", {"username": "newbie", "role": "analyst",
                                                       "password": "another-password-9"}),
        "admin.user_disable": ("POST", f"/admin/users/{harry}/disable", {}),
        "admin.user_enable": ("POST", f"/admin/users/{harry}/enable", {}),
        "admin.user_role": ("POST", f"/admin/users/{harry}/role", {"role": "transport"}),
        "admin.request_decide": ("POST", "/admin/requests/9999/reject", {}),
        "privacy.index": ("GET", "/privacy/", {}),
        "privacy.by_person": ("POST", "/privacy/by-person", {"pseudonym": "YP-0001"}),
        "privacy.by_user": ("POST", "/privacy/by-user", {"username": "hana"}),
        "privacy.export": ("POST", "/privacy/export", {"kind": "person", "value": "YP-0001"}),
        "api_v1.referrals": ("GET", "/api/v1/referrals", {}),
        "api_v1.placement": ("POST", f"/api/v1/referrals/{hana}/placement", {}),
        "api_v1.route": ("POST", f"/api/v1/referrals/{tariq}/route", {}),
        "api_v1.briefing": ("GET", "/api/v1/schools/100001/briefing", {}),
        "api_v1.incident_grid": ("GET", "/api/v1/incidents/grid", {}),
        "api_v1.network": ("GET", f"/api/v1/people/{pid}/network", {}),
        # analyst oversight (web/oversight)
        "oversight.chronology": ("GET", f"/analyst/oversight/people/{pid}/chronology", {}),
        "oversight.chronology_print": ("GET", f"/analyst/oversight/people/{pid}/chronology/export", {}),
        "oversight.chronology_add": ("POST", f"/analyst/oversight/people/{pid}/chronology", {
            "occurred_at": "2026-11-19", "kind": "concern", "summary": "Seen with older youths", "source": "Aunt",
            "source_type": "parent_carer", "evidence_grade": "C"}),
        "oversight.reviews": ("GET", "/analyst/oversight/reviews", {}),
        "oversight.review_action": ("POST", "/analyst/oversight/reviews/link/L5", {
            "action": "downgrade", "new_grade": "D", "reason": "single source"}),
        "oversight.fairness": ("GET", "/analyst/oversight/fairness", {}),
        "oversight.population_upload": ("POST", "/analyst/oversight/fairness/population", {}),
        "oversight.quality": ("GET", "/analyst/oversight/quality", {}),
        "oversight.quality_csv": ("GET", "/analyst/oversight/quality.csv", {}),
        "auth.logout": ("POST", "/logout", {}),  # last: it ends the session
    }


def test_every_route_has_a_policy_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(policy.ROUTE_POLICY))
    assert not missing, f"routes without a policy entry (denied until listed): {missing}"
    stale = sorted(set(policy.ROUTE_POLICY) - endpoints)
    assert not stale, f"policy entries for routes that do not exist: {stale}"


def test_unlisted_route_is_denied(app, signed_in, monkeypatch):
    monkeypatch.setattr(policy, "ROUTE_POLICY", {k: v for k, v in policy.ROUTE_POLICY.items()
                                                 if k != "analyst.index"})
    assert not policy.allowed("analyst.index", "analyst")
    b = signed_in("ana")
    assert b.get("/analyst/").status_code == 403


def test_samples_cover_every_route(app, info):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(samples(info))


@pytest.mark.parametrize("role", [None, *ROLE_USERS])
def test_route_by_role(app, info, signed_in, role):
    """For every route: a role outside the table is refused, a role in it is let in."""
    b = signed_in(ROLE_USERS.get(role) if role else None)
    failures = []
    for endpoint, (method, path, form) in samples(info).items():
        if method == "GET":
            resp = b.get(path)
        elif endpoint.startswith("api_v1."):
            resp = b.client.post(path, json={"postcodes": ["ZZ1 1AA"], "home_postcode": "ZZ1 1AA",
                                             "school_urn": "100001"},
                                 headers={"X-CSRFToken": b.token})
        else:
            resp = b.post(path, form)
        status = resp.status_code
        to_login = status == 302 and "/login" in resp.headers.get("Location", "")
        allowed = policy.allowed(endpoint, role)
        if allowed:
            csrf_refused = status == 400 and "not sent from this site" in resp.get_data(as_text=True)
            if status in (401, 403) or (to_login and endpoint != "auth.logout") or status >= 500 or csrf_refused:
                failures.append(f"{endpoint}: {role} should be let in, got {status}")
        elif role is None:
            expected = 401 if endpoint.startswith("api_v1.") else 302
            if status != expected or (expected == 302 and not to_login):
                failures.append(f"{endpoint}: signed out should get {expected}, got {status}")
        elif status != 403:
            failures.append(f"{endpoint}: {role} should be refused with 403, got {status}")
    assert not failures, "\n".join(failures)
