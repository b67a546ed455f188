"""police.uk street-level crime CSVs -> incidents in EPSG:27700.

The format (one file per force and month, ``YYYY-MM-<force>-street.csv``) has the
columns ``Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location,
LSOA code, LSOA name, Crime type, Last outcome category, Context``. Its quirks and
what this importer does with each:

- **rows without coordinates** (``Location`` is "No Location"; also the 0,0 points
  police.uk writes when no snap point lies within 20 km): rejected, reason
  ``no coordinates``;
- **Northern Ireland** (``northern-ireland`` files, about 10,000 rows a month): British
  National Grid covers Great Britain only, so these points are out of area with a reason
  that says so, never stored in EPSG:27700 as if they were in Great Britain;
- **points far outside the force area** (10-33 a month in the shared files): with an
  ``area`` of interest they are ``out_of_area``; without one, points anywhere in Great
  Britain are accepted and points outside it are ``out_of_area``; ``max_km_from_centre``
  drops points that far from the median point of their file, and every file's notes
  count those beyond 80 km (``far_points_80km``);
- **duplicate Crime IDs** (sometimes with different locations, sometimes once with and
  once without coordinates): counted once, across all the files of one import; the
  kept row is the first located, in-area one; the others are ``duplicate``;
- **rows without Crime ID** (anti-social behaviour): kept, with a stable content-hash
  ``external_id`` (``h:`` + 40 hex digits of the SHA-1 of the row's fields and its
  ordinal among identical rows of the file), so that identical ASB rows stay separate
  incidents and re-importing the same file yields the same ids;
- **2011 and 2021 LSOA codes**: ``lsoa_code`` is kept and ``lsoa_version`` is decided
  per file and month from the codes themselves: any code issued only in 2021
  (``E01033769`` and above, ``W01001959`` and above) means ``2021``; a month with at
  least 50 distinct codes and none of those is ``2011``; otherwise (too few codes to
  tell) the month decides (from ``lsoa21_from``, default 2024-01, on: ``2021``);
- **crime types**: police.uk's own categories only (:data:`CRIME_TYPES`, with the
  two it used before May 2013); a row with any other ``Crime type`` (a typo, another
  scheme's category, markup) is rejected with the reason naming the valid ones, never
  stored as given;
- **snap points**: ``precision`` is ``snap_point`` and the "On or near ..." text is kept
  as ``location_text``; ``Context`` (always empty) is dropped.

``occurred_at`` is the first of the month at 00:00 and ``has_time`` is False.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_risk.contract import POLICE_UK_CATEGORIES
from geo_risk.crs import STORE_CRS, lonlat_in_gb, lonlat_in_ireland, lonlat_to_en
from geo_risk.ingest._files import (
    DEFAULT_MAX_BYTES,
    PathsLike,
    Problems,
    Source,
    expand_sources,
    in_area,
    lonlat_swap_check,
    parse_numbers,
    read_csv_strings,
    require_columns,
    resolve_area,
)
from geo_risk.ingest._report import ImportResult, build_report, empty_rejections, make_rejections

log = logging.getLogger(__name__)

KIND = "police_uk"
SOURCE = "police.uk"
SOURCE_TYPE = "police"

#: police.uk's "Crime type" categories (the data contract's), and those it used before May 2013.
CRIME_TYPES: tuple[str, ...] = POLICE_UK_CATEGORIES
HISTORIC_CRIME_TYPES: tuple[str, ...] = ("Violent crime", "Public disorder and weapons")
REQUIRED = ["Crime ID", "Month", "Longitude", "Latitude", "Location", "Crime type"]
OPTIONAL = ["Reported by", "Falls within", "LSOA code", "LSOA name", "Last outcome category", "Context"]
HINT = (
    "police.uk street-level crime files have the columns Crime ID, Month, Reported by, Falls within, "
    "Longitude, Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category, Context; "
    "give the '-street.csv' files (not '-outcomes.csv' or '-stop-and-search.csv')"
)

#: The forces police.uk publishes street-level crime for (its file-name slugs): the 43 territorial
#: forces of England and Wales, British Transport Police (``btp``, whose rows lie in every other
#: force's area) and the Police Service of Northern Ireland.
POLICE_UK_FORCES = (
    "avon-and-somerset", "bedfordshire", "btp", "cambridgeshire", "cheshire", "city-of-london", "cleveland",
    "cumbria", "derbyshire", "devon-and-cornwall", "dorset", "durham", "dyfed-powys", "essex",
    "gloucestershire", "greater-manchester", "gwent", "hampshire", "hertfordshire", "humberside", "kent",
    "lancashire", "leicestershire", "lincolnshire", "merseyside", "metropolitan", "norfolk", "north-wales",
    "north-yorkshire", "northamptonshire", "northern-ireland", "northumbria", "nottinghamshire",
    "south-wales", "south-yorkshire", "staffordshire", "suffolk", "surrey", "sussex", "thames-valley",
    "warwickshire", "west-mercia", "west-midlands", "west-yorkshire", "wiltshire",
)
_FILE_NAME = re.compile(r"^\d{4}-\d{2}-(?P<force>[a-z0-9-]+?)-street\.csv$")

#: Highest LSOA code numbers that already existed in 2011 (England, Wales).
LSOA11_MAX = {"E01": 33768, "W01": 1958}
#: Distinct LSOA codes a month needs before "no 2021-only code" is taken as 2011.
LSOA_EVIDENCE_MIN = 50

REASON_NO_COORDS = "no coordinates"
REASON_OUTSIDE_GB = "outside Great Britain"
REASON_IRELAND = (
    "in Northern Ireland: outside British National Grid, which covers Great Britain only (EPSG:27700), "
    "so not stored"
)
REASON_OUTSIDE_AREA = "outside the area of interest"

OUTPUT_COLUMNS = [
    "incident_id",
    "external_id",
    "category",
    "source",
    "source_type",
    "occurred_at",
    "has_time",
    "precision",
    "location_text",
    "lsoa_code",
    "lsoa_name",
    "lsoa_version",
    "outcome",
    "reported_by",
    "falls_within",
    "force",
    "crime_id",
    "month",
    "source_file",
    "source_row",
    "geometry",
]

# status ranks: the lower, the better a candidate to keep among duplicates
_OK, _OUT, _REJ = 0, 1, 2


def read_police_uk(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    errors: Literal["raise", "reject"] = "raise",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    lsoa21_from: str = "2024-01",
    max_km_from_centre: float | None = None,
) -> ImportResult:
    """Read police.uk street-level crime CSVs into validated incidents.

    Parameters
    ----------
    paths_or_path
        One or many CSV files, folders (only ``*-street.csv`` are taken when present)
        or zip archives of them.
    area
        Optional area of interest (shapely geometry in EPSG:27700, or a GeoDataFrame
        with a CRS); points outside it are ``out_of_area``. Without it, points outside
        Great Britain are ``out_of_area``.
    errors
        ``"raise"`` (default): any malformed row (a month or coordinate that is not a
        number, swapped longitude/latitude, no crime type) makes the whole import fail
        with one message listing every problem; ``"reject"``: such rows are rejected
        with their reason and the rest is kept.
    max_bytes
        Files larger than this are refused before reading.
    lsoa21_from
        First month (``YYYY-MM``) taken as using 2021 LSOA codes when the codes alone
        cannot tell.
    max_km_from_centre
        Without an area of interest, treat located points farther than this from the
        median point of their file (the force's centre) as ``out_of_area``: the few dozen
        a month police.uk places far outside the force. ``None`` (default) keeps them;
        the count beyond 80 km is always in the file's notes (``far_points_80km``).

    Returns
    -------
    ImportResult
        ``gdf`` has the incident data-contract columns (``incident_id`` is the position
        in this result; the store assigns its own) plus ``location_text``,
        ``lsoa_code``, ``lsoa_name``, ``lsoa_version``, ``outcome``, ``reported_by``,
        ``falls_within``, ``crime_id``, ``month``, ``source_file`` and ``source_row``.

    Raises
    ------
    ValidationError
        Wrong columns, broken CSV, non-UTF-8 text, an empty file, or (with
        ``errors="raise"``) malformed rows; the message names the file, the lines and the fix.
    DataSourceError
        A path is missing or a file is over ``max_bytes``.
    """
    if errors not in ("raise", "reject"):
        msg = f"errors must be 'raise' or 'reject', got {errors!r}"
        raise ValueError(msg)
    sources = expand_sources(
        paths_or_path, suffixes=[".csv"], prefer_suffix="-street.csv", max_bytes=max_bytes, what="police.uk CSV"
    )
    geom_area = resolve_area(area)
    if max_km_from_centre is not None and not max_km_from_centre > 0:
        msg = f"max_km_from_centre must be a positive number of kilometres, got {max_km_from_centre!r}"
        raise ValueError(msg)
    frames = [_read_one(src, i, geom_area, errors, max_km_from_centre) for i, src in enumerate(sources)]
    allrows = pd.concat(frames, ignore_index=True)
    return _finish(allrows, [s.name for s in sources], lsoa21_from)


def _read_one(
    src: Source, file_index: int, area: object, errors: str, max_km: float | None = None
) -> pd.DataFrame:
    """Parse one file into a per-row frame with status, reason, key and fields (no dedupe yet)."""
    # leading spaces go in the parser; trailing ones matter only in identifiers and categories
    df = read_csv_strings(src, what="police.uk CSV", strip=["Crime ID", "Month", "Crime type", "LSOA code"])
    require_columns(src, df, REQUIRED, hint=HINT)
    for col in OPTIONAL:
        if col not in df.columns:
            df[col] = ""
    n = len(df)
    rows = np.arange(2, n + 2, dtype="int64")
    problems = Problems(src.name)

    month_text = df["Month"]
    month = pd.to_datetime(month_text, format="%Y-%m", errors="coerce")
    bad_month = month.isna().to_numpy()
    if bad_month.any():
        examples = ", ".join(repr(v) for v in month_text[bad_month].unique()[:3])
        problems.add(rows[bad_month], f"Month is not YYYY-MM (e.g. {examples}); write months like 2025-01")

    lon = parse_numbers(df["Longitude"], rows, problems, "Longitude")
    lat = parse_numbers(df["Latitude"], rows, problems, "Latitude")
    one_missing = np.isnan(lon) ^ np.isnan(lat)
    problems.add(rows[one_missing], "only one of Longitude/Latitude is given; give both or leave both empty")
    lonlat_swap_check(lon, lat, rows, problems, lon_col="Longitude", lat_col="Latitude")

    category = df["Crime type"]
    no_cat = (category == "").to_numpy()
    problems.add(rows[no_cat], "Crime type is empty; every police.uk row has a crime type")
    unknown = ~no_cat & ~category.isin(CRIME_TYPES + HISTORIC_CRIME_TYPES).to_numpy()
    if unknown.any():
        valid = ", ".join(CRIME_TYPES)
        values = pd.unique(category[unknown])
        for value in values[:20]:  # each named (shortened), then the rest together
            these = unknown & (category == value).to_numpy()
            shown = value if len(value) <= 40 else value[:40] + "..."
            problems.add(rows[these], f"Crime type {shown!r} is not a police.uk category; use one of: {valid}")
        rest = unknown & ~category.isin(values[:20]).to_numpy()
        problems.add(rows[rest], f"Crime type is not a police.uk category; use one of: {valid}")

    if problems and errors == "raise":
        problems.raise_if_any()

    status = np.full(n, _OK, dtype="int8")
    reason = np.full(n, "", dtype=object)
    bad_rows, bad_reasons = problems.as_rejections()
    if bad_rows.size:
        idx = bad_rows - 2
        status[idx] = _REJ
        reason[idx] = bad_reasons
    bad = status == _REJ

    # police.uk writes 0,0 when no snap point lies within 20 km: that is "no coordinates"
    zeroed = (lon == 0.0) & (lat == 0.0)
    missing = ~bad & (np.isnan(lon) | np.isnan(lat) | zeroed)
    status[missing] = _REJ
    reason[missing] = REASON_NO_COORDS

    located = status == _OK
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if located.any():
        x[located], y[located] = lonlat_to_en(lon[located], lat[located])
    outside_gb = located & ~lonlat_in_gb(lon, lat)
    status[outside_gb] = _OUT
    reason[outside_gb] = np.where(lonlat_in_ireland(lon[outside_gb], lat[outside_gb]), REASON_IRELAND,
                                  REASON_OUTSIDE_GB)
    if area is not None:
        outside = (status == _OK) & ~in_area(x, y, area)
        status[outside] = _OUT
        reason[outside] = REASON_OUTSIDE_AREA
    ok = status == _OK
    far80 = np.zeros(n, dtype=bool)
    if ok.any():
        dist_km = np.hypot(x - np.median(x[ok]), y - np.median(y[ok])) / 1000.0
        far80 = ok & (dist_km > 80.0)
        if max_km is not None:
            far = ok & (dist_km > max_km)
            status[far] = _OUT
            reason[far] = f"more than {max_km:g} km from the median point of its file (outside the force area)"

    crime_id = df["Crime ID"]
    has_id = (crime_id != "").to_numpy()
    key = crime_id.to_numpy(dtype=object).copy()
    if (~has_id).any():
        key[~has_id] = _content_ids(df.loc[~has_id])

    out = pd.DataFrame(
        {
            "file_index": np.full(n, file_index, dtype="int32"),
            "source_file": np.full(n, src.name, dtype=object),
            "source_row": rows,
            "status": status,
            "reason": reason,
            "external_id": key,
            "crime_id": np.where(has_id, crime_id.to_numpy(dtype=object), None),
            "month_dt": month.to_numpy(),
            "month": month_text.to_numpy(dtype=object),
            "category": category.to_numpy(dtype=object),
            "location_text": df["Location"].to_numpy(dtype=object),
            "lsoa_code": df["LSOA code"].to_numpy(dtype=object),
            "lsoa_name": df["LSOA name"].to_numpy(dtype=object),
            "outcome": df["Last outcome category"].to_numpy(dtype=object),
            "reported_by": df["Reported by"].to_numpy(dtype=object),
            "falls_within": df["Falls within"].to_numpy(dtype=object),
            "force": np.full(n, force_of(src.basename), dtype=object),
            "x": x,
            "y": y,
            "far80": far80,
        }
    )
    return out


def force_of(file_name: str) -> str | None:
    """The force slug of a police.uk file name (``2025-01-avon-and-somerset-street.csv``), or None."""
    match = _FILE_NAME.match(file_name)
    return match["force"] if match else None


def force_from_name(name: str) -> str | None:
    """The force slug of a "Falls within" name ("Devon & Cornwall Police" -> ``devon-and-cornwall``).

    Names outside police.uk's own list keep a slug of the whole name, so they are never merged with
    another force.
    """
    words = re.sub(r"[^a-z0-9]+", " ", name.lower().replace("&", " and ")).split()
    if not words:
        return None
    whole = "-".join(words)
    core = " ".join(words)
    for affix in ("police service of ", " police service", " constabulary", " police"):
        core = core.removeprefix(affix) if affix.endswith(" ") else core.removesuffix(affix)
    slug = "btp" if core == "british transport" else core.replace(" ", "-")
    return slug if slug in POLICE_UK_FORCES else whole


@dataclass(frozen=True)
class ForceCoverage:
    """Which forces and months one import's files hold, and what is missing.

    Attributes
    ----------
    months
        Every month of the import, in order.
    forces
        Every force with at least one file, in order.
    missing
        For each month, the forces that have a file in another month of this import but not in
        that one (reported, never filled in).
    never
        Forces police.uk publishes that no file of this import holds.
    """

    months: tuple[str, ...]
    forces: tuple[str, ...]
    missing: dict[str, tuple[str, ...]]
    never: tuple[str, ...]

    def lines(self) -> list[str]:
        """Plain-language lines for the import's output."""
        if not self.forces:
            return []
        span = self.months[0] if len(self.months) == 1 else f"{self.months[0]}..{self.months[-1]}"
        out = [f"police.uk forces: {len(self.forces)} in {len(self.months)} month(s) ({span})"]
        out += [f"  missing from {month}: {', '.join(forces)}" for month, forces in self.missing.items() if forces]
        if self.never:
            out.append(f"  not in any file of this import: {', '.join(self.never)}")
        return out


def force_coverage(report) -> ForceCoverage:
    """The forces and months of a police.uk import's report (from each file's ``force``/``months`` notes)."""
    held: dict[str, set[str]] = {}
    for f in report.files:
        force, months = f.notes.get("force", ""), f.notes.get("months", "")
        if force:
            held.setdefault(force, set()).update(m for m in months.split("/") if m)
    months = tuple(sorted(set().union(*held.values()))) if held else ()
    forces = tuple(sorted(held))
    missing = {m: tuple(fc for fc in forces if m not in held[fc]) for m in months}
    never = tuple(fc for fc in POLICE_UK_FORCES if fc not in held)
    return ForceCoverage(months=months, forces=forces, missing=missing, never=never)


def _none_if_empty(values: pd.Series) -> np.ndarray:
    arr = values.to_numpy(dtype=object)
    return np.where(arr == "", None, arr)


_HASH_FIELDS = ["Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code", "Crime type"]


def _content_ids(df: pd.DataFrame) -> np.ndarray:
    """Stable ids for rows without Crime ID: hash of the fields plus the ordinal among identical rows."""
    cols = [df[c].to_numpy(dtype=object) for c in _HASH_FIELDS]
    content = ["\x1f".join(parts) for parts in zip(*cols, strict=True)]
    ordinal = pd.Series(content).groupby(content, sort=False).cumcount().to_numpy()
    return np.asarray(
        ["h:" + hashlib.sha1(f"{c}\x1e{o}".encode()).hexdigest() for c, o in zip(content, ordinal, strict=True)],
        dtype=object,
    )


def _lsoa_versions(allrows: pd.DataFrame, lsoa21_from: str) -> np.ndarray:
    """LSOA version per row, decided per (file, month) from the codes, else from the month."""
    code_idx, uniq = pd.factorize(allrows["lsoa_code"].to_numpy(dtype=object))
    u = pd.Series(uniq, dtype=object)
    limit = u.str[:3].map(LSOA11_MAX)
    number = pd.to_numeric(u.str[3:], errors="coerce")
    u_new = ((number > limit) & limit.notna()).to_numpy(dtype=bool)
    u_has = (limit.notna() & (u != "")).to_numpy(dtype=bool)
    has_code = u_has[code_idx]
    new_only = u_new[code_idx]
    month_idx, months = pd.factorize(allrows["month"].to_numpy(dtype=object))
    g_idx, _ = pd.factorize(allrows["file_index"].to_numpy().astype("int64") * (len(months) + 1) + month_idx)
    n_groups = int(g_idx.max()) + 1 if len(g_idx) else 0
    any_new = np.bincount(g_idx, weights=new_only, minlength=n_groups) > 0
    pairs = np.unique(g_idx[has_code].astype("int64") * (len(uniq) + 1) + code_idx[has_code])
    n_codes = np.bincount(pairs // (len(uniq) + 1), minlength=n_groups)
    cutoff = np.datetime64(lsoa21_from + "-01")
    by_month = np.where(allrows["month_dt"].to_numpy() >= cutoff, "2021", "2011")
    version = np.where(any_new[g_idx], "2021", np.where(n_codes[g_idx] >= LSOA_EVIDENCE_MIN, "2011", by_month))
    return np.where(has_code, version, None).astype(object)


def _finish(allrows: pd.DataFrame, files: list[str], lsoa21_from: str) -> ImportResult:
    # a file not named like police.uk's own takes its force from the rows' "Falls within"
    unnamed = allrows["force"].isna().to_numpy()
    if unnamed.any():
        falls = allrows.loc[unnamed, "falls_within"].astype(str)
        allrows.loc[unnamed, "force"] = falls.map(force_from_name)
    # duplicates: across every file of the import; keep the best-status, earliest row of each id
    key_idx, _ = pd.factorize(allrows["external_id"].to_numpy(dtype=object))
    order = np.lexsort((allrows["source_row"].to_numpy(), allrows["file_index"].to_numpy(),
                        allrows["status"].to_numpy(), key_idx))
    ks = key_idx[order]
    first_sorted = np.ones(len(ks), dtype=bool)
    first_sorted[1:] = ks[1:] != ks[:-1]
    dup = np.zeros(len(ks), dtype=bool)
    dup[order[~first_sorted]] = True
    kept_pos = np.empty(int(key_idx.max()) + 1 if len(key_idx) else 0, dtype="int64")
    kept_pos[ks[first_sorted]] = order[first_sorted]
    first_file = pd.Series(allrows["source_file"].to_numpy(dtype=object)[kept_pos[key_idx]], index=allrows.index)
    first_row = pd.Series(allrows["source_row"].to_numpy()[kept_pos[key_idx]], index=allrows.index)
    allrows["lsoa_version"] = _lsoa_versions(allrows, lsoa21_from)

    rej_parts = []
    dups = allrows.loc[dup]
    if len(dups):
        what = np.where(dups["crime_id"].isna(), "duplicate of an identical row without Crime ID", "duplicate Crime ID")
        kept = "; kept line " + first_row.loc[dups.index].astype(str) + " of " + first_file.loc[dups.index].astype(str)
        reasons = pd.Series(what, index=dups.index) + kept
        for f, part in dups.assign(_reason=reasons).groupby("source_file", sort=False):
            rej_parts.append(
                make_rejections(str(f), part["source_row"].to_numpy(), "duplicate", part["_reason"].to_numpy())
            )
    for status, label in ((_REJ, "rejected"), (_OUT, "out_of_area")):
        sel = allrows.loc[~dup & (allrows["status"] == status).to_numpy()]
        for f, part in sel.groupby("source_file", sort=False):
            rej_parts.append(make_rejections(str(f), part["source_row"].to_numpy(), label, part["reason"].to_numpy()))
    rejections = pd.concat(rej_parts, ignore_index=True) if rej_parts else empty_rejections()
    if len(rejections):
        rejections = rejections.sort_values(["file", "row"], kind="stable").reset_index(drop=True)

    keep = ~dup & (allrows["status"] == _OK).to_numpy()
    acc = allrows.loc[keep].reset_index(drop=True)
    # counts per file from the file's position (``files`` is in file_index order)
    read_n = np.bincount(allrows["file_index"].to_numpy(), minlength=len(files))
    acc_n = np.bincount(acc["file_index"].to_numpy(), minlength=len(files))
    rows_read = {files[i]: int(c) for i, c in enumerate(read_n) if c}
    accepted = {files[i]: int(c) for i, c in enumerate(acc_n) if c}
    notes: dict[str, dict[str, str]] = {}
    for f, part in allrows.groupby("source_file", sort=False):
        versions = sorted({v for v in part["lsoa_version"].dropna().unique()})
        months = sorted(set(part["month"].unique()) - {""})
        forces = sorted(set(part["force"].dropna()))
        notes[str(f)] = {"lsoa_version": "/".join(versions), "months": "/".join(months),
                         "far_points_80km": str(int(part["far80"].sum())), "force": "/".join(forces)}
    report = build_report(KIND, files, rows_read, accepted, rejections, notes)

    n = len(acc)
    gdf = gpd.GeoDataFrame(
        {
            "incident_id": np.arange(n, dtype="int64"),
            "external_id": acc["external_id"].astype(object),
            "category": acc["category"].astype(object),
            "source": np.full(n, SOURCE, dtype=object),
            "source_type": np.full(n, SOURCE_TYPE, dtype=object),
            "occurred_at": pd.to_datetime(acc["month_dt"]).astype("datetime64[ns]"),
            "has_time": np.zeros(n, dtype=bool),
            "precision": np.full(n, "snap_point", dtype=object),
            "location_text": acc["location_text"].astype(object),
            "lsoa_code": _none_if_empty(acc["lsoa_code"]),
            "lsoa_name": _none_if_empty(acc["lsoa_name"]),
            "lsoa_version": acc["lsoa_version"].astype(object),
            "outcome": _none_if_empty(acc["outcome"]),
            "reported_by": acc["reported_by"].astype(object),
            "falls_within": acc["falls_within"].astype(object),
            "force": acc["force"].astype(object),
            "crime_id": acc["crime_id"].astype(object),
            "month": acc["month"].astype(object),
            "source_file": acc["source_file"].astype(object),
            "source_row": acc["source_row"].astype("int64"),
        },
        geometry=gpd.points_from_xy(acc["x"].to_numpy(), acc["y"].to_numpy()),
        crs=STORE_CRS,
    )
    gdf = gdf[OUTPUT_COLUMNS]
    if n == 0:
        log.warning("police.uk import kept no rows: %s", report.summary())
    log.info("%s", report.summary())
    return ImportResult(kind=KIND, gdf=gdf, report=report)


__all__ = ["POLICE_UK_FORCES", "ForceCoverage", "force_coverage", "force_from_name", "force_of", "read_police_uk"]
