"""Every route audits each young person it shows exactly once (issue 14, item 3).

The walk is over the app's own route map, so a new route is walked as soon as it exists (the route
policy test requires a sample request for each): every role the route table lets in calls it, and
the audit events of that one request (joined by its ``X-Request-Id``) must hold exactly one event
for each young person the response shows and none twice. A route that shows a young person must be
declared in ``web.policy.YOUNG_PERSON_ENDPOINTS``; a role refused one of those is audited as denied.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from geo_risk.store import session_scope
from geo_risk.store.models import AuditEvent, Person
from tests.web.conftest import sign_in
from tests.web.test_web_policy import ROLE_USERS, samples
from web import policy

# run last: they end a session or revoke a referral the other samples use
LAST = ("analyst.referral_revoke", "auth.logout")


def _call(b, endpoint: str, method: str, path: str, form: dict):
    if method == "GET":
        return b.get(path)
    if endpoint.startswith("api_v1."):
        return b.client.post(path, json={"postcodes": ["ZZ1 1AA", "ZZ1 1AB"], "home_postcode": "ZZ1 1AA",
                                         "school_urn": "100001"}, headers={"X-CSRFToken": b.token})
    return b.post(path, form)


def _events(engine, request_id: str) -> list[AuditEvent]:
    with session_scope(engine) as s:
        rows = s.execute(select(AuditEvent).where(AuditEvent.request_id == request_id)).scalars().all()
        s.expunge_all()
        return rows


def _roles(endpoint: str) -> list[str]:
    rule = policy.ROUTE_POLICY[endpoint]
    if rule in (policy.PUBLIC, policy.SIGNED_IN):
        return ["analyst"]
    return sorted(rule)


def test_every_route_writes_one_event_per_young_person_it_shows(app, info, seeded):
    engine = seeded[0]
    with session_scope(engine) as s:
        children = set(s.scalars(select(Person.pseudonym).where(Person.is_child.is_(True))))
    every = samples(info)
    endpoints = sorted({r.endpoint for r in app.url_map.iter_rules()} - {"static"},
                       key=lambda e: (e in LAST, LAST.index(e) if e in LAST else 0, e))
    problems = []
    walked = 0
    for endpoint in endpoints:
        method, path, form = every[endpoint]
        for role in _roles(endpoint):
            b = sign_in(app, ROLE_USERS[role])
            resp = _call(b, endpoint, method, path, form)
            walked += 1
            body = resp.get_data(as_text=True)
            events = _events(engine, resp.headers["X-Request-Id"])
            counts = Counter(e.pseudonym for e in events if e.pseudonym)
            shown = {p for p in children if p in body}
            twice = sorted(p for p, n in counts.items() if n > 1)
            unaudited = sorted(shown - set(counts))
            if twice:
                problems.append(f"{endpoint} as {role}: more than one event for {twice}")
            if unaudited:
                problems.append(f"{endpoint} as {role} ({resp.status_code}) shows {unaudited} without an event")
            if (shown or counts) and endpoint not in policy.YOUNG_PERSON_ENDPOINTS:
                problems.append(f"{endpoint} shows or audits young people but is not in YOUNG_PERSON_ENDPOINTS")
    assert walked >= len(endpoints)
    assert not problems, "\n".join(problems)


def test_a_role_refused_a_young_person_route_is_audited_once(app, info, seeded):
    engine = seeded[0]
    every = samples(info)
    for endpoint in sorted(policy.YOUNG_PERSON_ENDPOINTS):
        method, path, form = every[endpoint]
        role = next(r for r in ("school", "admin", "housing", "transport") if not policy.allowed(endpoint, r))
        b = sign_in(app, ROLE_USERS[role])
        resp = _call(b, endpoint, method, path, form)
        assert resp.status_code == 403, (endpoint, role, resp.status_code)
        events = _events(engine, resp.headers["X-Request-Id"])
        assert [(e.outcome, e.username, e.action) for e in events] == [
            ("denied", ROLE_USERS[role], f"refused.{endpoint}")], endpoint
    # the refused read of a young person's network is in that young person's access report
    b = sign_in(app, "hana")
    resp = b.get(f"/analyst/people/{info.people['YP-0002']}")
    assert resp.status_code == 403
    assert [e.pseudonym for e in _events(engine, resp.headers["X-Request-Id"])] == ["YP-0002"]
