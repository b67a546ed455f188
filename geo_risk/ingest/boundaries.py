"""ONS boundary files (GeoJSON, GeoPackage, shapefile; any CRS) -> areas in EPSG:27700.

The code and name fields are detected from ONS naming: ``<LEVEL><YY>CD`` and
``<LEVEL><YY>NM`` (``LSOA11CD``/``LSOA11NM``, ``LSOA21CD``, ``MSOA11CD``, ``OA11CD``,
``WD13CD``/``WD13NM``, ``WD24CD``, ``LAD11CD``, ``LAD24CD``...). When a file has
several (an output-area file also carries ``LAD11CD``), the finest level is the area
and the coarser codes are kept as ``<level>_code`` extras (e.g. ``lad_code``).
The level is one of ``oa``, ``lsoa``, ``msoa``, ``ward``, ``lad``; the version is the
four-digit year of the codes (``LSOA11CD`` -> ``2011``). Files without a name field
(output areas) use the code as the name.

Invalid polygons are repaired with :func:`shapely.make_valid` and only their polygonal
parts kept; every area is stored as a MultiPolygon. Features without a code or a
polygonal geometry are rejected; a code seen twice is a duplicate.
"""

from __future__ import annotations

import logging
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo_risk.crs import GB_BOUNDS, STORE_CRS
from geo_risk.errors import CRSError, ValidationError
from geo_risk.ingest._files import DEFAULT_MAX_BYTES, PathsLike, Source, check_size, expand_sources, resolve_area
from geo_risk.ingest._report import ImportResult, build_report, empty_rejections, make_rejections

log = logging.getLogger(__name__)

KIND = "boundaries"
SUFFIXES = [".geojson", ".json", ".gpkg", ".shp"]

#: ONS field prefixes -> level, finest first.
LEVEL_PREFIXES: list[tuple[str, str]] = [
    ("OA", "oa"),
    ("LSOA", "lsoa"),
    ("MSOA", "msoa"),
    ("WD", "ward"),
    ("LAD", "lad"),
    ("LTLA", "lad"),
    ("UTLA", "lad"),
]
LEVELS = ("oa", "lsoa", "msoa", "ward", "lad")
_CODE_RE = re.compile(r"^(OA|LSOA|MSOA|WD|LAD|LTLA|UTLA)(\d{2})CD$", re.IGNORECASE)
_LAD_IN_NAME = re.compile(r"by_lad_([EWSN]\d{8})", re.IGNORECASE)

OUTPUT_COLUMNS = ["code", "name", "level", "version", "repaired", "lad_code", "source_file", "source_row", "geometry"]


def detect_fields(columns: list[str]) -> tuple[str, str | None, str, str, dict[str, str]]:
    """Find the code field, name field, level and version among ``columns``.

    Returns
    -------
    tuple
        ``(code_field, name_field or None, level, version, parents)`` where ``parents`` maps
        coarser levels to their code fields.

    Raises
    ------
    ValidationError
        If no ONS code field is present.
    """
    found: list[tuple[int, str, str, str]] = []
    rank = {p: i for i, (p, _) in enumerate(LEVEL_PREFIXES)}
    for col in columns:
        m = _CODE_RE.match(str(col))
        if m:
            prefix = m.group(1).upper()
            found.append((rank[prefix], col, dict(LEVEL_PREFIXES)[prefix], _year(m.group(2))))
    if not found:
        msg = (
            f"no ONS code field among {', '.join(map(str, columns))}; expected a field like LSOA11CD, LSOA21CD, "
            "MSOA11CD, OA11CD, WD13CD or LAD24CD (pass code_field=..., level=... and version=... for other files)"
        )
        raise ValidationError(msg)
    found.sort()
    _, code_field, level, version = found[0]
    stem = code_field[:-2]
    name_field = next((c for c in columns if str(c).upper() == (stem + "NM").upper()), None)
    parents = {lvl: col for _, col, lvl, _ in found[1:] if lvl != level}
    return code_field, name_field, level, version, parents


