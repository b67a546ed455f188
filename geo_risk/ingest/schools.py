"""School lists (GIAS extracts, DfE performance tables) -> schools in EPSG:27700.

Columns are found by name, case-insensitively:

- ``URN`` (required): the school's unique reference number;
- name: ``EstablishmentName``, ``SCHNAME``, ``SchName`` or ``name`` (required);
- position: ``Easting``/``Northing`` (or ``x``/``y``, or ``Longitude``/``Latitude``);
  a row without one is located by its postcode (``Postcode``/``POSTCODE``) through the
  ``postcodes`` lookup given (from :func:`geo_risk.ingest.postcodes.read_postcodes` or
  the stored postcodes); a list with only postcodes needs that lookup;
- phase, from the first of: ``phase`` (already one of the contract values);
  GIAS ``PhaseOfEducation (name)``; the DfE flags ``ISPRIMARY``/``ISSECONDARY``/``ISPOST16``;
  ``SchLevel``. A special school (``TypeOfEstablishment (name)``, ``MINORGROUP``,
  ``NFTYPE`` or ``SchoolType`` containing "special") is ``special``. Phases are
  ``primary``, ``secondary``, ``all-through``, ``special``, ``post-16`` or ``other``.

A URN seen twice (the 2022/23 list repeats each school once a year) is a duplicate;
``postcode`` and ``located_by`` (``coordinates`` | ``postcode``) are kept as extras.
"""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

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
from geo_risk.ingest._points import classify_points, find_columns, find_coordinate_columns, parse_points
from geo_risk.ingest._report import OK, REJECTED, ImportResult, build_report, settle
from geo_risk.ingest.postcodes import normalise_postcodes, postcode_lookup

log = logging.getLogger(__name__)

KIND = "schools"
PHASES = ("primary", "secondary", "all-through", "special", "post-16", "other")
NAME_COLUMNS = ("establishmentname", "schname", "school_name", "name")
POSTCODE_COLUMNS = ("postcode", "school_postcode")
TYPE_COLUMNS = ("typeofestablishment_(name)", "typeofestablishment", "minorgroup", "nftype", "schooltype", "type")
_GIAS_PHASES = {
    "primary": "primary",
    "middle deemed primary": "primary",
    "secondary": "secondary",
    "middle deemed secondary": "secondary",
    "all-through": "all-through",
    "all through": "all-through",
    "16 plus": "post-16",
    "nursery": "other",
    "not applicable": "other",
}
OUTPUT_COLUMNS = ["urn", "name", "phase", "postcode", "located_by", "source_file", "source_row", "geometry"]


