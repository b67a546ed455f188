"""A small hand-made city for the web tests (EPSG:27700, in the North Sea like Synthetown)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, MultiPolygon, Point, box

from geo_risk import accounts
from geo_risk.store import session_scope
from geo_risk.store.models import (
    Area,
    ChronologyEntry,
    Group,
    Incident,
    Link,
    Person,
    Place,
    Postcode,
    School,
    StreetSegment,
)

NOW = dt.datetime(2026, 11, 20, 12, 0)
X0, Y0 = 600_000.0, 860_000.0
PASSWORD = "test-password-1"
POSTCODES = {"ZZ1 1AA": (600250, 860250), "ZZ1 1AB": (601750, 861750), "ZZ1 1AC": (600950, 861050),
             "ZZ1 1AD": (601500, 860500), "ZZ1 1AE": (600150, 861850)}
SCHOOLS = {"100001": ("Synthetown Academy (synthetic)", (601000, 861000)),
           "100002": ("Northgate Primary (synthetic)", (600500, 861500))}
# the decision an officer records with a saved check (geo_risk.service.records); "none" is always an option
PLACEMENT_DECISION = {"option": "none", "rationale": "None is near the young person's college.",
                      "case_reference": "HOU/2026/0042", "marking": "OFFICIAL-SENSITIVE"}
ROUTE_DECISION = {"option": "walk_lowest_risk", "rationale": "The detour is short and lit.",
                  "case_reference": "TR/2026/0007", "marking": "OFFICIAL-SENSITIVE"}
USERS = {  # username -> (role, school urns)
    "hana": ("housing", ()), "harry": ("housing", ()), "tariq": ("transport", ()), "tess": ("transport", ()),
    "sami": ("school", ("100001",)), "ana": ("analyst", ()), "adam": ("admin", ()), "pat": ("privacy_officer", ()),
}


@dataclass
class Seeded:
    users: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    referrals: dict[str, int] = field(default_factory=dict)


def seed(engine, *, incidents: int = 400, seed_value: int = 7) -> Seeded:
    rng = np.random.default_rng(seed_value)
    out = Seeded()
    with session_scope(engine) as s:
        for i, (x, y) in enumerate([(0, 0), (1000, 0), (0, 1000), (1000, 1000)]):
            s.add(Area(code=f"Z0100000{i}", name=f"Synthetown 00{i}A (synthetic)", level="lsoa", version="2021",
                       geom=from_shape(MultiPolygon([box(X0 + x, Y0 + y, X0 + x + 1000, Y0 + y + 1000)]), srid=27700)))
        sid = 0
        n = 21
        for i in range(n):
            for j in range(n):
                x, y = X0 + 100 * i, Y0 + 100 * j
                node = i * n + j
                if i + 1 < n:
                    sid += 1
                    s.add(StreetSegment(u=node, v=(i + 1) * n + j, length_m=100.0, highway="residential",
                                        name=f"Row {j} Road", walkable=True,
                                        geom=from_shape(LineString([(x, y), (x + 100, y)]), srid=27700)))
                if j + 1 < n:
                    sid += 1
                    s.add(StreetSegment(u=node, v=i * n + j + 1, length_m=100.0,
                                        highway="footway" if i % 5 == 2 else "residential",
                                        name=f"Column {i} Street", walkable=True,
                                        geom=from_shape(LineString([(x, y), (x, y + 100)]), srid=27700)))
        for pc, (x, y) in POSTCODES.items():
            s.add(Postcode(postcode=pc, quality=10, geom=from_shape(Point(x, y), srid=27700)))
        for urn, (name, (x, y)) in SCHOOLS.items():
            s.add(School(urn=urn, name=name, phase="secondary", postcode=None, geom=from_shape(Point(x, y), srid=27700)))
        cats = ["Violence and sexual offences", "Robbery", "Possession of weapons", "Burglary", "Drugs"]
        hot = np.array([600300.0, 860300.0])
        for k in range(incidents):
            if k % 3 == 0:
                x, y = hot + rng.normal(0, 120, 2)
            else:
                x, y = X0 + rng.uniform(0, 2000), Y0 + rng.uniform(0, 2000)
            when = NOW - dt.timedelta(days=float(rng.uniform(1, 360)))
            when = when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            s.add(Incident(external_id=f"T{k}", category=cats[k % len(cats)], occurred_at=when, has_time=False,
                           month=when.strftime("%Y-%m"), precision="snap_point", source="police.uk",
                           source_type="police", geom=from_shape(Point(float(x), float(y)), srid=27700)))
        for p, child in (("YP-0001", True), ("YP-0002", True), ("YP-0003", True), ("AD-0001", False)):
            person = Person(pseudonym=p, is_child=child, source="social care", source_type="social_care",
                            cce_concern=p == "YP-0001")
            s.add(person)
            s.flush()
            out.people[p] = person.id
        for code in ("G01", "G02"):
            s.add(Group(code=code, label=f"peer group {code[-1]}", source="police", source_type="police"))
        later = NOW + dt.timedelta(days=180)
        links = [("L1", "person", "YP-0001", "group", "G01", "member_of"),
                 ("L2", "group", "G01", "group", "G02", "in_conflict_with"),
                 ("L3", "person", "YP-0002", "group", "G02", "member_of"),
                 ("L4", "person", "AD-0001", "person", "YP-0001", "exploits"),
                 ("L5", "person", "YP-0003", "person", "YP-0001", "associates_with")]
        for lid, fk, fkey, tk, tkey, typ in links:
            s.add(Link(link_id=lid, from_kind=fk, from_key=fkey, to_kind=tk, to_key=tkey, type=typ,
                       evidence_grade="B", source="police", source_type="police",
                       first_seen=NOW - dt.timedelta(days=60), last_seen=NOW - dt.timedelta(days=10),
                       expires_at=later, status="live"))
        places = [("P1", "group", "G02", "hangout", (601700, 861700)),
                  ("P2", "person", "AD-0001", "exploitation_site", (600300, 860300)),
                  ("P3", "person", "YP-0001", "home", (600900, 860900))]
        for pid, kind, key, pkind, (x, y) in places:
            s.add(Place(place_id=pid, entity_kind=kind, entity_key=key, kind=pkind, evidence_grade="A",
                        source="police", source_type="police", first_seen=NOW - dt.timedelta(days=40),
                        last_seen=NOW - dt.timedelta(days=5), expires_at=later, status="live",
                        geom=from_shape(Point(x, y), srid=27700)))
        s.add(ChronologyEntry(child_pseudonym="YP-0001", occurred_at=NOW - dt.timedelta(days=20), kind="concern",
                              summary="Missing from home overnight; returned with new phone.", evidence_grade="B",
                              source="social care", source_type="social_care"))
        s.flush()
        for username, (role, urns) in USERS.items():
            # Exempt from two-factor sign-in on this synthetic city, as the demo's accounts are.
            out.users[username] = accounts.create_user(s, username, role, PASSWORD, school_urns=urns,
                                                       demo_account=True).id
        hana = accounts.get_user(s, "hana")
        tariq = accounts.get_user(s, "tariq")
        ana = accounts.get_user(s, "ana")
        out.referrals["hana"] = accounts.grant_referral(
            s, "YP-0001", hana, "placement", NOW + dt.timedelta(days=30),
            details={"postcodes": ["ZZ1 1AA", "ZZ1 1AB", "ZZ1 1AC"]}, created_by=ana, as_of=NOW).id
        out.referrals["tariq"] = accounts.grant_referral(
            s, "YP-0001", tariq, "route", NOW + dt.timedelta(days=30),
            details={"home_postcode": "ZZ1 1AA", "school_urn": "100001"}, created_by=ana, as_of=NOW).id
        out.referrals["hana_other"] = accounts.grant_referral(
            s, "YP-0002", accounts.get_user(s, "harry"), "placement", NOW + dt.timedelta(days=30), as_of=NOW).id
    return out
