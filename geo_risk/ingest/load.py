"""Read and store: all-or-nothing per file, idempotent, bulk.

:func:`load` runs the reader of a kind over every file first (so a malformed file stops
the import before anything is written), then stores each file in its own transaction
together with its :class:`~geo_risk.store.models.ImportRun` and
:class:`~geo_risk.store.models.ImportRejection` rows. If storing a file fails, nothing
from that file stays. Re-importing the same data adds nothing: rows are keyed on

========== ================================= ==============================
kind       table                             key
========== ================================= ==============================
police_uk  incident                          (source, external_id)
injuries   incident                          (source, external_id)
boundaries area                              (code, level, version)
schools    school                            urn
postcodes  postcode                          postcode
streets    street_segment                    (osm_way_id, u, v)
network    person, peer_group, link, place   pseudonym, code, link_id, place_id
========== ================================= ==============================

(the peer network is one unit: its four files go in one transaction, and records already
stored are updated, so a corrected file can be re-imported). Rows go in with bulk
statements (PostGIS: ``COPY`` with hex EWKB; SpatiaLite: ``executemany`` with WKB), not
ORM objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Engine

from geo_risk.crs import STORE_SRID, require_store_crs
from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.ingest import READERS
from geo_risk.ingest._files import PathsLike
from geo_risk.ingest._report import ImportReport, ImportResult

log = logging.getLogger(__name__)

Progress = Callable[[int], None]

KINDS = tuple(READERS)
_CHUNK = 5_000
_IN_CHUNK = 900
_BULK_TRIGGER_MIN = 2_000


@dataclass(frozen=True)
class StoredFile:
    """What one file added to the database."""

    file: str
    import_run_id: int | None
    accepted: int
    inserted: int
    already_stored: int
    updated: int = 0


@dataclass(frozen=True)
class LoadResult:
    """The reader's report plus what each file added to the database."""

    kind: str
    report: ImportReport
    stored: tuple[StoredFile, ...]

    @property
    def inserted(self) -> int:
        return sum(s.inserted for s in self.stored)

    @property
    def already_stored(self) -> int:
        return sum(s.already_stored for s in self.stored)

    def summary(self) -> str:
        return f"{self.report.summary()}; {self.inserted} new row(s) stored, {self.already_stored} already stored"


def normalise_kind(kind: str) -> str:
    """``police-uk`` -> ``police_uk``; refuses unknown kinds naming the valid ones."""
    k = kind.strip().lower().replace("-", "_")
    if k not in READERS:
        msg = f"unknown import kind {kind!r}; use one of {', '.join(k.replace('_', '-') for k in KINDS)}"
        raise ValidationError(msg)
    return k


def load(
    kind: str,
    paths: PathsLike,
    engine: Engine,
    *,
    area: object = None,
    progress: Progress | None = None,
    workers: int | None = None,
    **reader_options: object,
) -> LoadResult:
    """Read ``paths`` with the ``kind`` importer and store them, all-or-nothing per file.

    Parameters
    ----------
    kind
        One of ``police_uk`` (or ``police-uk``), ``boundaries``, ``schools``, ``postcodes``,
        ``streets``, ``network``, ``injuries``.
    paths
        Files, folders or zips, as the reader takes them.
    engine
        A migrated geo-risk database (SpatiaLite or PostGIS).
    area
        Optional area of interest (EPSG:27700 geometry or GeoDataFrame).
    progress
        Called with the number of rows stored after each chunk (for progress bars).
    workers
        Files stored at once, each in its own transaction and connection. Default: 2 on
        PostGIS (the server's index work then runs on two backends), 1 on SpatiaLite (one
        writer at a time).
    **reader_options
        Passed to the reader (``errors=``, ``max_bytes=``, ``postcodes=`` ...). For schools
        and injuries without ``postcodes=``, the stored postcodes are used when needed.

    Raises
    ------
    ValidationError, DataSourceError
        From the reader (nothing is stored) or from the database (the failing file's rows
        are rolled back; earlier files stay).
    """
    k = normalise_kind(kind)
    reader = READERS[k]
    if k in ("schools", "injuries") and reader_options.get("postcodes") is None:
        reader_options["postcodes"] = _stored_postcodes(engine)
    result: ImportResult = reader(paths, area=area, **reader_options)  # type: ignore[operator]
    if k == "network":
        stored = [_store_network(engine, result, progress)]
    else:
        stored = _store_files(engine, k, result, progress, workers)
    out = LoadResult(kind=k, report=result.report, stored=tuple(stored))
    log.info("%s", out.summary())
    return out


