"""Shared fixtures: the real-data folder and database backends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("GEO_RISK_TEST_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


# --------------------------------------------------------------------------- property tests
# CI (CI set): the same examples every run (derandomize) and no example database, so a run is
# reproducible from the commit alone. Locally: random exploration with the example database, which
# replays earlier failures first. GEO_RISK_HYPOTHESIS_PROFILE picks one by name.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("GEO_RISK_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_report_header(config) -> str:
    name = settings.get_current_profile_name()
    mode = "derandomized" if settings.get_profile(name).derandomize else "random; replay with --hypothesis-seed"
    return f"hypothesis profile: {name} ({mode})"


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many drawn tables the disclosure property tests checked and discarded (over budget)."""
    from tests.briefing._enumerate import NODE_BUDGET, TALLY

    for name, counts in sorted(TALLY.items()):
        terminalreporter.write_line(
            f"disclosure property test, {name}: {counts['checked']} tables checked exhaustively, "
            f"{counts['discarded']} discarded over the search budget ({NODE_BUDGET} nodes)"
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data folder (``../shared/data``); skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


# --------------------------------------------------------------------------- databases
# One functional suite runs on both backends: SpatiaLite always, PostGIS when
# GEO_RISK_TEST_POSTGIS_URL is set (CI always sets it).

POSTGIS_URL = os.environ.get("GEO_RISK_TEST_POSTGIS_URL", "")
BACKENDS = ["spatialite", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture(scope="session")
def _spatialite_template(tmp_path_factory) -> Path:
    """A migrated SpatiaLite file, copied for each test (migrating once is faster)."""
    from geo_risk.store.engine import create_store_engine
    from geo_risk.store.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = create_store_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgis_engine():
    """The PostGIS test database, migrated from scratch once per session."""
    if not POSTGIS_URL:
        pytest.skip("GEO_RISK_TEST_POSTGIS_URL is not set")
    from sqlalchemy import text

    from geo_risk.store.engine import create_store_engine, ensure_postgis
    from geo_risk.store.migrate import upgrade
    from geo_risk.store.models import Base

    engine = create_store_engine(POSTGIS_URL)
    ensure_postgis(engine)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_postgis(engine) -> None:
    from sqlalchemy import text

    from geo_risk.store.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    """A fresh, migrated, empty database engine on each backend."""
    import shutil

    from geo_risk.store.engine import create_store_engine

    if request.param == "spatialite":
        template = request.getfixturevalue("_spatialite_template")
        path = tmp_path / "geo-risk.sqlite"
        shutil.copyfile(template, path)
        engine = create_store_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("_postgis_engine")
        _truncate_postgis(engine)
        yield engine
        _truncate_postgis(engine)


@pytest.fixture
def db_url(db) -> str:
    """The URL of the ``db`` fixture's database (for the CLI and the web app)."""
    return db.url.render_as_string(hide_password=False)


# --------------------------------------------------------------------------- audit key
# Every audit event is keyed (HMAC); the suite writes them with this key unless a test binds
# another one to its engine. Subprocesses (the CLI, the demo server) inherit it.
TEST_AUDIT_KEY = "test-audit-key-for-the-suite-only-0123456789"
os.environ.setdefault("GEO_RISK_AUDIT_KEY", TEST_AUDIT_KEY)
