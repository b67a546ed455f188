"""Emergency-department assault records (Cardiff model) -> incidents in EPSG:27700.

The Cardiff model shares, for each assault seen in an emergency department, *where*
and *when* it happened and *how*, never *who*. Columns (case-insensitive):

- ``date`` (or ``attendance_date``/``incident_date``/``assault_date``; required):
  ``YYYY-MM-DD`` or ``DD/MM/YYYY``;
- time: ``time_band`` like ``08:00-08:59`` (or ``time``/``hour``: ``14:30`` or ``14``), the
  hospital's clock time: ``occurred_at`` is the start of the band in UTC (a summer 08:00 is
  07:00 UTC) and ``has_time`` is True; without a time the date at 00:00 and ``has_time`` False.
  ``month`` is the clock month;
- location: ``x``/``y`` or ``easting``/``northing`` (EPSG:27700), ``lon``/``lat``, or
  ``incident_postcode``/``location_postcode`` resolved through the ``postcodes`` lookup
  (``precision`` is ``exact`` for coordinates, ``postcode`` for postcode centres);
- ``weapon``, ``age_band``, ``location_type``, ``record_id`` (optional; without a
  ``record_id`` the ``external_id`` is a hash of the row and its ordinal, stable on re-import).

Patient identifiers are refused, the whole file, before any row is used: ``nhs_number``,
``name``, ``first_name``, ``surname``, ``dob``, ``date_of_birth``, ``address``,
``home_postcode``, ``patient_postcode``, ``residence_postcode``, ``hospital_number``,
``mrn``, ``patient_id``, ``phone``, ``email``... A bare ``postcode`` column is refused
too: it is often the patient's home; rename it ``incident_postcode`` if it is where the
assault happened.

``category`` is ``ED assault injury``, ``source_type`` ``health``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_risk.contract import INJURY_CATEGORY
from geo_risk.crs import STORE_CRS
from geo_risk.errors import ValidationError
from geo_risk.ingest._files import (
    DEFAULT_MAX_BYTES,
    PathsLike,
    Problems,
    Source,
    expand_sources,
    read_csv_strings,
    resolve_area,
)
from geo_risk.ingest._points import classify_points, find_coordinate_columns, parse_points
from geo_risk.ingest._report import OK, REJECTED, ImportResult, build_report, settle
from geo_risk.ingest._tables import canon_columns, refuse_identifier_columns
from geo_risk.ingest.postcodes import normalise_postcodes, postcode_lookup

log = logging.getLogger(__name__)

KIND = "injuries"
CATEGORY = INJURY_CATEGORY
SOURCE_TYPE = "health"
# the clock ED time bands are written in
LOCAL_CLOCK = "Europe/London"
DATE_COLUMNS = ("date", "attendance_date", "incident_date", "assault_date")
TIME_COLUMNS = ("time_band", "timeband", "time", "hour", "assault_time")
POSTCODE_COLUMNS = ("incident_postcode", "location_postcode", "assault_postcode")
PATIENT_IDENTIFIERS = {
    "nhs_number": "an NHS number",
    "nhs_no": "an NHS number",
    "nhsnumber": "an NHS number",
    "chi_number": "a patient number",
    "hospital_number": "a patient number",
    "hospital_no": "a patient number",
    "mrn": "a patient number",
    "patient_id": "a patient number",
    "patient_number": "a patient number",
    "name": "a name",
    "patient_name": "a name",
    "first_name": "a name",
    "firstname": "a name",
    "forename": "a name",
    "surname": "a name",
    "last_name": "a name",
    "full_name": "a name",
    "dob": "a date of birth",
    "date_of_birth": "a date of birth",
    "birth_date": "a date of birth",
    "address": "an address",
    "home_address": "an address",
    "patient_address": "an address",
    "address_1": "an address",
    "address1": "an address",
    "home_postcode": "the postcode of residence",
    "patient_postcode": "the postcode of residence",
    "residence_postcode": "the postcode of residence",
    "postcode_of_residence": "the postcode of residence",
    "postcode": (
        "a postcode that may be the patient's home "
        "(rename it incident_postcode if it is where the assault happened)"
    ),
    "gp": "a GP practice", "gp_practice": "a GP practice",
    "phone": "a phone number",
    "phone_number": "a phone number",
    "email": "an email address",
}
_BAND_RE = re.compile(r"^\s*(\d{1,2}):?(\d{2})?\s*(?:-\s*(\d{1,2}):?(\d{2})?)?\s*$")
OUTPUT_COLUMNS = [
    "incident_id", "external_id", "category", "source", "source_type", "occurred_at", "has_time", "precision",
    "month", "time_band", "weapon", "age_band", "location_type", "source_file", "source_row", "geometry",
]


def read_injuries(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    postcodes: object = None,
    source: str = "emergency department",
    errors: Literal["raise", "reject"] = "raise",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read Cardiff-model ED assault CSVs into incidents.

    Parameters
    ----------
    paths_or_path
        CSV files, folders of them or zips.
    area
        Optional area of interest; records outside it are ``out_of_area``.
    postcodes
        Postcode lookup for ``incident_postcode`` locations (GeoDataFrame with a ``postcode``
        column, an ImportResult or a dict).
    source
        The agency name recorded as ``source`` (e.g. the hospital trust).
    errors
        ``"raise"``: malformed rows fail the import with one message; ``"reject"``: they are rejected.
    max_bytes
        Size limit per file.
    """
    lookup = postcode_lookup(postcodes) if postcodes is not None else None
    sources = expand_sources(paths_or_path, suffixes=[".csv"], max_bytes=max_bytes, what="ED injury CSV")
    geom_area = resolve_area(area)
    frames = [_read_one(s, i, geom_area, lookup, errors) for i, s in enumerate(sources)]
    allrows = pd.concat(frames, ignore_index=True)
    accepted, rejections = settle(allrows, key="key", what="record")
    acc = allrows.loc[accepted].reset_index(drop=True)
    n = len(acc)
    gdf = gpd.GeoDataFrame(
        {
            "incident_id": np.arange(n, dtype="int64"),
            "external_id": acc["key"].astype(object),
            "category": np.full(n, CATEGORY, dtype=object),
            "source": np.full(n, source, dtype=object),
            "source_type": np.full(n, SOURCE_TYPE, dtype=object),
            "occurred_at": pd.to_datetime(acc["occurred_at"]).astype("datetime64[ns]"),
            "has_time": acc["has_time"].astype(bool),
            "precision": acc["precision"].astype(object),
            "month": acc["month"].astype(object),
            "time_band": acc["time_band"].astype(object),
            "weapon": acc["weapon"].astype(object),
            "age_band": acc["age_band"].astype(object),
            "location_type": acc["location_type"].astype(object),
            "source_file": acc["source_file"].astype(object),
            "source_row": acc["source_row"].astype("int64"),
        },
        geometry=gpd.points_from_xy(acc["x"], acc["y"]),
        crs=STORE_CRS,
    )[OUTPUT_COLUMNS]
    rows_read = allrows.groupby("source_file", sort=False).size().to_dict()
    acc_counts = acc.groupby("source_file", sort=False).size().to_dict()
    report = build_report(KIND, [s.name for s in sources], rows_read, acc_counts, rejections)
    log.info("%s", report.summary())
    return ImportResult(kind=KIND, gdf=gdf, report=report)