# --- shared helpers --------------------------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def file_sha256(name: str) -> str:
    """SHA-256 of a file, or of a zip member named ``archive.zip/member``."""
    h = hashlib.sha256()
    p = Path(name)
    try:
        if p.is_file():
            with p.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            return h.hexdigest()
        if ".zip/" in name:
            archive, member = name.split(".zip/", 1)
            with zipfile.ZipFile(archive + ".zip") as zf:
                h.update(zf.read(member))
            return h.hexdigest()
    except OSError as exc:
        msg = f"cannot read {name} to fingerprint it: {exc}"
        raise DataSourceError(msg) from exc
    return h.hexdigest()


def _tables():
    from geo_risk.store import models

    return models


def _stored_postcodes(engine: Engine) -> dict[str, tuple[float, float]] | None:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT postcode, ST_X(geom), ST_Y(geom) FROM postcode").all()
    if not rows:
        return None
    return {pc: (float(x), float(y)) for pc, x, y in rows}


def _existing(conn: Connection, column, values: Iterable[object], *where) -> set[object]:
    """Values of ``column`` already stored among ``values`` (chunked IN queries)."""
    vals = list(dict.fromkeys(v for v in values if v is not None))
    found: set[object] = set()
    for i in range(0, len(vals), _IN_CHUNK):
        chunk = vals[i : i + _IN_CHUNK]
        stmt = select(column).where(column.in_(chunk), *where)
        found.update(r[0] for r in conn.execute(stmt))
    return found


def _none(values: pd.Series) -> list[object]:
    """A column as a list with NaN/NA/"" turned into None."""
    arr = values.astype(object).to_numpy()
    mask = pd.isna(arr)
    out = arr.tolist()
    for i in np.flatnonzero(mask):
        out[i] = None
    return out


def _ts(values: pd.Series, spatialite: bool) -> list[object]:
    """Datetimes as the text each backend stores (SQLAlchemy's SQLite format; ISO for COPY).

    Formatted once per distinct value (an import of monthly data has a handful).
    """
    codes, uniq = pd.factorize(pd.to_datetime(values))
    fmt = "%Y-%m-%d %H:%M:%S.%f" if spatialite else "%Y-%m-%d %H:%M:%S"
    texts = np.array([None if pd.isna(u) else u.strftime(fmt) for u in uniq] + [None], dtype=object)
    return texts[np.where(codes < 0, len(uniq), codes)].tolist()


