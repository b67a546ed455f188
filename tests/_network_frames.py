"""Builders of small data-contract frames for the tests (no real data).

Each builder takes a list of dicts with only the fields that matter to the case; the
rest get neutral defaults (grade B, live, seen ``as_of`` minus ``age_days``)::

    links = links_frame([{"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2",
                          "type": "in_conflict_with", "age_days": 30}], as_of="2026-11-01")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo_risk.network._time import as_timestamp

PEOPLE_COLUMNS = (
    "pseudonym",
    "is_child",
    "birth_month",
    "cce_concern",
    "cse_concern",
    "looked_after",
    "sex",
    "ethnicity",
    "religion",
)

LINK_FRAME_COLUMNS = (
    "link_id",
    "from_kind",
    "to_kind",
    "from_key",
    "to_key",
    "type",
    "evidence_grade",
    "source",
    "source_type",
    "first_seen",
    "last_seen",
    "review_by",
    "expires_at",
    "status",
)


def people_frame(rows: Sequence[dict[str, Any] | str]) -> pd.DataFrame:
    """People; a bare string is a child's pseudonym."""
    out = []
    for row in rows:
        row = {"pseudonym": row} if isinstance(row, str) else dict(row)
        out.append(
            {
                "pseudonym": row["pseudonym"],
                "is_child": row.get("is_child", True),
                "birth_month": row.get("birth_month"),
                "cce_concern": row.get("cce_concern", False),
                "cse_concern": row.get("cse_concern", False),
                "looked_after": row.get("looked_after", False),
                "sex": row.get("sex", "not recorded"),
                "ethnicity": row.get("ethnicity", "not recorded"),
                "religion": row.get("religion", "not recorded"),
            }
        )
    return pd.DataFrame(out, columns=list(PEOPLE_COLUMNS))


def groups_frame(codes: Sequence[str]) -> pd.DataFrame:
    """Peer groups with neutral labels."""
    return pd.DataFrame({"code": list(codes), "label": [f"peer group {c}" for c in codes]})


def _dates(row: dict[str, Any], as_of: pd.Timestamp) -> dict[str, Any]:
    age = pd.Timedelta(days=float(row.get("age_days", 0.0)))
    last = pd.Timestamp(row["last_seen"]) if "last_seen" in row else as_of - age
    first = pd.Timestamp(row["first_seen"]) if "first_seen" in row else last - pd.Timedelta(days=30)
    expires = pd.Timestamp(row["expires_at"]) if row.get("expires_at") is not None else last + pd.Timedelta(days=730)
    return {
        "first_seen": first,
        "last_seen": last,
        "review_by": last + pd.Timedelta(days=180),
        "expires_at": expires,
        "status": row.get("status", "live"),
    }


def links_frame(rows: Sequence[dict[str, Any]], *, as_of: Any) -> pd.DataFrame:
    """Links; ``from_kind``/``to_kind`` default to ``person``, or ``group`` for keys starting with ``G``."""
    as_of = as_timestamp(as_of)
    out = []
    for row in rows:
        kind = lambda key: "group" if str(key).startswith("G") else "person"
        out.append(
            {
                "link_id": row["link_id"],
                "from_kind": row.get("from_kind", kind(row["from_key"])),
                "to_kind": row.get("to_kind", kind(row["to_key"])),
                "from_key": row["from_key"],
                "to_key": row["to_key"],
                "type": row["type"],
                "evidence_grade": row.get("evidence_grade", "B"),
                "source": row.get("source", "test agency"),
                "source_type": row.get("source_type", "police"),
                **_dates(row, as_of),
            }
        )
    frame = pd.DataFrame(out, columns=list(LINK_FRAME_COLUMNS))
    for column in ("first_seen", "last_seen", "review_by", "expires_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


def places_frame(rows: Sequence[dict[str, Any]], *, as_of: Any) -> gpd.GeoDataFrame:
    """Places with ``x``/``y`` in EPSG:27700; ``entity_kind`` inferred from the key as for links."""
    as_of = as_timestamp(as_of)
    out = []
    geoms = []
    for row in rows:
        key = row["entity_key"]
        out.append(
            {
                "place_id": row["place_id"],
                "entity_kind": row.get("entity_kind", "group" if str(key).startswith("G") else "person"),
                "entity_key": key,
                "kind": row.get("kind", "hangout"),
                "evidence_grade": row.get("evidence_grade", "B"),
                "source": row.get("source", "test agency"),
                "source_type": row.get("source_type", "police"),
                **_dates(row, as_of),
            }
        )
        geoms.append(Point(float(row["x"]), float(row["y"])))
    frame = pd.DataFrame(
        out,
        columns=[
            "place_id",
            "entity_kind",
            "entity_key",
            "kind",
            "evidence_grade",
            "source",
            "source_type",
            "first_seen",
            "last_seen",
            "review_by",
            "expires_at",
            "status",
        ],
    )
    for column in ("first_seen", "last_seen", "review_by", "expires_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=27700), crs=27700)