def parse_time_bands(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(start minutes after midnight or -1, valid, normalised band text)`` for each value.

    Accepts ``08:00-08:59``, ``0800-0859``, ``08:00``, ``8`` (an hour). Empty -> -1, valid.
    """
    text = values.astype(str).str.strip()
    parts = text.str.extract(_BAND_RE)
    empty = (text == "").to_numpy()
    h1 = pd.to_numeric(parts[0], errors="coerce").to_numpy()
    m1 = pd.to_numeric(parts[1], errors="coerce").fillna(0).to_numpy()
    h2 = pd.to_numeric(parts[2], errors="coerce").to_numpy()
    m2 = pd.to_numeric(parts[3], errors="coerce").fillna(0).to_numpy()
    ok = np.isfinite(h1) & (h1 >= 0) & (h1 <= 23) & (m1 >= 0) & (m1 <= 59)
    has_end = np.isfinite(h2)
    ok &= ~has_end | ((h2 >= 0) & (h2 <= 23) & (m2 >= 0) & (m2 <= 59))
    start = np.where(ok, np.nan_to_num(h1) * 60 + m1, -1).astype("int64")
    band = np.where(
        ok,
        pd.Series(np.nan_to_num(h1).astype(int)).map("{:02d}".format).to_numpy(dtype=object)
        + ":" + pd.Series(m1.astype(int)).map("{:02d}".format).to_numpy(dtype=object),
        "",
    )
    end = (
        pd.Series(np.nan_to_num(h2).astype(int)).map("{:02d}".format).to_numpy(dtype=object)
        + ":"
        + pd.Series(m2.astype(int)).map("{:02d}".format).to_numpy(dtype=object)
    )
    band = np.where(ok & has_end, band + "-" + end, band)
    valid = empty | ok
    start = np.where(empty, -1, start)
    return start, valid, band.astype(object)


def _col(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in df.columns), None)


def _read_one(src: Source, index: int, area: object, lookup: dict | None, errors: str) -> pd.DataFrame:
    raw = read_csv_strings(src, what="ED injury CSV")
    refuse_identifier_columns(src, list(raw.columns), PATIENT_IDENTIFIERS, what="ED injury records",
                              fix="share where, when and how, never who")
    df = canon_columns(raw)
    n = len(df)
    rows = np.arange(2, n + 2, dtype="int64")
    date_col = _col(df, DATE_COLUMNS)
    spec = find_coordinate_columns(list(df.columns))
    pc_col = _col(df, POSTCODE_COLUMNS)
    if date_col is None or (spec is None and pc_col is None):
        need = []
        if date_col is None:
            need.append("a date column (date)")
        if spec is None and pc_col is None:
            need.append("a location (x,y or easting,northing or lon,lat, or incident_postcode)")
        msg = (
            f"{src.name} lacks {' and '.join(need)} (it has: {', '.join(df.columns)}); Cardiff-model records "
            "need date, time_band, a location, weapon and age_band"
        )
        raise ValidationError(msg)
    if spec is None and lookup is None:
        msg = (
            f"{src.name} locates assaults by incident postcode only; pass a postcode lookup "
            "(postcodes=read_postcodes(...)) or import Code-Point Open first with `geo-risk import postcodes FOLDER`"
        )
        raise ValidationError(msg)
    problems = Problems(src.name)
    dtext = df[date_col].str.strip()
    iso = pd.to_datetime(dtext.where(dtext != "", None), format="ISO8601", errors="coerce")
    uk = pd.to_datetime(dtext.where((dtext != "") & iso.isna(), None), format="%d/%m/%Y", errors="coerce")
    date = iso.fillna(uk).astype("datetime64[ns]").dt.normalize()
    problems.add(rows[(dtext == "").to_numpy()], f"{date_col} is empty; every record needs the date of the assault")
    problems.add(rows[((dtext != "") & date.isna()).to_numpy()], f"{date_col} is not a date; write YYYY-MM-DD")
    time_col = _col(df, TIME_COLUMNS)
    if time_col is not None:
        start, valid, band = parse_time_bands(df[time_col])
        problems.add(rows[~valid], f"{time_col} must look like 08:00-08:59 (or an hour 0-23)")
    else:
        start = np.full(n, -1, dtype="int64")
        band = np.full(n, "", dtype=object)
    if spec is not None:
        x, y, _bad = parse_points(df, rows, problems, spec)
    else:
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
    if problems and errors == "raise":
        problems.raise_if_any()
    status = np.full(n, OK, dtype="int8")
    reason = np.full(n, "", dtype=object)
    bad_rows, bad_reasons = problems.as_rejections()
    if bad_rows.size:
        status[bad_rows - 2] = REJECTED
        reason[bad_rows - 2] = bad_reasons
    precision = np.where(np.isfinite(x) & np.isfinite(y), "exact", "").astype(object)
    if pc_col is not None:
        pcs, pc_valid = normalise_postcodes(df[pc_col])
        need = (status == OK) & (precision == "")
        hits = pd.Series(pcs.to_numpy(dtype=object)[need]).map(lookup or {})
        found = hits.notna().to_numpy()
        idx = np.flatnonzero(need)
        for i, hit in zip(idx[found], hits[found], strict=True):
            x[i], y[i] = hit
            precision[i] = "postcode"
        miss = idx[~found]
        status[miss] = REJECTED
        reason[miss] = [
            f"no coordinates and incident postcode {pcs.iloc[i]!r} is not in the postcode lookup" if pc_valid[i]
            else "no coordinates and no valid incident postcode" for i in miss
        ]
    classify_points(x, y, status, reason, area)
    minutes = pd.to_timedelta(np.maximum(start, 0), unit="min")
    # a time band is the hospital's clock time (Europe/London); occurred_at is naive UTC (the data
    # contract), so a summer 08:00 is stored as 07:00. A clock time that happens twice (the autumn
    # change) is read as the first; one that never happens (spring) as the moment after the gap.
    local = date + minutes
    utc = (local.dt.tz_localize(LOCAL_CLOCK, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward")
           .dt.tz_convert("UTC").dt.tz_localize(None))
    occurred = np.where(start >= 0, utc.to_numpy(), local.to_numpy())
    extras = {
        c: (
            df[c].str.strip().replace("", None).to_numpy(dtype=object)
            if c in df.columns
            else np.full(n, None, dtype=object)
        )
        for c in ("weapon", "age_band", "location_type")
    }
    if "record_id" in df.columns:
        rid = df["record_id"].str.strip()
        key = np.where(rid != "", "ed:" + rid, None).astype(object)
    else:
        key = np.full(n, None, dtype=object)
    missing_key = pd.isna(key)
    if missing_key.any():
        content = df.loc[missing_key].astype(str).agg("\x1f".join, axis=1)
        ordinal = content.groupby(content, sort=False).cumcount().astype(str)
        key[missing_key] = ["h:" + hashlib.sha1(t.encode("utf-8")).hexdigest() for t in (content + "\x1e" + ordinal)]
    return pd.DataFrame(
        {
            "file_index": index,
            "source_file": src.name,
            "source_row": rows,
            "status": status,
            "reason": reason,
            "key": key,
            "occurred_at": occurred,
            "has_time": start >= 0,
            "month": date.dt.strftime("%Y-%m").to_numpy(dtype=object),
            "precision": precision,
            "time_band": np.where(band == "", None, band),
            **extras,
            "x": x,
            "y": y,
        }
    )
