"""Safeguarding analysts: incident map, the peer network of a young person, notices, referrals,
briefings, back-testing and policy versions."""

from __future__ import annotations

import datetime as dt

import numpy as np
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from geo_risk import accounts, service
from geo_risk.errors import ValidationError
from web import drawing, maps, queries, services
from web.access import actor, audit_read, audit_read_many
from web.extensions import data, store

bp = Blueprint("analyst", __name__, url_prefix="/analyst")


def _full_bounds(d):
    b = d.bounds
    return services.bbox_ll_of_xy([[b[0], b[1]], [b[2], b[3]]], pad_m=0) if b else None


@bp.get("/")
def index():
    d = data()
    s = d.snapshot
    counts = {"incidents": len(s.incidents), "young people": int(s.people["is_child"].sum()) if len(s.people) else 0,
              "peer groups": len(s.groups), "links": len(s.links), "places": len(s.places), "schools": len(s.schools),
              "street segments": len(s.streets)}
    return render_template("analyst/index.html", counts=counts, as_of=d.as_of, synthetic=d.is_synthetic)


@bp.get("/incidents")
def incidents():
    d = data()
    months = services.incident_months(d)
    cats = sorted(d.snapshot.incidents["category"].astype(str).unique().tolist()) if months else []
    end = request.args.get("end", type=int)
    end = len(months) - 1 if end is None or not 0 <= end < len(months) else end
    window = request.args.get("window", default=3, type=int)
    window = min(max(window or 1, 1), 24)
    category = request.args.get("category") or ""
    category = category if category in cats else ""
    chosen = months[max(0, end - window + 1): end + 1] if months else []
    grid = services.incident_grid(d, months=chosen, category=category or None)
    bounds = _full_bounds(d)
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(grid, name="incident-grid").add_to(m)
    maps.LayerSwitch({"incident-grid": "Incidents (250 m squares)", "streets": "Streets",
                      "boundaries": "Neighbourhood boundaries"}).add_to(m)
    counts = [f["properties"]["count"] for f in grid["features"]]
    total = sum(counts)
    top = services.grid_top(np.array(counts))
    key = [*({"kind": "area", "colour": c, "label": f"{w} incident{'' if w == '1' else 's'} in a square"}
             for c, w in services.grid_legend(top)), *maps.BASE_KEY]
    return render_template("analyst/incidents.html", months=months, end=end, window=window, category=category,
                           categories=cats, chosen=chosen, total=total, cells=len(grid["features"]), key=key,
                           map=maps.render_map(m, g.csp_nonce), synthetic=d.is_synthetic)


@bp.get("/people")
def people():
    with store().transaction() as s:
        listing = [(p.id, p.pseudonym, p.cce_concern, p.cse_concern, p.looked_after)
                   for p in service.list_young_people(s, actor())]
    return render_template("analyst/people.html", people=listing, synthetic=data().is_synthetic)


@bp.get("/people/<pid>")
def person(pid: str):
    d = data()
    with store().transaction() as s:
        record = service.read_young_person(s, actor(), d, person_id=pid)
    pseudonym, ego, snap = record.pseudonym, record.network, d.snapshot
    keys = record.keys
    links = snap.links[snap.links["from_key"].isin(keys) & snap.links["to_key"].isin(keys)] if len(snap.links) else snap.links
    places = services.places_geojson(d, keys, as_of=d.as_of)
    pts = [f["geometry"]["coordinates"] for f in places["features"]]
    bounds = maps.bounds_of_points([p[1] for p in pts], [p[0] for p in pts], 0.01) if pts else _full_bounds(d)
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"], height="440px")
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(places, name="places").add_to(m)
    schools = [(str(u), str(n)) for u, n in zip(snap.schools["urn"], snap.schools["name"], strict=True)]
    chronology = [(c.occurred_at, c.kind, c.summary, c.evidence_grade, c.source_type) for c in record.chronology]
    decisions = [(a.id, a.kind, a.created_at, a.policy_version) for a in record.decisions]
    return render_template("analyst/person.html", pid=record.id, pseudonym=pseudonym, flags=record.flags,
                           svg=drawing.network_svg(ego, pseudonym), links=links.to_dict("records"),
                           words=drawing.LINK_WORDS, chronology=chronology, decisions=decisions, schools=schools,
                           map=maps.render_map(m, g.csp_nonce), synthetic=d.is_synthetic)