def _year(yy: str) -> str:
    n = int(yy)
    return str(2000 + n) if n < 70 else str(1900 + n)


def polygonal(geom: object) -> MultiPolygon | None:
    """The polygonal part of ``geom`` as a MultiPolygon, or None if there is none."""
    if geom is None or geom.is_empty:  # type: ignore[attr-defined]
        return None
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, (Polygon, MultiPolygon)) and not p.is_empty]
    polys: list[Polygon] = []
    for p in parts:
        polys.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(polys) if polys else None


def _crs_label(crs: object) -> str:
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.name


def _finite(geoms: np.ndarray) -> np.ndarray:
    """Whether each geometry's coordinates are all finite (missing ones count as finite)."""
    bounds = shapely.bounds(geoms)
    return np.isfinite(bounds).all(axis=1) | shapely.is_missing(geoms) | shapely.is_empty(geoms)


def _out_of_range(geoms: np.ndarray, crs: object) -> np.ndarray:
    """Geometries with coordinates outside what ``crs`` can hold (degrees beyond +-180 / +-90)."""
    from pyproj import CRS

    if not CRS.from_user_input(crs).is_geographic:
        return np.zeros(len(geoms), dtype=bool)
    b = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        bad = (b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90)
    return bad & ~shapely.is_missing(geoms)


def _range_reason(geoms: np.ndarray, crs: object) -> str:
    """Why coordinates are out of range, with the likeliest cause when they look like British National Grid."""
    b = shapely.bounds(geoms)
    xmin, ymin, xmax, ymax = GB_BOUNDS
    bng = bool(((b[:, 0] >= xmin) & (b[:, 2] <= xmax) & (b[:, 1] >= ymin) & (b[:, 3] <= ymax)).all())
    hint = ("is the file in British National Grid? Label it EPSG:27700 (or re-export it with its true CRS)" if bng
            else "are they metres in another CRS? Re-export the file with its true CRS")
    return f"coordinates out of range for {_crs_label(crs)}: {hint}"


