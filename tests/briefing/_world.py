"""A small synthetic world for briefing tests (seeded; clearly not a real place)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from geo_risk.crs import STORE_CRS

X0, Y0 = 350_000.0, 170_000.0
AS_OF = pd.Timestamp("2025-05-01")
POLICE_CATEGORIES = {
    "Violence and sexual offences": 0.35,
    "Anti-social behaviour": 0.25,
    "Criminal damage and arson": 0.1,
    "Shoplifting": 0.1,
    "Public order": 0.08,
    "Robbery": 0.04,
    "Possession of weapons": 0.03,
    "Drugs": 0.05,
}


def areas(n: int = 6, size: float = 500.0) -> gpd.GeoDataFrame:
    rows = []
    for i in range(n):
        for j in range(n):
            k = i * n + j
            rows.append(
                {
                    "code": f"Z0{k:07d}",
                    "name": f"Synthetic {k:03d}",
                    "level": "lsoa",
                    "version": "2021",
                    "geometry": box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size),
                }
            )
    rows.append(
        {"code": "ZW000001", "name": "Synthetic ward", "level": "ward", "version": "2021",
         "geometry": box(X0, Y0, X0 + n * size / 2, Y0 + n * size)}
    )
    return gpd.GeoDataFrame(rows, crs=STORE_CRS)


def schools() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "urn": ["900001", "900002", "900003"],
            "name": ["Synthetic Primary", "Synthetic Academy", "Synthetic Park School"],
            "phase": ["primary", "secondary", "secondary"],
            "geometry": [Point(X0 + 750, Y0 + 750), Point(X0 + 2600, Y0 + 2600), Point(X0 + 1500, Y0 + 2500)],
        },
        crs=STORE_CRS,
    )


def incidents(seed: int = 7, n_police: int = 6000, n_dated: int = 600, burst_near: Point | None = None,
              burst: int = 0) -> gpd.GeoDataFrame:
    """Police.uk-like month-only incidents over 24 months, dated partner/ED incidents, an optional burst."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(AS_OF - pd.DateOffset(months=26), periods=24, freq="MS")  # police.uk lags 2 months
    cats = list(POLICE_CATEGORIES)
    probs = np.array(list(POLICE_CATEGORIES.values()))
    probs /= probs.sum()
    frames = []
    x = X0 + rng.uniform(0, 3000, n_police)
    y = Y0 + rng.uniform(0, 3000, n_police)
    frames.append(
        pd.DataFrame(
            {
                "category": rng.choice(cats, n_police, p=probs),
                "source": "police.uk",
                "source_type": "police",
                "occurred_at": months[rng.integers(0, len(months), n_police)],
                "has_time": False,
                "precision": "snap_point",
                "x": np.round(x, -1),
                "y": np.round(y, -1),
            }
        )
    )
    start = AS_OF - pd.Timedelta(days=730)
    t = start + pd.to_timedelta(rng.uniform(0, 730 * 86400, n_dated), unit="s")
    frames.append(
        pd.DataFrame(
            {
                "category": rng.choice(
                    ["ED assault injury", "Robbery", "Partner incident"], n_dated, p=[0.3, 0.3, 0.4]
                ),
                "source": "partner",
                "source_type": "health",
                "occurred_at": t,
                "has_time": True,
                "precision": "exact",
                "x": X0 + rng.uniform(0, 3000, n_dated),
                "y": Y0 + rng.uniform(0, 3000, n_dated),
            }
        )
    )
    if burst and burst_near is not None:
        t = AS_OF - pd.to_timedelta(rng.uniform(3600, 6 * 86400, burst), unit="s")
        frames.append(
            pd.DataFrame(
                {
                    "category": np.where(np.arange(burst) % 2 == 0, "ED assault injury", "Robbery"),
                    "source": "partner",
                    "source_type": "health",
                    "occurred_at": t,
                    "has_time": True,
                    "precision": "exact",
                    "x": burst_near.x + rng.normal(0, 100, burst),
                    "y": burst_near.y + rng.normal(0, 100, burst),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df["occurred_at"] = pd.to_datetime(df["occurred_at"]).astype("datetime64[ns]")
    df.insert(0, "incident_id", np.arange(len(df), dtype=np.int64))
    df["external_id"] = None
    geom = gpd.points_from_xy(df.pop("x"), df.pop("y"))
    return gpd.GeoDataFrame(df, geometry=geom, crs=STORE_CRS)


def network(as_of: pd.Timestamp = AS_OF, near: Point | None = None, expired: bool = False):
    """Two peer groups of three live members each in conflict; two members of one, reported by two
    sources, have hangouts near ``near``."""
    near = near or Point(X0 + 750, Y0 + 750)
    groups = pd.DataFrame({"code": ["G03", "G07", "G09"], "label": ["peer group 3", "peer group 7", "peer group 9"]})
    day = pd.Timedelta(days=1)
    links = pd.DataFrame(
        [
            {"link_id": "L1", "from_kind": "group", "from_key": "G03", "to_kind": "group", "to_key": "G07",
             "type": "in_conflict_with", "evidence_grade": "B", "source": "youth service",
             "source_type": "voluntary_sector", "first_seen": as_of - 200 * day, "last_seen": as_of - 20 * day,
             "review_by": as_of + 60 * day, "expires_at": (as_of - day) if expired else as_of + 90 * day,
             "status": "live"},
            {"link_id": "L2", "from_kind": "person", "from_key": "YP-0042", "to_kind": "group", "to_key": "G07",
             "type": "member_of", "evidence_grade": "C", "source": "school", "source_type": "education",
             "first_seen": as_of - 300 * day, "last_seen": as_of - 40 * day, "review_by": as_of + 60 * day,
             "expires_at": as_of + 200 * day, "status": "live"},
            {"link_id": "L3", "from_kind": "person", "from_key": "YP-0077", "to_kind": "person", "to_key": "YP-0042",
             "type": "associates_with", "evidence_grade": "C", "source": "parent", "source_type": "parent_carer",
             "first_seen": as_of - 300 * day, "last_seen": as_of - 40 * day, "review_by": as_of + 60 * day,
             "expires_at": as_of + 200 * day, "status": "live"},
        ]
    )
    # enough live members for a school to be shown each group (policy school_min_group_members)
    extra = [("YP-0043", "G07"), ("YP-0044", "G07"), ("YP-0050", "G03"), ("YP-0051", "G03"), ("YP-0052", "G03")]
    links = pd.concat([links, pd.DataFrame([
        {"link_id": f"LM{k}", "from_kind": "person", "from_key": who, "to_kind": "group", "to_key": group,
         "type": "member_of", "evidence_grade": "C", "source": "youth service", "source_type": "voluntary_sector",
         "first_seen": as_of - 300 * day, "last_seen": as_of - 40 * day, "review_by": as_of + 60 * day,
         "expires_at": as_of + 200 * day, "status": "live"} for k, (who, group) in enumerate(extra)])],
        ignore_index=True)
    for col in ("first_seen", "last_seen", "review_by", "expires_at"):
        links[col] = pd.to_datetime(links[col]).astype("datetime64[ns]")
    places = gpd.GeoDataFrame(
        [
            {"place_id": "P1", "entity_kind": "person", "entity_key": "YP-0042", "kind": "hangout",
             "evidence_grade": "C", "source": "school", "source_type": "education",
             "first_seen": as_of - 100 * day, "last_seen": as_of - 10 * day, "review_by": as_of + 60 * day,
             "expires_at": as_of + 100 * day, "status": "live", "geometry": Point(near.x + 200, near.y - 150)},
            {"place_id": "P2", "entity_kind": "person", "entity_key": "YP-0042", "kind": "home",
             "evidence_grade": "A", "source": "social care", "source_type": "social_care",
             "first_seen": as_of - 100 * day, "last_seen": as_of - 10 * day, "review_by": as_of + 60 * day,
             "expires_at": as_of + 100 * day, "status": "live", "geometry": Point(near.x + 50, near.y + 50)},
            {"place_id": "P4", "entity_kind": "person", "entity_key": "YP-0043", "kind": "hangout",
             "evidence_grade": "C", "source": "youth service", "source_type": "voluntary_sector",
             "first_seen": as_of - 100 * day, "last_seen": as_of - 12 * day, "review_by": as_of + 60 * day,
             "expires_at": as_of + 100 * day, "status": "live", "geometry": Point(near.x + 210, near.y - 140)},
            {"place_id": "P3", "entity_kind": "group", "entity_key": "G03", "kind": "hangout",
             "evidence_grade": "B", "source": "police", "source_type": "police",
             "first_seen": as_of - 100 * day, "last_seen": as_of - 30 * day, "review_by": as_of + 60 * day,
             "expires_at": as_of + 100 * day, "status": "live", "geometry": Point(X0 + 2900, Y0 + 100)},
        ],
        crs=STORE_CRS,
    )
    for col in ("first_seen", "last_seen", "review_by", "expires_at"):
        places[col] = pd.to_datetime(places[col]).astype("datetime64[ns]")
    who = ["YP-0042", "YP-0077", *(w for w, _ in extra)]
    n = len(who)
    people = pd.DataFrame(
        {"pseudonym": who, "is_child": [True] * n, "birth_month": [None] * n,
         "cce_concern": [True] + [False] * (n - 1), "cse_concern": [False] * n, "looked_after": [False] * n,
         "sex": [""] * n, "ethnicity": [""] * n, "religion": [""] * n}
    )
    return groups, links, places, people