@bp.post("/people/<int:pid>/placement")
def placement(pid: int):
    d = data()
    postcodes = services.parse_postcodes(request.form.get("postcodes"))
    points = services.parse_points(request.form.get("points"))
    with store().transaction() as s:
        pseudonym = queries.person_by_id(s, pid).pseudonym
        checked = services.check_placement(s, d, action="placement.check", postcodes=postcodes, points=points,
                                           child=pseudonym)
    rows = services.placement_rows(checked.result)
    bounds = maps.bounds_of_points([r["lat"] for r in rows], [r["lon"] for r in rows])
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(services.analyst_placement_geojson(rows), name="candidates").add_to(m)
    maps.LayerSwitch({"candidates": "Candidate addresses", "streets": "Streets",
                      "boundaries": "Neighbourhood boundaries"}).add_to(m)
    from web.housing import RESULT_KEY

    return render_template("housing/result.html", rid=None, pseudonym=pseudonym, rows=rows, ranking=checked,
                           saved=None, map=maps.render_map(m, g.csp_nonce), key=RESULT_KEY, synthetic=d.is_synthetic)


@bp.post("/people/<int:pid>/route")
def route(pid: int):
    from web.transport import result_page

    d = data()
    home = (request.form.get("home_postcode") or "").strip()
    urn = (request.form.get("school_urn") or "").strip()
    with store().transaction() as s:
        pseudonym = queries.person_by_id(s, pid).pseudonym
        checked = services.check_route(s, d, action="route.check", home=home, school_urn=urn, child=pseudonym)
    return result_page(d, checked.result, checked.segment_ids, pseudonym=pseudonym, home=home, urn=urn)


# --------------------------------------------------------------------------- notices


NOTICE_FIELDS = (("title", "Enter a title"), ("what_happened", "Enter what happened"),
                 ("what_to_do", "Enter what schools should do"), ("contact", "Enter who schools should contact"))


def _notices_page(values=None, errors=None, status: int = 200):
    d = data()
    with store().transaction() as s:
        listing = [(n.id, n.title, n.valid_from, n.valid_to, n.acknowledgements, n.running)
                   for n in service.list_notices(s, actor())]
    values = values or {"valid_from": g.now.strftime("%Y-%m-%dT%H:%M"), "school_urns": []}
    return render_template("analyst/notices.html", notices=listing, schools=_school_names(d), now=g.now,
                           values=values, errors=errors or {}, synthetic=d.is_synthetic), status


def _school_names(d) -> list[tuple[str, str]]:
    return [(str(u), str(n)) for u, n in zip(d.snapshot.schools["urn"], d.snapshot.schools["name"], strict=True)]


def _notice_form() -> tuple[dict, dict[str, str]]:
    """The notice form's values as typed, and a message for each field that is missing or wrong (GOV.UK
    style, in the form's order); the publishing use case checks them again."""
    from geo_risk.wording import check_text

    f = request.form
    values = {name: f.get(name, "") for name, _ in NOTICE_FIELDS}
    values |= {"valid_from": f.get("valid_from", ""), "valid_to": f.get("valid_to", ""),
               "school_urns": [u for u in f.getlist("school_urns") if u]}
    errors: dict[str, str] = {}
    for name, missing in NOTICE_FIELDS:
        if not values[name].strip():
            errors[name] = missing
            continue
        try:
            check_text(values[name], name.replace("_", " ").capitalize(), shown_to_schools=True)
        except ValidationError as exc:
            errors[name] = str(exc)
    when = {}
    for name, words in (("valid_from", "starts"), ("valid_to", "ends")):
        try:
            when[name] = dt.datetime.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            when[name] = None
        if when[name] is None:
            errors[name] = f"Enter the date and time the notice {words}, for example 26/11/2026 08:00"
    if when.get("valid_from") and when.get("valid_to") and when["valid_to"] <= when["valid_from"]:
        errors["valid_to"] = "The notice must end after it starts"
    if not values["school_urns"]:
        errors["school_urns"] = "Select at least one school the notice is for"
    return values, errors


@bp.get("/notices")
def notices():
    return _notices_page()


@bp.post("/notices")
def notice_create():
    """A notice in three steps: the form (errors beside each field, what was typed kept), "check your
    answers", then publish. ``step`` says which: check (the default), change, or publish."""
    step = request.form.get("step", "check")
    values, errors = _notice_form()
    if step == "change":
        return _notices_page(values)
    if errors:
        return _notices_page(values, errors, 400)
    if step != "publish":
        names = dict(_school_names(data()))
        return render_template("analyst/notice_check.html", values=values,
                               schools=[(u, names.get(u, u)) for u in values["school_urns"]],
                               synthetic=data().is_synthetic)
    try:
        with store().transaction() as s:
            service.publish_notice(
                s, actor(), data(), title=values["title"], what_happened=values["what_happened"],
                what_to_do=values["what_to_do"], contact=values["contact"],
                valid_from=dt.datetime.fromisoformat(values["valid_from"]),
                valid_to=dt.datetime.fromisoformat(values["valid_to"]), school_urns=values["school_urns"])
    except ValidationError as exc:
        return _notices_page(values, {"school_urns": str(exc)}, 400)
    flash("Notice published to the schools chosen.", "ok")
    return redirect(url_for("analyst.notices"), code=303)


