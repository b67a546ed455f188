"""Code-Point Open postcode centres -> postcodes in EPSG:27700.

Code-Point Open CSVs (one per postcode area: ``bs.csv``, ``ox.csv``...) have no header
line. The column names come from ``Code-Point_Open_Column_Headers.csv`` when it is in
the folder given (or beside the data files, or in a ``Doc`` folder next to them); otherwise
the built-in ten columns are used: ``PC, PQ, EA, NO, CY, RH, LH, CC, DC, WC``.

Postcodes are normalised to upper case with one space before the inward code
(``bs11aa`` -> ``BS1 1AA``). Rows with positional quality 90 or easting/northing 0 have
no coordinates and are rejected; a postcode seen twice is a duplicate.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
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
    _as_list,
    expand_sources,
    parse_numbers,
    read_csv_strings,
    resolve_area,
)
from geo_risk.ingest._points import classify_points
from geo_risk.ingest._report import OK, REJECTED, ImportResult, build_report, settle

log = logging.getLogger(__name__)

KIND = "postcodes"
HEADER_FILE = "Code-Point_Open_Column_Headers.csv"
BUILTIN_HEADERS = ["PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC"]
_RENAME = {
    "PC": "postcode",
    "PQ": "quality",
    "EA": "easting",
    "NO": "northing",
    "CY": "country_code",
    "RH": "nhs_region_code",
    "LH": "nhs_ha_code",
    "CC": "admin_county_code",
    "DC": "admin_district_code",
    "WC": "admin_ward_code",
}
_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
OUTPUT_COLUMNS = [
    "postcode",
    "quality",
    "country_code",
    "admin_district_code",
    "admin_ward_code",
    "source_file",
    "source_row",
    "geometry",
]


def normalise_postcodes(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Vectorised postcode normalisation: ``(normalised, valid)``; invalid ones become ``""``."""
    compact = values.astype("string").fillna("").str.upper().str.replace(r"\s+", "", regex=True)
    valid = compact.str.fullmatch(_POSTCODE_RE.pattern).fillna(False).to_numpy(dtype=bool)
    out = compact.str[:-3] + " " + compact.str[-3:]
    out = out.where(valid, "")
    return out.astype(object), valid


def _find_header_file(paths: PathsLike) -> Path | None:
    for p in _as_list(paths):
        candidates: list[Path] = []
        if p.is_dir():
            candidates.extend(sorted(p.rglob(HEADER_FILE)))
            for up in (p.parent, p.parent.parent):  # Data/CSV/ beside Doc/ in the OS download
                candidates.extend([up / "Doc" / HEADER_FILE, up / "doc" / HEADER_FILE])
        else:
            candidates.extend([p.parent / HEADER_FILE, p.parent.parent / "Doc" / HEADER_FILE,
                               p.parent.parent / "doc" / HEADER_FILE])
        for c in candidates:
            if c.is_file():
                return c
    return None


def _headers_from(path: Path) -> list[str]:
    lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    if not lines:
        msg = f"{path} is empty; it should hold the Code-Point Open column names (PC,PQ,EA,NO,...)"
        raise ValidationError(msg)
    names = [c.strip().strip('"') for c in lines[0].split(",")]
    if names[:4] != BUILTIN_HEADERS[:4]:
        # a header file that uses the long names (Postcode, Positional_quality_indicator, Eastings, ...)
        long = {"postcode": "PC", "positional_quality_indicator": "PQ", "eastings": "EA", "northings": "NO"}
        names = [long.get(n.lower(), n) for n in names]
    if names[:4] != BUILTIN_HEADERS[:4]:
        msg = f"{path} does not start with the Code-Point Open columns PC,PQ,EA,NO (got {', '.join(names[:4])})"
        raise ValidationError(msg)
    return names