def read_schools(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    postcodes: object = None,
    errors: Literal["raise", "reject"] = "raise",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read GIAS-style school CSVs into schools.

    Parameters
    ----------
    paths_or_path
        CSV files, folders of them or zip archives.
    area
        Optional area of interest; schools outside it are ``out_of_area``.
    postcodes
        Postcode lookup for rows without coordinates: a GeoDataFrame with a ``postcode``
        column (``read_postcodes(...).gdf``), an ImportResult or a ``{postcode: (easting,
        northing)}`` dict.
    errors
        ``"raise"``: malformed rows fail the import with one message; ``"reject"``: they are rejected.
    max_bytes
        Size limit per file.
    """
    lookup = postcode_lookup(postcodes) if postcodes is not None else None
    sources = expand_sources(paths_or_path, suffixes=[".csv"], max_bytes=max_bytes, what="school CSV")
    geom_area = resolve_area(area)
    frames = [_read_one(src, i, geom_area, lookup, errors) for i, src in enumerate(sources)]
    allrows = pd.concat(frames, ignore_index=True)
    accepted, rejections = settle(allrows, key="key", what="URN")
    acc = allrows.loc[accepted].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(
        {
            "urn": acc["key"].astype(object),
            "name": acc["name"].astype(object),
            "phase": acc["phase"].astype(object),
            "postcode": acc["postcode"].replace("", None).astype(object),
            "located_by": acc["located_by"].astype(object),
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


def _phase(df: pd.DataFrame) -> np.ndarray:
    cols = list(df.columns)
    n = len(df)
    phase = np.full(n, "", dtype=object)
    direct = find_columns(cols, "phase")
    if direct is not None:
        v = df[direct].str.strip().str.lower().to_numpy(dtype=object)
        phase = np.where(np.isin(v, PHASES), v, phase)
    gias = find_columns(cols, "phaseofeducation_(name)", "phaseofeducation")
    if gias is not None:
        v = df[gias].str.strip().str.lower().map(_GIAS_PHASES).fillna("").to_numpy(dtype=object)
        phase = np.where(phase == "", v, phase)
    flags = [find_columns(cols, c) for c in ("isprimary", "issecondary", "ispost16")]
    if all(f is not None for f in flags):
        p, s, s16 = ((df[f].str.strip() == "1").to_numpy() for f in flags)  # type: ignore[index]
        v = np.select(
            [p & s, p, s, s16],
            ["all-through", "primary", "secondary", "post-16"],
            default="",
        ).astype(object)
        phase = np.where(phase == "", v, phase)
    level = find_columns(cols, "schlevel", "phase_of_education")
    if level is not None:
        v = df[level].str.strip().str.lower().map(_GIAS_PHASES).fillna("").to_numpy(dtype=object)
        phase = np.where(phase == "", v, phase)
    special = np.zeros(n, dtype=bool)
    college = np.zeros(n, dtype=bool)
    for c in TYPE_COLUMNS:
        col = find_columns(cols, c)
        if col is not None:
            t = df[col].str.lower()
            special |= t.str.contains("special", regex=False).to_numpy()
            college |= t.str.contains("college|further education|sixth form", regex=True).to_numpy()
    phase = np.where(special, "special", phase)
    phase = np.where((phase == "") & college, "post-16", phase)
    phase = np.where(phase == "", "other", phase)
    return phase.astype(object)


def _read_one(
    src: Source, index: int, area: object, lookup: dict[str, tuple[float, float]] | None, errors: str
) -> pd.DataFrame:
    df = read_csv_strings(src, what="school CSV")
    cols = list(df.columns)
    urn_col = find_columns(cols, "urn")
    name_col = find_columns(cols, *NAME_COLUMNS)
    if urn_col is None or name_col is None:
        missing = [w for w, c in (("URN", urn_col), ("EstablishmentName (or SCHNAME)", name_col)) if c is None]
        msg = (
            f"{src.name} lacks column(s) {', '.join(missing)} (it has: {', '.join(cols[:20])}); a school list needs "
            "URN, EstablishmentName (or SCHNAME), and Easting/Northing or Postcode"
        )
        raise ValidationError(msg)
    spec = find_coordinate_columns(cols)
    pc_col = find_columns(cols, *POSTCODE_COLUMNS)
    if spec is None and pc_col is None:
        msg = (
            f"{src.name} has neither Easting/Northing (or Longitude/Latitude) nor Postcode columns; "
            "add the school's coordinates or its postcode"
        )
        raise ValidationError(msg)
    if spec is None and lookup is None:
        msg = (
            f"{src.name} locates schools by postcode only; pass a postcode lookup (postcodes=read_postcodes(...)) "
            "or, on the command line, import Code-Point Open first with `geo-risk import postcodes FOLDER`"
        )
        raise ValidationError(msg)
    n = len(df)
    rows = np.arange(2, n + 2, dtype="int64")
    problems = Problems(src.name)
    urn = df[urn_col].str.strip()
    no_urn = (urn == "").to_numpy()
    problems.add(rows[no_urn], "URN is empty; every school has a unique reference number")
    name = df[name_col].str.strip()
    problems.add(rows[(name == "").to_numpy()], f"{name_col} is empty; give the school's name")
    if spec is not None:
        x, y, _bad = parse_points(df, rows, problems, spec)
    else:
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
    if pc_col is not None:
        pcs, valid = normalise_postcodes(df[pc_col])
        given = (df[pc_col].str.strip() != "").to_numpy()
    else:
        pcs = pd.Series(np.full(n, "", dtype=object))
        valid = np.zeros(n, dtype=bool)
        given = np.zeros(n, dtype=bool)
    if problems and errors == "raise":
        problems.raise_if_any()
    status = np.full(n, OK, dtype="int8")
    reason = np.full(n, "", dtype=object)
    bad_rows, bad_reasons = problems.as_rejections()
    if bad_rows.size:
        status[bad_rows - 2] = REJECTED
        reason[bad_rows - 2] = bad_reasons
    located_by = np.where(np.isfinite(x) & np.isfinite(y), "coordinates", "").astype(object)
    need = (status == OK) & (located_by == "")
    if need.any():
        bad_pc = need & given & ~valid
        status[bad_pc] = REJECTED
        reason[bad_pc] = "no coordinates and the postcode is not a valid UK postcode"
        need &= ~bad_pc
        if lookup is None:
            status[need] = REJECTED
            reason[need] = "no coordinates (pass a postcode lookup to locate it by postcode)"
        else:
            pc_vals = pcs.to_numpy(dtype=object)
            for i in np.flatnonzero(need):
                hit = lookup.get(pc_vals[i]) if pc_vals[i] else None
                if hit is None:
                    status[i] = REJECTED
                    reason[i] = (
                        f"no coordinates and postcode {pc_vals[i]!r} is not in the postcode lookup"
                        if pc_vals[i]
                        else "no coordinates and no postcode"
                    )
                else:
                    x[i], y[i] = hit
                    located_by[i] = "postcode"
    classify_points(x, y, status, reason, area)
    return pd.DataFrame(
        {
            "file_index": index,
            "source_file": src.name,
            "source_row": rows,
            "status": status,
            "reason": reason,
            "key": np.where(no_urn, None, urn.to_numpy(dtype=object)),
            "name": name.to_numpy(dtype=object),
            "phase": _phase(df),
            "postcode": pcs.to_numpy(dtype=object),
            "located_by": located_by,
            "x": x,
            "y": y,
        }
    )