@bp.post("/notices/<int:nid>/end")
def notice_end(nid: int):
    with store().transaction() as s:
        service.end_notice(s, actor(), notice_id=nid)
    flash("Notice ended.", "ok")
    return redirect(url_for("analyst.notices"), code=303)


# --------------------------------------------------------------------------- referrals


@bp.get("/referrals")
def referrals():
    with store().transaction() as s:
        rows = [(r.id, r.child_pseudonym, username, r.purpose, r.created_at, r.expires_at, r.revoked_at,
                 r.revoked_at is None and r.expires_at > g.now) for r, username in queries.referral_rows(s)]
        officers = [(u.id, u.username, u.role) for u in queries.users_by_role(s, ("housing", "transport"))]
        children = [p.pseudonym for p in queries.people(s)]
        # every young person the page shows: those referred, and those offered in the form's list
        audit_read_many(s, action="referrals.list", purpose="referral", pseudonyms=[r[1] for r in rows] + children)
    return render_template("analyst/referrals.html", referrals=rows, officers=officers, children=children,
                           synthetic=data().is_synthetic)


@bp.post("/referrals")
def referral_grant():
    f = request.form
    days = f.get("days", type=int) or 0
    if not 1 <= days <= 365:
        raise ValidationError("a referral lasts 1 to 365 days")
    with store().transaction() as s:
        officer = queries.current_user_row(s, f.get("user_id", type=int) or 0)
        purpose = accounts.ROLE_PURPOSE.get(officer.role, "")
        details = {}
        if purpose == "placement":
            details["postcodes"] = services.parse_postcodes(f.get("postcodes"))
        elif purpose == "route":
            if f.get("home_postcode"):
                details["home_postcode"] = services.parse_postcodes(f.get("home_postcode"))[0]
            if f.get("school_urn"):
                details["school_urn"] = f.get("school_urn")
            if f.get("age_band"):
                details["age_band"] = f.get("age_band")
        me = queries.current_user_row(s, g.user.id)
        referral = accounts.grant_referral(s, (f.get("pseudonym") or "").strip(), officer, purpose,
                                           g.now + dt.timedelta(days=days), details=details, created_by=me,
                                           as_of=g.now)
        audit_read(s, action="referral.grant", purpose="referral", pseudonym=referral.child_pseudonym)
    flash("Referral granted.", "ok")
    return redirect(url_for("analyst.referrals"), code=303)


@bp.post("/referrals/<int:rid>/revoke")
def referral_revoke(rid: int):
    with store().transaction() as s:
        referral = accounts.revoke_referral(s, rid, at=g.now)
        audit_read(s, action="referral.revoke", purpose="referral", pseudonym=referral.child_pseudonym)
    flash("Referral revoked.", "ok")
    return redirect(url_for("analyst.referrals"), code=303)


# --------------------------------------------------------------------------- briefings, back-test, policies


@bp.get("/briefings")
def briefings():
    """Every school's tension level (with live notices and overrides), highest first."""
    d = data()
    with store().transaction() as s:
        every = service.brief_schools(s, actor(), d, as_of=g.now) if len(d.snapshot.schools) else {}
    levels = list(d.policy.briefing.levels)
    rows = sorted(({"urn": urn, "name": b.briefing.school_name, "phase": b.briefing.phase, "level": b.level,
                    "reasons": list(b.briefing.tension.reasons),
                    "rank": levels.index(b.level) if b.level in levels else -1} for urn, b in every.items()),
                  key=lambda r: (-r["rank"], r["name"]))
    return render_template("analyst/briefings.html", rows=rows, as_of=d.as_of, synthetic=d.is_synthetic)


@bp.get("/backtest")
def backtest():
    d = data()
    table = d.backtest_table()
    return render_template("analyst/backtest.html", table=table, synthetic=d.is_synthetic)


@bp.get("/policies")
def policies():
    import json

    d = data()
    with store().transaction() as s:
        versions = queries.policy_versions(s)
    policy = d.policy
    return render_template("analyst/policies.html", policy=policy, versions=versions,
                           policy_json=json.dumps(policy.to_dict(), indent=2, sort_keys=True),
                           synthetic=d.is_synthetic)