def _point_ewkb_hex(x: np.ndarray, y: np.ndarray) -> list[str]:
    """Hex EWKB of points with SRID 27700, built with numpy (10x faster than per-geometry calls)."""
    n = len(x)
    buf = np.zeros(n, dtype=[("bo", "u1"), ("typ", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
    buf["bo"] = 1
    buf["typ"] = 0x20000001  # point, with SRID flag
    buf["srid"] = STORE_SRID
    buf["x"] = x
    buf["y"] = y
    h = buf.tobytes().hex()
    return [h[i * 50 : (i + 1) * 50] for i in range(n)]


def _copy_rows(conn: Connection, table: str, columns: list[str], rows: Iterable[Iterable[object]],
               progress: Progress | None = None) -> None:
    """PostgreSQL ``COPY ... FROM STDIN`` inside the connection's transaction."""
    cols = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    pending = 0
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            pending += 1
            if progress and pending == _CHUNK:
                progress(pending)
                pending = 0
    if progress and pending:
        progress(pending)


#: Geometry type id (shapely) of each table's geom column: checked before every bulk insert, which
#: is what SpatiaLite's per-row constraint trigger would check (SRID 27700 is set by the insert itself).
_GEOM_TYPE = {"incident": 0, "school": 0, "postcode": 0, "place": 0, "street_segment": 1, "area": 6}
_TYPE_NAMES = {0: "Point", 1: "LineString", 6: "MultiPolygon"}


def _check_geometry_types(table: str, geoms: np.ndarray) -> None:
    want = _GEOM_TYPE.get(table)
    if want is None:
        return
    ids = shapely.get_type_id(geoms)
    bad = (ids != want) | shapely.is_empty(geoms)
    if bad.any():
        msg = (
            f"{int(bad.sum())} geometr(y/ies) for table {table} are not non-empty {_TYPE_NAMES[want]}s "
            "(a bug in the importer: please report it); nothing was stored"
        )
        raise ValidationError(msg)


def _all_points(geoms: np.ndarray) -> bool:
    return bool(len(geoms)) and bool((shapely.get_type_id(geoms) == 0).all())


def _bulk_insert(conn: Connection, table: str, columns: list[str], data: list[list[object]], geoms: np.ndarray,
                 progress: Progress | None) -> int:
    """Insert rows (column lists + geometries in EPSG:27700) in bulk, inside the open transaction.

    PostGIS: one ``COPY`` with hex EWKB. SpatiaLite: ``executemany`` (``MakePoint`` for points,
    ``GeomFromWKB`` otherwise); for large batches the per-row spatial-index and timestamp
    triggers (geometry constraint, spatial index, timestamp) are dropped for the statement,
    their work done once, set-based (types checked in Python first, the new rows' bounds
    inserted into the R*Tree in one statement), and the triggers re-created from their own
    SQL; SQLite DDL is transactional, so a failure rolls all of it back.
    """
    n = len(geoms)
    if n == 0:
        return 0
    _check_geometry_types(table, geoms)
    points = _all_points(geoms)
    if conn.dialect.name == "postgresql":
        if points:
            wkb = _point_ewkb_hex(shapely.get_x(geoms), shapely.get_y(geoms))
        else:
            wkb = shapely.to_wkb(shapely.set_srid(geoms, STORE_SRID), hex=True, include_srid=True).tolist()
        _copy_rows(conn, table, [*columns, "geom"], zip(*data, wkb, strict=True), progress)
        return n
    cols = ", ".join(f'"{c}"' for c in [*columns, "geom"])
    if points:
        geom_sql = f"MakePoint(?, ?, {STORE_SRID})"
        values: list[list[object]] = [*data, shapely.get_x(geoms).tolist(), shapely.get_y(geoms).tolist()]
    else:
        geom_sql = f"GeomFromWKB(?, {STORE_SRID})"
        values = [*data, list(shapely.to_wkb(geoms))]
    marks = ", ".join(["?"] * len(columns) + [geom_sql])
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'
    # tuples made as the driver takes them, not a list of them all first (~40% less time in Python)
    rows = zip(*values, strict=True)
    triggers: list[tuple[str, str]] = []
    last_rowid = 0
    if n >= _BULK_TRIGGER_MIN:
        triggers = [
            (name, ddl)
            for name, ddl in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                "AND name IN (?, ?, ?)",
                (table, f"gii_{table}_geom", f"tmi_{table}_geom", f"ggi_{table}_geom"),
            ).all()
        ]
        last_rowid = int(conn.exec_driver_sql(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').scalar_one())
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    cursor = conn.connection.cursor()  # the connection's own DB-API cursor, inside its open transaction
    try:
        for i in range(0, n, _CHUNK):
            size = min(_CHUNK, n - i)
            cursor.executemany(sql, itertools.islice(rows, size))
            if progress:
                progress(size)
    finally:
        cursor.close()
    if triggers:
        names = {name for name, _ in triggers}
        if f"gii_{table}_geom" in names:
            # the R*Tree module rounds bounds outwards when it stores them as 32-bit floats
            conn.exec_driver_sql(
                f'INSERT INTO "idx_{table}_geom" (pkid, xmin, xmax, ymin, ymax) '
                f'SELECT rowid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM "{table}" '
                "WHERE rowid > ?",
                (last_rowid,),
            )
        if f"tmi_{table}_geom" in names:
            conn.exec_driver_sql(
                "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                "WHERE lower(f_table_name) = lower(?) AND lower(f_geometry_column) = 'geom'",
                (table,),
            )
        for _, ddl in triggers:
            conn.exec_driver_sql(ddl)
    return n


def _start_run(conn: Connection, kind: str, file: str, fr) -> int:
    m = _tables()
    res = conn.execute(
        m.ImportRun.__table__.insert().values(
            kind=kind,
            file_name=file[-400:],
            file_sha256=file_sha256(file),
            rows_read=fr.rows_read,
            accepted=fr.accepted,
            rejected=fr.rejected,
            duplicates=fr.duplicates,
            out_of_area=fr.out_of_area,
            inserted=0,
            started_at=_now(),
        )
    )
    return int(res.inserted_primary_key[0])


def _finish_run(conn: Connection, run_id: int, inserted: int, rejections: pd.DataFrame) -> None:
    m = _tables()
    if len(rejections):
        labels = {"rejected": "", "duplicate": "duplicate: ", "out_of_area": "out of area: "}
        reasons = (rejections["status"].map(labels).fillna("") + rejections["reason"].astype(str)).str.slice(0, 400)
        rows = list(zip([run_id] * len(rejections), rejections["row"].astype(int).tolist(), reasons.tolist(),
                        strict=True))
        if conn.dialect.name == "postgresql":
            _copy_rows(conn, "import_rejection", ["import_run_id", "row", "reason"], rows)
        else:
            conn.exec_driver_sql('INSERT INTO import_rejection (import_run_id, "row", reason) VALUES (?, ?, ?)', rows)
    conn.execute(
        update(m.ImportRun.__table__)
        .where(m.ImportRun.__table__.c.id == run_id)
        .values(inserted=inserted, finished_at=_now())
    )


def _store_files(engine: Engine, kind: str, result: ImportResult, progress: Progress | None,
                 workers: int | None) -> list[StoredFile]:
    files = [fr.file for fr in result.report.files]
    if workers is None:
        workers = 2 if engine.dialect.name == "postgresql" else 1
    workers = max(1, min(int(workers), len(files)))
    gdf = result.gdf
    require_store_crs(gdf, f"{kind} rows")
    if "source_file" in gdf.columns:  # each file's rows, found in one pass
        where = gdf.groupby("source_file", sort=False).indices
        parts = {f: gdf.take(where[f]) if f in where else gdf.iloc[:0] for f in files}
    else:
        parts = dict.fromkeys(files, gdf)
    if workers == 1 or engine.dialect.name != "postgresql":
        return [_store_file(engine, kind, result, f, parts[f], progress) for f in files]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geo-risk-import") as pool:
        futures = [pool.submit(_store_file, engine, kind, result, f, parts[f], progress) for f in files]
        outcomes = []
        for fut in futures:
            try:
                outcomes.append(fut.result())
            # every file finishes (or rolls back) before the first error is re-raised below
            except Exception as exc:  # noqa: BLE001
                outcomes.append(exc)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    if errors:
        stored = [o.file for o in outcomes if isinstance(o, StoredFile)]
        if stored:
            log.warning("stored before the error: %s", ", ".join(stored))
        raise errors[0]
    return outcomes  # type: ignore[return-value]


@contextmanager
def _bulk_session(conn: Connection) -> Iterator[None]:
    """SpatiaLite settings for one bulk import transaction, restored afterwards.

    A 64 MB page cache for the index work, and ``synchronous = NORMAL``: in WAL mode the
    database stays consistent after a crash, only the last committed import may need to be
    run again (imports are idempotent). No-op on PostGIS.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    sync = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
    conn.exec_driver_sql("PRAGMA cache_size = -65536")
    conn.commit()
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.exec_driver_sql(f"PRAGMA synchronous = {int(sync)}")
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
        conn.commit()


# --- one file ------------------------------------------------------------------------------------

def _store_file(engine: Engine, kind: str, result: ImportResult, file: str, part: pd.DataFrame,
                progress: Progress | None) -> StoredFile:
    fr = result.report.file_report(file)
    rej = result.report.rejections
    rej = rej[rej["file"] == file]
    store = _STORES[kind]
    try:
        with engine.connect() as outer, _bulk_session(outer), outer.begin():
            run_id = _start_run(outer, kind, file, fr)
            inserted, already = store(outer, part, run_id, progress)
            _finish_run(outer, run_id, inserted, rej)
    except (ValidationError, DataSourceError):
        raise
    except Exception as exc:  # database errors: the transaction is rolled back
        msg = f"storing {file} failed and nothing from it was kept ({type(exc).__name__}: {exc})"
        raise DataSourceError(msg) from exc
    log.info("%s: %d new, %d already stored", file, inserted, already)
    return StoredFile(file=file, import_run_id=run_id, accepted=len(part), inserted=inserted, already_stored=already)


def _store_incidents(conn: Connection, df: pd.DataFrame, run_id: int, progress: Progress | None) -> tuple[int, int]:
    m = _tables()
    t = m.Incident.__table__
    if len(df) == 0:
        return 0, 0
    new = np.ones(len(df), dtype=bool)
    for source, idx in df.groupby("source", sort=False).groups.items():
        sub = df.loc[idx]
        # this file's own ids, looked up in the (source, external_id) unique index: the cost follows
        # the file's size, not how much of its months is stored already (a national month holds 40 forces)
        stored = _stored_ids(conn, t, source, sub["external_id"].tolist())
        if stored:
            new[df.index.get_indexer(idx)] = ~sub["external_id"].isin(stored).to_numpy()
    todo = df.loc[new]
    spatialite = conn.dialect.name == "sqlite"
    n = len(todo)
    now = _now().strftime("%Y-%m-%d %H:%M:%S.%f" if spatialite else "%Y-%m-%d %H:%M:%S")
    cols = ["external_id", "category", "occurred_at", "has_time", "month", "precision", "location_text",
            "lsoa_code", "lsoa_version", "outcome", "force", "weapon", "age_band", "import_run_id", "source",
            "source_type", "recorded_at"]

    def col(name: str) -> list[object]:
        return _none(todo[name]) if name in todo.columns else [None] * n

    has_time = todo["has_time"].astype(bool).tolist()
    data = [
        col("external_id"),
        col("category"),
        _ts(todo["occurred_at"], spatialite),
        [int(b) for b in has_time] if spatialite else has_time,
        col("month"),
        col("precision"),
        [None if v is None else str(v)[:200] for v in col("location_text")],
        col("lsoa_code"),
        col("lsoa_version"),
        [None if v is None else str(v)[:200] for v in col("outcome")],
        col("force"),
        [None if v is None else str(v)[:40] for v in col("weapon")],
        [None if v is None else str(v)[:16] for v in col("age_band")],
        [run_id] * n,
        col("source"),
        col("source_type"),
        [now] * n,
    ]
    inserted = _bulk_insert(conn, "incident", cols, data, todo.geometry.to_numpy(), progress)
    return inserted, int((~new).sum())


def _stored_ids(conn: Connection, table, source: str, ids: list[object]) -> set[object]:
    """Which of ``ids`` are stored for ``source`` already."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import String, any_
        from sqlalchemy.dialects.postgresql import ARRAY

        q = select(table.c.external_id).where(
            table.c.source == source, table.c.external_id == any_(bindparam("ids", type_=ARRAY(String)))
        )
        return set(conn.execute(q, {"ids": ids}).scalars())
    stored: set[object] = set()
    for i in range(0, len(ids), _IN_CHUNK):
        q = select(table.c.external_id).where(table.c.source == source, table.c.external_id.in_(ids[i : i + _IN_CHUNK]))
        stored.update(conn.execute(q).scalars())
    return stored


def _store_areas(conn: Connection, df: pd.DataFrame, run_id: int, progress: Progress | None) -> tuple[int, int]:
    m = _tables()
    t = m.Area.__table__
    new = np.ones(len(df), dtype=bool)
    for (level, version), idx in df.groupby(["level", "version"], sort=False).groups.items():
        sub = df.loc[idx]
        stored = _existing(conn, t.c.code, sub["code"], t.c.level == level, t.c.version == version)
        new[df.index.get_indexer(idx)] = ~sub["code"].isin(stored).to_numpy()
    todo = df.loc[new]
    data = [_none(todo["code"]), [str(v)[:200] for v in todo["name"]], _none(todo["level"]), _none(todo["version"])]
    inserted = _bulk_insert(conn, "area", ["code", "name", "level", "version"], data, todo.geometry.to_numpy(),
                            progress)
    return inserted, int((~new).sum())


def _store_schools(conn: Connection, df: pd.DataFrame, run_id: int, progress: Progress | None) -> tuple[int, int]:
    m = _tables()
    t = m.School.__table__
    stored = _existing(conn, t.c.urn, df["urn"])
    new = ~df["urn"].isin(stored).to_numpy()
    todo = df.loc[new]
    data = [_none(todo["urn"]), [str(v)[:200] for v in todo["name"]], _none(todo["phase"]), _none(todo["postcode"])]
    inserted = _bulk_insert(conn, "school", ["urn", "name", "phase", "postcode"], data, todo.geometry.to_numpy(),
                            progress)
    return inserted, int((~new).sum())


def _store_postcodes(conn: Connection, df: pd.DataFrame, run_id: int, progress: Progress | None) -> tuple[int, int]:
    m = _tables()
    t = m.Postcode.__table__
    stored = _existing(conn, t.c.postcode, df["postcode"])
    new = ~df["postcode"].isin(stored).to_numpy()
    todo = df.loc[new]
    quality = [None if pd.isna(q) else int(q) for q in todo["quality"].tolist()]
    inserted = _bulk_insert(conn, "postcode", ["postcode", "quality"], [_none(todo["postcode"]), quality],
                            todo.geometry.to_numpy(), progress)
    return inserted, int((~new).sum())


def _store_streets(conn: Connection, df: pd.DataFrame, run_id: int, progress: Progress | None) -> tuple[int, int]:
    m = _tables()
    t = m.StreetSegment.__table__
    way = df["osm_way_id"].astype("Int64").fillna(-1).astype("int64")
    keys = pd.Series(list(zip(way.tolist(), df["u"].astype("int64").tolist(), df["v"].astype("int64").tolist())),
                     index=df.index)
    stored: set[tuple[int, int, int]] = set()
    us = list(dict.fromkeys(df["u"].astype("int64").tolist()))
    for i in range(0, len(us), _IN_CHUNK):
        q = select(t.c.osm_way_id, t.c.u, t.c.v).where(t.c.u.in_(us[i : i + _IN_CHUNK]))
        stored.update((-1 if w is None else int(w), int(u), int(v)) for w, u, v in conn.execute(q))
    new = ~keys.isin(stored).to_numpy()
    todo = df.loc[new]
    spatialite = conn.dialect.name == "sqlite"
    walk = todo["walkable"].astype(bool).tolist()
    data = [
        todo["u"].astype("int64").tolist(),
        todo["v"].astype("int64").tolist(),
        todo["length_m"].astype(float).tolist(),
        [str(h)[:40] for h in todo["highway"]],
        [None if v is None else str(v)[:200] for v in _none(todo["name"])],
        [int(w) for w in walk] if spatialite else walk,
        [None if pd.isna(w) else int(w) for w in todo["osm_way_id"].tolist()],
    ]
    inserted = _bulk_insert(conn, "street_segment", ["u", "v", "length_m", "highway", "name", "walkable", "osm_way_id"],
                            data, todo.geometry.to_numpy(), progress)
    return inserted, int((~new).sum())


_STORES = {
    "police_uk": _store_incidents,
    "injuries": _store_incidents,
    "boundaries": _store_areas,
    "schools": _store_schools,
    "postcodes": _store_postcodes,
    "streets": _store_streets,
}


# --- the peer network: one transaction, upsert -----------------------------------------------------

def _records(df: pd.DataFrame, columns: list[str]) -> list[dict[str, object]]:
    out = []
    cols = {c: _none(df[c]) if c in df.columns else [None] * len(df) for c in columns}
    for i in range(len(df)):
        rec = {c: cols[c][i] for c in columns}
        for k, v in rec.items():
            if isinstance(v, pd.Timestamp):
                rec[k] = v.to_pydatetime()
            elif isinstance(v, np.generic):
                rec[k] = v.item()
        out.append(rec)
    return out


def _upsert(conn: Connection, table, key: str, records: list[dict[str, object]]) -> tuple[int, int]:
    if not records:
        return 0, 0
    stored = _existing(conn, table.c[key], [r[key] for r in records])
    new = [r for r in records if r[key] not in stored]
    old = [r for r in records if r[key] in stored]
    if new:
        conn.execute(table.insert(), new)
    if old:
        cols = [c for c in old[0] if c != key]
        stmt = update(table).where(table.c[key] == bindparam("_key")).values({c: bindparam(c) for c in cols})
        conn.execute(stmt, [{**{c: r[c] for c in cols}, "_key": r[key]} for r in old])
    return len(new), len(old)


def _store_network(engine: Engine, result: ImportResult, progress: Progress | None) -> StoredFile:
    m = _tables()
    t = result.tables
    now = _now()
    files = [f.file for f in result.report.files]
    label = files[0].rsplit("/", 1)[0] if files else "network"
    try:
        with engine.begin() as conn:
            fr = result.report.files[0]
            run_id = _start_run(conn, "network", files[0], fr) if files else None
            people = _records(t["people"], ["pseudonym", "is_child", "birth_month", "cce_concern", "cse_concern",
                                            "looked_after", "sex", "ethnicity", "religion", "home_area_code",
                                            "source", "source_type"])
            for r in people:
                r["recorded_at"] = now
            groups = _records(t["groups"], ["code", "label", "source", "source_type"])
            for r in groups:
                r["recorded_at"] = now
            links = _records(t["links"], ["link_id", "from_kind", "from_key", "to_kind", "to_key", "type",
                                          "evidence_grade", "evidence", "source", "source_type", "first_seen",
                                          "last_seen", "review_by", "expires_at", "status"])
            for r in links:
                r["recorded_at"] = now
            places_df = t["places"]
            places = _records(places_df, ["place_id", "entity_kind", "entity_key", "kind", "evidence_grade",
                                          "evidence", "source", "source_type", "first_seen", "last_seen",
                                          "review_by", "expires_at", "status"])
            wkts = shapely.to_wkt(places_df.geometry.to_numpy(), rounding_precision=-1) if len(places_df) else []
            for r, w in zip(places, wkts, strict=True):
                r["recorded_at"] = now
                r["geom"] = f"SRID={STORE_SRID};{w}"
            ins = upd = 0
            for table, key, recs in (
                (m.Person.__table__, "pseudonym", people),
                (m.Group.__table__, "code", groups),
                (m.Link.__table__, "link_id", links),
                (m.Place.__table__, "place_id", places),
            ):
                a, b = _upsert(conn, table, key, recs)
                ins += a
                upd += b
                if progress:
                    progress(len(recs))
            if run_id is not None:
                _finish_run(conn, run_id, ins, result.report.rejections)
    except (ValidationError, DataSourceError):
        raise
    except Exception as exc:
        msg = f"storing the peer network from {label} failed and nothing was kept ({type(exc).__name__}: {exc})"
        raise DataSourceError(msg) from exc
    total = sum(len(v) for v in t.values() if v is not None)
    return StoredFile(file=label, import_run_id=run_id, accepted=total, inserted=ins, already_stored=upd, updated=upd)
