"""File handling shared by the importers: sources, size limits, decoding, CSV parsing,
collected row problems and the area-of-interest test.

A *source* is one readable file: a plain file, or a member of a zip archive. The
importers take ``paths_or_path`` (one path or many; files, folders or zips) and
expand them with :func:`expand_sources`.
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo_risk.crs import GB_BOUNDS, to_store
from geo_risk.errors import CRSError, DataSourceError, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

#: Refuse files bigger than this before reading a byte (1 GiB). Override with ``max_bytes``.
DEFAULT_MAX_BYTES = 1 << 30

PathsLike = str | os.PathLike[str] | Sequence["str | os.PathLike[str] | Source"]


@dataclass(frozen=True)
class Source:
    """One readable input: a file on disk or a member of a zip archive."""

    name: str
    path: Path
    member: str | None
    size: int

    @property
    def suffix(self) -> str:
        return Path(self.member or self.path.name).suffix.lower()

    @property
    def basename(self) -> str:
        return Path(self.member or self.path.name).name

    def read_bytes(self) -> bytes:
        """The raw bytes of the source."""
        try:
            if self.member is None:
                return self.path.read_bytes()
            with zipfile.ZipFile(self.path) as zf:
                return zf.read(self.member)
        except OSError as exc:
            msg = f"cannot read {self.name}: {exc}; check the file exists and is readable"
            raise DataSourceError(msg) from exc
        except zipfile.BadZipFile as exc:
            msg = f"cannot read {self.name}: the zip archive is damaged ({exc}); download it again"
            raise DataSourceError(msg) from exc

    def local_path(self) -> Path:
        """A path GDAL can open (``/vsizip/`` for zip members)."""
        if self.member is None:
            return self.path
        return Path(f"/vsizip/{self.path}/{self.member}")


def _as_list(paths: PathsLike) -> list[Path | Source]:
    if isinstance(paths, (str, os.PathLike, Source)):
        paths = [paths]
    return [p if isinstance(p, Source) else Path(p) for p in paths]


def _human(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def check_size(name: str, size: int, max_bytes: int | None) -> None:
    """Refuse a file over the size limit, before reading it."""
    if max_bytes is not None and size > max_bytes:
        msg = (
            f"{name} is {_human(size)}, over the {_human(max_bytes)} limit for one file; "
            "split it into smaller files (e.g. one per month or per area) and import them together, "
            "or raise the limit with max_bytes=... (CLI: --max-bytes)"
        )
        raise DataSourceError(msg)


def expand_sources(
    paths: PathsLike,
    *,
    suffixes: Iterable[str],
    prefer_suffix: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    what: str = "data",
) -> list[Source]:
    """Expand files, folders and zip archives into a sorted list of sources.

    Parameters
    ----------
    paths
        One path or several: files, folders (searched recursively) or ``.zip`` archives, or
        :class:`Source` objects already expanded (taken as they are).
    suffixes
        File endings to pick up inside folders and archives (e.g. ``[".csv"]``).
    prefer_suffix
        Inside a folder or archive, if some files end with this (e.g. ``"-street.csv"``),
        take only those (police.uk downloads also hold outcomes and stop-and-search files).
    max_bytes
        Size limit per file, checked before reading; ``None`` for no limit.
    what
        What the files are, for messages.

    Raises
    ------
    DataSourceError
        A path does not exist, a folder or archive holds no matching file, or a file is
        over the size limit.
    """
    suffixes = tuple(s.lower() for s in suffixes)
    out: list[Source] = []
    for p in _as_list(paths):
        if isinstance(p, Source):  # already expanded (e.g. one member of a zip archive)
            out.append(p)
            continue
        if not p.exists():
            msg = f"{p} does not exist; give the path of a {what} file, a folder of them or a zip archive"
            raise DataSourceError(msg)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.name.lower().endswith(suffixes))
            found = _prefer(found, prefer_suffix, key=lambda q: q.name)
            if not found:
                msg = f"folder {p} holds no {what} file (looked for {', '.join(suffixes)})"
                raise DataSourceError(msg)
            out.extend(Source(str(q), q, None, q.stat().st_size) for q in found)
        elif p.suffix.lower() == ".zip" and ".zip" not in suffixes:
            try:
                with zipfile.ZipFile(p) as zf:
                    infos = sorted(
                        (i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(suffixes)),
                        key=lambda i: i.filename,
                    )
            except zipfile.BadZipFile as exc:
                msg = f"{p} is not a readable zip archive ({exc}); download it again or unzip it first"
                raise DataSourceError(msg) from exc
            infos = _prefer(infos, prefer_suffix, key=lambda i: i.filename)
            if not infos:
                msg = f"zip archive {p} holds no {what} file (looked for {', '.join(suffixes)})"
                raise DataSourceError(msg)
            out.extend(Source(f"{p}/{i.filename}", p, i.filename, i.file_size) for i in infos)
        else:
            out.append(Source(str(p), p, None, p.stat().st_size))
    unique: list[Source] = []
    seen: set[tuple[Path, str | None]] = set()
    for s in out:
        key = (s.path.resolve(), s.member)
        if key in seen:
            log.info("%s given twice: read once", s.name)
            continue
        seen.add(key)
        check_size(s.name, s.size, max_bytes)
        unique.append(s)
    return unique


def _prefer(items: list, prefer_suffix: str | None, key) -> list:
    if not prefer_suffix:
        return items
    preferred = [i for i in items if key(i).lower().endswith(prefer_suffix)]
    if preferred and len(preferred) < len(items):
        skipped = len(items) - len(preferred)
        log.info("skipping %d file(s) not ending in %s", skipped, prefer_suffix)
    return preferred or items


def decode_text(source: Source, data: bytes | None = None) -> str:
    """Decode a source as UTF-8 (a byte-order mark is allowed), or explain how to fix it."""
    data = source.read_bytes() if data is None else data
    if not data.strip():
        msg = f"{source.name} is empty; export the data again (a CSV needs a header line and at least one row)"
        raise ValidationError(msg)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        msg = (
            f"{source.name} is not UTF-8 text: byte 0x{bad} on line {line} cannot be decoded; "
            "re-save the file as UTF-8 (in Excel: 'CSV UTF-8'; or `iconv -f cp1252 -t utf-8 in.csv > out.csv`)"
        )
        raise ValidationError(msg) from exc


def read_csv_strings(
    source: Source,
    *,
    header: bool = True,
    names: Sequence[str] | None = None,
    what: str = "CSV",
    strip: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a CSV source as strings (empty cells are ``""``), with clear errors.

    Column names are stripped of surrounding spaces and cells of leading ones; trailing
    spaces are stripped from the columns in ``strip`` (default: every column). The row for
    a line number is ``index + 2`` with a header and ``index + 1`` without.
    """
    text = decode_text(source)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            header=0 if header else None,
            names=list(names) if names is not None else None,
            engine="c",
            skip_blank_lines=True,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        msg = (
            f"{source.name} is not a well-formed {what}: {exc}. Check that line for an unquoted comma or "
            "quote, or a missing or extra field, and export the file again"
        )
        raise ValidationError(msg) from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{source.name} is empty; export the data again"
        raise ValidationError(msg) from exc
    if header:
        df.columns = [str(c).strip() for c in df.columns]
    for col in df.columns if strip is None else [c for c in strip if c in df.columns]:
        df[col] = strip_text(df[col])
    if len(df) == 0:
        msg = f"{source.name} has a header but no rows; export the data again with its rows"
        raise ValidationError(msg)
    return df