def read_postcodes(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    errors: Literal["raise", "reject"] = "raise",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read Code-Point Open CSVs into postcode centres.

    Parameters
    ----------
    paths_or_path
        The Code-Point Open folder (or its ``Data/CSV`` folder, files, or a zip).
    area
        Optional area of interest; postcodes outside it are ``out_of_area``.
    errors
        ``"raise"``: malformed rows fail the import with one message; ``"reject"``: they are rejected.
    max_bytes
        Size limit per file.

    Returns
    -------
    ImportResult
        ``gdf`` with ``postcode``, ``quality``, ``country_code``, ``admin_district_code``,
        ``admin_ward_code``, ``source_file``, ``source_row`` and point ``geometry``.
    """
    header_file = _find_header_file(paths_or_path)
    headers = _headers_from(header_file) if header_file else BUILTIN_HEADERS
    sources = [
        s for s in expand_sources(paths_or_path, suffixes=[".csv"], max_bytes=max_bytes, what="Code-Point Open CSV")
        if s.basename != HEADER_FILE
    ]
    if not sources:
        msg = f"no Code-Point Open data file in {paths_or_path}; give the folder holding bs.csv, ox.csv ..."
        raise ValidationError(msg)
    geom_area = resolve_area(area)
    frames = [_read_one(src, i, headers, geom_area, errors) for i, src in enumerate(sources)]
    allrows = pd.concat(frames, ignore_index=True)
    accepted, rejections = settle(allrows, key="key", what="postcode")
    acc = allrows.loc[accepted].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(
        {
            "postcode": acc["key"].astype(object),
            "quality": acc["quality"].astype("Int64"),
            "country_code": acc["country_code"].astype(object),
            "admin_district_code": acc["admin_district_code"].astype(object),
            "admin_ward_code": acc["admin_ward_code"].astype(object),
            "source_file": acc["source_file"].astype(object),
            "source_row": acc["source_row"].astype("int64"),
        },
        geometry=gpd.points_from_xy(acc["x"], acc["y"]),
        crs=STORE_CRS,
    )[OUTPUT_COLUMNS]
    rows_read = allrows.groupby("source_file", sort=False).size().to_dict()
    acc_counts = acc.groupby("source_file", sort=False).size().to_dict()
    notes = {s.name: {"headers": header_file.name if header_file else "built in"} for s in sources}
    report = build_report(KIND, [s.name for s in sources], rows_read, acc_counts, rejections, notes)
    log.info("%s", report.summary())
    return ImportResult(kind=KIND, gdf=gdf, report=report)


def _read_one(src: Source, index: int, headers: list[str], area: object, errors: str) -> pd.DataFrame:
    first = src.read_bytes()[:200].decode("utf-8", errors="replace").lstrip("\ufeff").split(",")[0].strip().strip('"')
    has_header = first.upper() in {"PC", "POSTCODE"}
    df = read_csv_strings(src, header=has_header, what="Code-Point Open CSV")
    if has_header:
        df.columns = [_canon(c) for c in df.columns]
    else:
        if df.shape[1] < 4:
            msg = (
                f"{src.name} has {df.shape[1]} column(s); Code-Point Open rows have at least 4 "
                "(postcode, quality, easting, northing)"
            )
            raise ValidationError(msg)
        names = list(headers[: df.shape[1]]) + [f"extra_{i}" for i in range(max(0, df.shape[1] - len(headers)))]
        df.columns = names
    df = df.rename(columns=_RENAME)
    for col in _RENAME.values():
        if col not in df.columns:
            df[col] = ""
    n = len(df)
    start = 2 if has_header else 1
    rows = np.arange(start, n + start, dtype="int64")
    problems = Problems(src.name)
    pcs, valid = normalise_postcodes(df["postcode"])
    problems.add(
        rows[~valid],
        "not a valid UK postcode (expected e.g. 'BS1 1AA'); check the first column holds the postcode",
    )
    quality = parse_numbers(df["quality"], rows, problems, "positional quality")
    x = parse_numbers(df["easting"], rows, problems, "easting")
    y = parse_numbers(df["northing"], rows, problems, "northing")
    if problems and errors == "raise":
        problems.raise_if_any()
    status = np.full(n, OK, dtype="int8")
    reason = np.full(n, "", dtype=object)
    bad_rows, bad_reasons = problems.as_rejections()
    if bad_rows.size:
        status[bad_rows - start] = REJECTED
        reason[bad_rows - start] = bad_reasons
    no_pos = (status == OK) & (quality == 90)
    status[no_pos] = REJECTED
    reason[no_pos] = "no coordinates (positional quality 90)"
    classify_points(x, y, status, reason, area)
    return pd.DataFrame(
        {
            "file_index": index,
            "source_file": src.name,
            "source_row": rows,
            "status": status,
            "reason": reason,
            "key": np.where(valid, pcs.to_numpy(dtype=object), None),
            "quality": quality,
            "country_code": df["country_code"].str.strip().to_numpy(dtype=object),
            "admin_district_code": df["admin_district_code"].str.strip().to_numpy(dtype=object),
            "admin_ward_code": df["admin_ward_code"].str.strip().to_numpy(dtype=object),
            "x": x,
            "y": y,
        }
    )


def _canon(col: str) -> str:
    c = str(col).strip()
    up = c.upper()
    if up in _RENAME:
        return up
    long = {"POSTCODE": "PC", "POSITIONAL_QUALITY_INDICATOR": "PQ", "EASTINGS": "EA", "NORTHINGS": "NO"}
    return long.get(up, c)


def postcode_lookup(postcodes: object) -> dict[str, tuple[float, float]]:
    """A ``{postcode: (easting, northing)}`` dict from a GeoDataFrame of postcodes, an
    :class:`ImportResult` or a dict (postcodes normalised)."""
    if isinstance(postcodes, ImportResult):
        postcodes = postcodes.gdf
    if isinstance(postcodes, dict):
        keys = pd.Series(list(postcodes.keys()))
        norm, valid = normalise_postcodes(keys)
        vals = list(postcodes.values())
        return {norm[i]: (float(vals[i][0]), float(vals[i][1])) for i in range(len(vals)) if valid[i]}
    if isinstance(postcodes, gpd.GeoDataFrame):
        if "postcode" not in postcodes.columns:
            msg = "the postcode lookup needs a 'postcode' column (use read_postcodes(...).gdf)"
            raise ValidationError(msg)
        from geo_risk.crs import to_store

        g = to_store(postcodes)
        norm, valid = normalise_postcodes(g["postcode"])
        xs = g.geometry.x.to_numpy()
        ys = g.geometry.y.to_numpy()
        return dict(zip(norm[valid].tolist(), zip(xs[valid].tolist(), ys[valid].tolist(), strict=True), strict=True))
    msg = f"postcodes must be a GeoDataFrame, an ImportResult or a dict, got {type(postcodes).__name__}"
    raise TypeError(msg)