def read_boundaries(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    code_field: str | None = None,
    name_field: str | None = None,
    level: str | None = None,
    version: str | None = None,
    crs: object = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read ONS boundary files into areas (code, name, level, version, MultiPolygon in EPSG:27700).

    Parameters
    ----------
    paths_or_path
        Files (GeoJSON, GeoPackage, shapefile), folders of them or zip archives.
    area
        Optional area of interest (geometry in EPSG:27700 or GeoDataFrame); areas that do
        not touch it are ``out_of_area``.
    code_field, name_field, level, version
        Override the detection (all four are needed for files without ONS field names).
    crs
        CRS to label files that have none (e.g. a shapefile without ``.prj``); a file that
        has a CRS is reprojected, never relabelled.
    max_bytes
        Size limit per file, checked before reading.
    """
    if level is not None and level not in LEVELS:
        msg = f"level must be one of {', '.join(LEVELS)}, got {level!r}"
        raise ValidationError(msg)
    sources = expand_sources(paths_or_path, suffixes=SUFFIXES, max_bytes=max_bytes, what="boundary")
    geom_area = resolve_area(area)
    frames = []
    rej_parts = []
    notes: dict[str, dict[str, str]] = {}
    rows_read: dict[str, int] = {}
    for src in sources:
        if src.suffix == ".shp" and src.member is None:
            for side in (".dbf", ".shx"):
                sibling = src.path.with_suffix(side)
                if sibling.exists():
                    check_size(str(sibling), sibling.stat().st_size, max_bytes)
        frame, rej, note = _read_one(src, code_field, name_field, level, version, crs, geom_area)
        rows_read[src.name] = note.pop("_rows")  # type: ignore[arg-type]
        notes[src.name] = note
        frames.append(frame)
        rej_parts.append(rej)
    allrows = pd.concat(frames, ignore_index=True)
    # duplicates across files: the same code, level and version
    key = allrows["code"] + "|" + allrows["level"] + "|" + allrows["version"]
    dup = key.duplicated(keep="first").to_numpy()
    if dup.any():
        first = allrows.loc[~dup].assign(_k=key[~dup]).set_index("_k")
        d = allrows.loc[dup]
        reasons = (
            "duplicate code " + d["code"] + "; kept row " + first.loc[key[dup], "source_row"].astype(str).to_numpy()
            + " of " + first.loc[key[dup], "source_file"].to_numpy()
        )
        for f, part in d.assign(_r=reasons.to_numpy()).groupby("source_file", sort=False):
            rej_parts.append(make_rejections(str(f), part["source_row"].to_numpy(), "duplicate", part["_r"].to_numpy()))
    gdf = allrows.loc[~dup].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=STORE_CRS)[OUTPUT_COLUMNS]
    parts = [r for r in rej_parts if len(r)]
    rejections = pd.concat(parts, ignore_index=True) if parts else empty_rejections()
    accepted = gdf.groupby("source_file", sort=False).size().to_dict()
    report = build_report(KIND, [s.name for s in sources], rows_read, accepted, rejections, notes)
    log.info("%s", report.summary())
    return ImportResult(kind=KIND, gdf=gdf, report=report)


def _read_one(
    src: Source,
    code_field: str | None,
    name_field: str | None,
    level: str | None,
    version: str | None,
    crs: object,
    area: object,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            raw = gpd.read_file(src.local_path())
    except Exception as exc:  # pyogrio raises its own DataSourceError / DataLayerError types
        msg = (
            f"{src.name} cannot be read as a boundary file ({type(exc).__name__}: {exc}); give an ONS GeoJSON, "
            "GeoPackage or shapefile (with its .shx, .dbf and .prj files beside it)"
        )
        raise ValidationError(msg) from exc
    if len(raw) == 0:
        msg = f"{src.name} has no features; download the boundary file again"
        raise ValidationError(msg)
    if raw.crs is None:
        if crs is None:
            msg = (
                f"{src.name} has no coordinate reference system (a shapefile without its .prj?); geo-risk never "
                "guesses one: put the .prj file beside it or pass crs='EPSG:27700' (or the right CRS)"
            )
            raise CRSError(msg)
        raw = raw.set_crs(crs)
    columns = [c for c in raw.columns if c != raw.geometry.name]
    if code_field is None:
        d_code, d_name, d_level, d_version, parents = detect_fields(columns)
    else:
        if code_field not in columns:
            msg = f"{src.name} has no field {code_field!r}; its fields are {', '.join(map(str, columns))}"
            raise ValidationError(msg)
        d_code, d_name, parents = code_field, None, {}
        try:
            _, d_name, d_level, d_version, parents = detect_fields(columns)
        except ValidationError:
            d_level, d_version = "", ""
    code_f = code_field or d_code
    name_f = name_field or d_name
    lvl = level or d_level
    ver = version or d_version
    if not lvl or not ver:
        msg = f"{src.name}: cannot tell the level and version of field {code_f!r}; pass level=... and version=..."
        raise ValidationError(msg)
    if name_f is not None and name_f not in columns:
        msg = f"{src.name} has no field {name_f!r}; its fields are {', '.join(map(str, columns))}"
        raise ValidationError(msg)

    n = len(raw)
    rows = np.arange(1, n + 1, dtype="int64")
    codes = raw[code_f].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    names = raw[name_f].astype("string").fillna("").str.strip().to_numpy(dtype=object) if name_f else codes.copy()
    names = np.where(names == "", codes, names)

    status = np.zeros(n, dtype="int8")  # 0 ok, 1 out of area, 2 rejected, 3 duplicate
    reason = np.full(n, "", dtype=object)
    no_code = codes == ""
    status[no_code] = 2
    reason[no_code] = f"no code in field {code_f}"

    source = raw.geometry.to_numpy()
    missing = shapely.is_missing(source) | shapely.is_empty(source)
    status[missing & (status == 0)] = 2
    reason[(status == 2) & (reason == "")] = "no geometry"
    out_of_range = (status == 0) & _out_of_range(source, raw.crs)
    if out_of_range.any():
        status[out_of_range] = 2
        reason[out_of_range] = _range_reason(source[out_of_range], raw.crs)
    # Coordinates that cannot be projected come out as inf: rejected below, never a library warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        geoms = source.copy()
        usable = status == 0
        if usable.any():
            geoms[usable] = gpd.GeoSeries(source[usable], crs=raw.crs).to_crs(STORE_CRS).to_numpy()
        unprojected = usable & ~_finite(geoms)
        status[unprojected] = 2
        reason[unprojected] = f"coordinates cannot be projected from {_crs_label(raw.crs)} to EPSG:27700; check its CRS"
        sel = status == 0
        invalid = np.zeros(n, dtype=bool)
        invalid[sel] = ~shapely.is_valid(geoms[sel])
        repaired = geoms.copy()
        if invalid.any():
            repaired[invalid] = shapely.make_valid(geoms[invalid])
    out_geoms = np.empty(n, dtype=object)
    for i in np.flatnonzero(status == 0):
        out_geoms[i] = polygonal(repaired[i])
    not_poly = (status == 0) & np.array([g is None for g in out_geoms])
    status[not_poly] = 2
    reason[not_poly] = [
        f"not a polygon ({geoms[i].geom_type}); boundaries must be (multi)polygons"
        for i in np.flatnonzero(not_poly)
    ]
    ok = status == 0
    if ok.any():
        xmin, ymin, xmax, ymax = GB_BOUNDS
        cx = shapely.get_x(shapely.point_on_surface(list(out_geoms[ok])))
        cy = shapely.get_y(shapely.point_on_surface(list(out_geoms[ok])))
        outside_gb = ~((cx >= xmin) & (cx <= xmax) & (cy >= ymin) & (cy <= ymax))
        idx = np.flatnonzero(ok)[outside_gb]
        status[idx] = 1
        reason[idx] = "outside Great Britain"
        if area is not None:
            ok = status == 0
            touches = shapely.intersects(np.asarray(list(out_geoms[ok]), dtype=object), area)
            idx = np.flatnonzero(ok)[~touches]
            status[idx] = 1
            reason[idx] = "outside the area of interest"
    # duplicate codes within the file
    ok = status == 0
    dup_in_file = ok & pd.Series(codes).where(ok).duplicated(keep="first").to_numpy() & ok
    if dup_in_file.any():
        status[dup_in_file] = 3
        reason[dup_in_file] = ["duplicate code " + c for c in codes[dup_in_file]]

    lad_from_name = _LAD_IN_NAME.search(src.basename)
    if "lad" in parents:
        lad = raw[parents["lad"]].astype("string").fillna("").to_numpy(dtype=object)
    elif lvl == "lad":
        lad = codes
    elif lad_from_name:
        lad = np.full(n, lad_from_name.group(1).upper(), dtype=object)
    else:
        lad = np.full(n, None, dtype=object)

    ok = status == 0
    frame = pd.DataFrame(
        {
            "code": codes[ok],
            "name": names[ok],
            "level": lvl,
            "version": ver,
            "repaired": invalid[ok],
            "lad_code": lad[ok],
            "source_file": src.name,
            "source_row": rows[ok],
            "geometry": out_geoms[ok],
        }
    )
    rej = []
    for code, label in ((2, "rejected"), (1, "out_of_area"), (3, "duplicate")):
        m = status == code
        if m.any():
            rej.append(make_rejections(src.name, rows[m], label, reason[m]))
    rejections = pd.concat(rej, ignore_index=True) if rej else empty_rejections()
    note: dict[str, object] = {
        "_rows": n,
        "level": lvl,
        "version": ver,
        "code_field": code_f,
        "name_field": name_f or "",
        "repaired": str(int(invalid[ok].sum())),
    }
    if int(invalid.sum()):
        log.info("%s: repaired %d invalid polygon(s) with make_valid", src.name, int(invalid.sum()))
    return frame, rejections, note