def strip_text(values: pd.Series) -> pd.Series:
    """``values.str.strip()``, stripping each distinct value once when there are few of them.

    Months, categories and area codes repeat thousands of times in a file; identifiers do
    not (a sample of the first rows tells which), and are stripped one by one.
    """
    head = values.iloc[:200]
    if len(values) < 1_000 or head.nunique() * 4 > len(head):
        return values.str.strip()
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    if not all(isinstance(u, str) for u in uniques):  # missing or non-text cells (never from read_csv_strings)
        return values.str.strip()
    out = np.array([u.strip() for u in uniques], dtype=object)[codes]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def require_columns(source: Source, df: pd.DataFrame, required: Iterable[str], *, hint: str) -> None:
    """Raise if any of ``required`` is missing, naming the missing and present columns."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        msg = (
            f"{source.name} lacks column(s) {', '.join(repr(c) for c in missing)} "
            f"(it has: {', '.join(repr(c) for c in df.columns[:20])}); {hint}"
        )
        raise ValidationError(msg)


class Problems:
    """Collects every row problem of one file, then raises once (osmnx ``_validate`` habit)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: list[tuple[str, np.ndarray]] = []

    def add(self, rows: np.ndarray | Sequence[int], message: str) -> None:
        """Record ``message`` for the given line numbers (nothing if empty)."""
        rows = np.asarray(rows, dtype="int64")
        if rows.size:
            self._items.append((message, rows))

    def add_file(self, message: str) -> None:
        """Record a problem of the whole file."""
        self._items.append((message, np.empty(0, dtype="int64")))

    def __bool__(self) -> bool:
        return bool(self._items)

    @property
    def rows(self) -> np.ndarray:
        """All line numbers with a problem."""
        if not self._items:
            return np.empty(0, dtype="int64")
        return np.unique(np.concatenate([r for _, r in self._items]))

    def as_rejections(self) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, reasons)`` with the first reason of each problem row."""
        rows: list[int] = []
        reasons: list[str] = []
        seen: set[int] = set()
        for message, rs in self._items:
            for r in rs.tolist():
                if r not in seen:
                    seen.add(r)
                    rows.append(r)
                    reasons.append(message)
        return np.asarray(rows, dtype="int64"), np.asarray(reasons, dtype=object)

    def message(self, *, max_groups: int = 20, max_rows: int = 8) -> str:
        n_rows = int(self.rows.size)
        head = f"{self.name}: {n_rows} row(s) with problems" if n_rows else f"{self.name}: problems"
        lines = [head + " (nothing was imported from this file):"]
        for message, rs in self._items[:max_groups]:
            if rs.size == 0:
                lines.append(f"  - {message}")
                continue
            shown = ", ".join(str(int(r)) for r in rs[:max_rows])
            more = f" and {rs.size - max_rows} more" if rs.size > max_rows else ""
            label = "line" if rs.size == 1 else "lines"
            lines.append(f"  - {label} {shown}{more}: {message}")
        if len(self._items) > max_groups:
            lines.append(f"  - ... and {len(self._items) - max_groups} more kinds of problem")
        return "\n".join(lines)

    def raise_if_any(self) -> None:
        if self._items:
            raise ValidationError(self.message())


def parse_numbers(values: pd.Series, rows: np.ndarray, problems: Problems, column: str) -> np.ndarray:
    """Parse a string column to floats: empty cells are NaN; non-numbers and NaN/inf text are problems."""
    raw = values.to_numpy(dtype=object)
    nums = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    notfinite = ~np.isfinite(nums)
    if notfinite.any():
        text = pd.Series(raw[notfinite], dtype=object).astype(str).str.strip()
        empty_sub = (text == "").to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
        bad[np.flatnonzero(notfinite)[~empty_sub]] = True
        if bad.any():
            examples = pd.unique(raw[bad])[:3]
            problems.add(
                rows[bad],
                f"{column} is not a finite number (e.g. {', '.join(repr(e) for e in examples)}); "
                "write a plain decimal number, or leave the cell empty when the location is unknown",
            )
        nums = nums.copy()
        nums[notfinite] = np.nan
    return nums


def lonlat_swap_check(
    lon: np.ndarray, lat: np.ndarray, rows: np.ndarray, problems: Problems, *, lon_col: str, lat_col: str
) -> np.ndarray:
    """Flag rows whose longitude/latitude look swapped (latitude like a UK longitude).

    Returns the mask of swapped-looking rows. If most located rows look swapped the
    whole file is reported as swapped.
    """
    ok = np.isfinite(lon) & np.isfinite(lat)
    swapped = ok & (lat >= -9.0) & (lat <= 2.0) & (lon >= 49.0) & (lon <= 61.0)
    if not swapped.any():
        out_of_range = ok & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
        if out_of_range.any():
            problems.add(
                rows[out_of_range],
                f"{lat_col} outside -90..90 or {lon_col} outside -180..180; these columns take degrees "
                "(WGS84); for British National Grid metres use Easting/Northing columns instead",
            )
        return out_of_range
    if swapped.sum() > 0.5 * max(ok.sum(), 1):
        problems.add_file(
            f"the {lat_col} column holds values like UK longitudes (e.g. {lat[swapped][0]:.4f}) and "
            f"{lon_col} values like UK latitudes: the two columns are swapped; swap the column headers "
            f"'{lon_col}' and '{lat_col}' and import again"
        )
        problems.add(rows[swapped], f"{lon_col}/{lat_col} swapped")
    else:
        problems.add(
            rows[swapped],
            f"{lat_col} looks like a UK longitude and {lon_col} like a latitude: the values are swapped "
            "in these rows; swap them",
        )
    return swapped


# --- area of interest --------------------------------------------------------------------------------

def resolve_area(area: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries | None) -> BaseGeometry | None:
    """Turn an area of interest into one prepared shapely geometry in EPSG:27700.

    A shapely geometry is taken as EPSG:27700 and checked to lie in the British
    National Grid extent; a GeoDataFrame/GeoSeries is reprojected (it must carry a CRS).
    """
    if area is None:
        return None
    if isinstance(area, BaseGeometry):
        geom = area
        xmin, ymin, xmax, ymax = geom.bounds
        gx0, gy0, gx1, gy1 = GB_BOUNDS
        if geom.is_empty or xmin < gx0 - 1 or ymin < gy0 - 1 or xmax > gx1 or ymax > gy1 or (xmax - xmin) < 1.0:
            msg = (
                f"the area of interest's bounds {tuple(round(v, 4) for v in geom.bounds)} are not British National "
                "Grid metres; give a geometry in EPSG:27700 (reproject a longitude/latitude boundary with "
                "GeoSeries.to_crs(27700), or pass the GeoDataFrame itself)"
            )
            raise CRSError(msg)
    elif hasattr(area, "geometry") and hasattr(area, "crs"):
        gdf = to_store(area if hasattr(area, "columns") else area.to_frame("geometry"))
        geom = shapely.union_all(np.asarray(gdf.geometry.values))
    else:
        msg = f"area must be a shapely geometry in EPSG:27700 or a GeoDataFrame, got {type(area).__name__}"
        raise TypeError(msg)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    shapely.prepare(geom)
    return geom


def in_area(x: np.ndarray, y: np.ndarray, area: BaseGeometry | None) -> np.ndarray:
    """Mask of points inside (or on the edge of) ``area``; all True when ``area`` is None."""
    if area is None:
        return np.ones(len(x), dtype=bool)
    out = np.zeros(len(x), dtype=bool)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        out[ok] = shapely.intersects_xy(area, x[ok], y[ok])
    return out
