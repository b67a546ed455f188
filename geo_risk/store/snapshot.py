"""The in-memory snapshot: every table the core reads, as data-contract frames.

Analytics never query the database row by row; the web app and the CLI load a
:class:`Snapshot` once and rebuild it when data changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from geo_risk.crs import STORE_CRS
from geo_risk.errors import NotFound, ValidationError

log = logging.getLogger(__name__)

_QUERIES = {
    "incidents": (
        "SELECT id AS incident_id, external_id, category, source, source_type, occurred_at, has_time, "
        "precision, month, weapon, age_band, ST_AsBinary(geom) AS wkb FROM incident ORDER BY id"
    ),
    "schools": "SELECT urn, name, phase, postcode, ST_AsBinary(geom) AS wkb FROM school ORDER BY urn",
    "areas": "SELECT code, name, level, version, ST_AsBinary(geom) AS wkb FROM area ORDER BY level, code",
    "postcodes": "SELECT postcode, ST_AsBinary(geom) AS wkb FROM postcode ORDER BY postcode",
    "streets": (
        "SELECT id AS segment_id, u, v, length_m, highway, name, walkable, ST_AsBinary(geom) AS wkb "
        "FROM street_segment ORDER BY id"
    ),
    "places": (
        "SELECT place_id, entity_kind, entity_key, kind, evidence_grade, source, source_type, first_seen, "
        "last_seen, review_by, expires_at, status, ST_AsBinary(geom) AS wkb FROM place ORDER BY place_id"
    ),
}
_PLAIN = {
    "people": (
        # Protected characteristics (sex, ethnicity, religion) are not loaded: the
        # serving snapshot never needs them. Fairness monitoring reads them itself.
        "SELECT pseudonym, is_child, birth_month, cce_concern, cse_concern, looked_after, "
        "source, source_type FROM person ORDER BY pseudonym"
    ),
    "groups": "SELECT code, label FROM peer_group ORDER BY code",
    "links": (
        "SELECT link_id, from_kind, from_key, to_kind, to_key, type, evidence_grade, source, source_type, "
        "first_seen, last_seen, review_by, expires_at, status FROM link ORDER BY link_id"
    ),
}
_DATES = ("occurred_at", "first_seen", "last_seen", "review_by", "expires_at")
_BOOLS = ("has_time", "walkable", "is_child", "cce_concern", "cse_concern", "looked_after")


@dataclass(frozen=True)
class Snapshot:
    """Every table the core reads, in EPSG:27700, loaded at one moment."""

    incidents: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    people: pd.DataFrame
    groups: pd.DataFrame
    links: pd.DataFrame
    loaded_at: dt.datetime
    postcodes: gpd.GeoDataFrame | None = None  # postcode centres: the addresses placements are ranked among

    def person(self, pseudonym: str) -> pd.Series:
        """The row of ``pseudonym``; :class:`NotFound` if there is none."""
        rows = self.people[self.people["pseudonym"] == pseudonym]
        if rows.empty:
            msg = f"no young person with pseudonym {pseudonym!r}"
            raise NotFound(msg)
        return rows.iloc[0]

    def school(self, urn: str) -> pd.Series:
        rows = self.schools[self.schools["urn"] == str(urn)]
        if rows.empty:
            msg = f"no school with URN {urn!r}; import schools with `geo-risk import schools FILE`"
            raise NotFound(msg)
        return rows.iloc[0]


def _fix_types(df: pd.DataFrame) -> pd.DataFrame:
    for col in _DATES:
        if col in df.columns:
            df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[ns]")
    for col in _BOOLS:
        if col in df.columns:
            df[col] = df[col].fillna(False).astype(bool)
    for col in ("u", "v"):
        if col in df.columns:
            df[col] = df[col].astype("int64")
    return df


def _read_geo(conn: Connection, sql: str) -> gpd.GeoDataFrame:
    df = pd.read_sql_query(text(sql), conn)
    wkb = df.pop("wkb")
    geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in wkb]) if len(wkb) else np.array([])
    return gpd.GeoDataFrame(_fix_types(df), geometry=gpd.GeoSeries(geoms, index=df.index), crs=STORE_CRS)


def load_snapshot(bind: Engine | Connection) -> Snapshot:
    """Load every table the core reads into memory."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_snapshot(conn)
    frames: dict[str, object] = {}
    for name, sql in _QUERIES.items():
        frames[name] = _read_geo(bind, sql)
    for name, sql in _PLAIN.items():
        frames[name] = _fix_types(pd.read_sql_query(text(sql), bind))
    log.info(
        "snapshot: %d incidents, %d schools, %d areas, %d street segments, %d people, %d links",
        len(frames["incidents"]), len(frames["schools"]), len(frames["areas"]), len(frames["streets"]),
        len(frames["people"]), len(frames["links"]),
    )
    return Snapshot(loaded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), **frames)  # type: ignore[arg-type]


def resolve_postcodes(bind: Engine | Connection, postcodes: list[str]) -> dict[str, tuple[float, float]]:
    """Easting/northing of each postcode; :class:`ValidationError` naming any not found."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return resolve_postcodes(conn, postcodes)
    wanted = {normalise_postcode(p): p for p in postcodes}
    found: dict[str, tuple[float, float]] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        params = {f"p{i}": k for i, k in enumerate(chunk)}
        placeholders = ", ".join(f":p{i}" for i in range(len(chunk)))
        rows = bind.execute(
            text(f"SELECT postcode, ST_X(geom), ST_Y(geom) FROM postcode WHERE postcode IN ({placeholders})"),
            params,
        ).all()
        for pc, x, y in rows:
            found[pc] = (float(x), float(y))
    missing = [wanted[k] for k in keys if k not in found]
    if missing:
        msg = (
            f"postcode(s) not found: {', '.join(missing)}; check the spelling or import Code-Point Open "
            "with `geo-risk import postcodes FOLDER`"
        )
        raise ValidationError(msg)
    return {wanted[k]: found[k] for k in keys}


def normalise_postcode(postcode: str) -> str:
    """Upper case with a single space before the inward code: ``bs11aa`` -> ``BS1 1AA``."""
    compact = "".join(str(postcode).split()).upper()
    if len(compact) < 5 or len(compact) > 7:
        msg = f"{postcode!r} is not a UK postcode (expected e.g. 'BS1 1AA')"
        raise ValidationError(msg)
    return f"{compact[:-3]} {compact[-3:]}"
