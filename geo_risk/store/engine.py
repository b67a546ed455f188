"""Database engines for the two backends behind one URL setting.

- ``sqlite:///path`` -> SpatiaLite (``mod_spatialite``), the embedded default;
- ``postgresql+psycopg://...`` -> PostGIS, for production.

Where Python's own ``sqlite3`` cannot load extensions, ``pysqlite3`` is used.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_risk.errors import DataSourceError

log = logging.getLogger(__name__)

_SPATIALITE_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/mod_spatialite.so",
    "/usr/lib/aarch64-linux-gnu/mod_spatialite.so",
    "/usr/lib/mod_spatialite.so",
    "/usr/local/lib/mod_spatialite.so",
    "/opt/homebrew/lib/mod_spatialite.dylib",
    "/usr/local/lib/mod_spatialite.dylib",
)


def spatialite_library_path() -> str:
    """Path of ``mod_spatialite``: ``SPATIALITE_LIBRARY_PATH`` or a known location."""
    env = os.environ.get("SPATIALITE_LIBRARY_PATH")
    if env:
        return env
    for candidate in _SPATIALITE_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = ctypes.util.find_library("spatialite")
    if found:
        return found
    msg = (
        "SpatiaLite (mod_spatialite) was not found. Install it (Debian/Ubuntu: "
        "`apt-get install libsqlite3-mod-spatialite`; macOS: `brew install libspatialite`) "
        "or set SPATIALITE_LIBRARY_PATH to the library file"
    )
    raise DataSourceError(msg)


def _sqlite_module():
    """A DB-API sqlite module that can load extensions."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    try:
        if hasattr(conn, "enable_load_extension"):
            return sqlite3
    finally:
        conn.close()
    try:
        import pysqlite3.dbapi2 as pysqlite
    except ImportError as exc:  # pragma: no cover - depends on the platform
        msg = (
            "this Python's sqlite3 cannot load extensions and pysqlite3 is not installed; "
            "run `pip install pysqlite3-binary`"
        )
        raise DataSourceError(msg) from exc
    return pysqlite


def _on_spatialite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.enable_load_extension(True)
    dbapi_conn.load_extension(spatialite_library_path())
    dbapi_conn.enable_load_extension(False)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    # 16 KiB pages for a new file (no effect on an existing one): fewer, fuller pages for the
    # bulk imports and table scans geo-risk does; measured 10% faster police.uk imports than 4 KiB
    cur.execute("PRAGMA page_size = 16384")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("SELECT count(*) FROM sqlite_master WHERE name = 'spatial_ref_sys'")
    if cur.fetchone()[0] == 0:
        # Only the two systems geo-risk uses: fast, and no silent SRID 0.
        cur.execute("SELECT InitSpatialMetaData(1, 'NONE')")
        cur.execute("SELECT InsertEpsgSrid(27700)")
        cur.execute("SELECT InsertEpsgSrid(4326)")
        dbapi_conn.commit()
    cur.close()


def is_spatialite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_store_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with spatial support switched on.

    Raises
    ------
    DataSourceError
        For an unsupported URL scheme or a missing SpatiaLite library.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, module=_sqlite_module(), **kwargs)
        event.listen(engine, "connect", _on_spatialite_connect)
        return engine
    if url.startswith("postgresql"):
        if url.startswith(("postgresql://", "postgresql+psycopg2")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(url, pool_pre_ping=True, **kwargs)
    msg = f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:///FILE (SpatiaLite) or postgresql+psycopg://... (PostGIS)"
    raise DataSourceError(msg)


def ensure_postgis(engine: Engine) -> None:
    """Create the PostGIS extension if it is missing (needs the right to do so)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
