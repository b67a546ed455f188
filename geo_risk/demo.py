"""The demo: the synthetic city generated, imported and ready to serve.

``prepare_demo`` is idempotent: a second run reuses the generated files, the
imported data and the users, so the demo starts in seconds. ``reset=True``
starts over. The city goes through the same importers as real data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from geo_risk.store.engine import session_scope
from geo_risk.store.migrate import upgrade
from geo_risk.store.models import Incident, Person, Referral, User

log = logging.getLogger(__name__)

DEMO_ROLES = ("admin", "analyst", "housing", "transport", "school", "privacy_officer")
CITY_DIRNAME = "synthetic-city"
REFERRAL_DAYS = 90


@dataclass(frozen=True)
class DemoInfo:
    """What :func:`prepare_demo` did.

    ``new_passwords`` holds the demo users' passwords only on the run that created
    them: they are printed once and never stored in clear.
    """

    city_dir: Path
    generated: bool
    imported: bool
    usernames: dict[str, str]
    new_passwords: dict[str, str] = field(default_factory=dict)
    referrals: int = 0


def _manifest(city_dir: Path) -> dict:
    return json.loads((city_dir / "manifest.json").read_text(encoding="utf-8"))


def _generate(city_dir: Path, size: str, seed: int) -> None:
    from geo_risk.synth import generate_city

    if city_dir.exists():
        shutil.rmtree(city_dir)
    generate_city(city_dir, seed=seed, size=size)


def _import_city(engine: Engine, city_dir: Path, progress: Callable[[str], None]) -> None:
    from geo_risk.ingest.load import load

    manifest = _manifest(city_dir)
    for kind, rel in manifest["import_paths"]:
        progress(f"importing {kind.replace('_', '-')}: {rel}")
        result = load(kind, city_dir / rel, engine)
        progress(f"  {result.summary()}")
    # Population denominators for the disproportionality monitor (fairness only).
    from geo_risk.fairness.population import read_population_csv, save_population

    for entry in manifest["files"]:
        if entry["kind"] == "population":
            progress(f"importing population denominators: {entry['path']}")
            with session_scope(engine) as s:
                n = save_population(s, read_population_csv(city_dir / entry["path"]))
            progress(f"  {n} population count(s) stored")


def _create_users(engine: Engine, school_urns: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    from geo_risk.accounts import create_user

    usernames = {role: f"demo-{role.replace('_', '-')}" for role in DEMO_ROLES}
    passwords: dict[str, str] = {}
    with session_scope(engine) as s:
        existing = {u.username: u for u in s.scalars(select(User).where(User.username.in_(list(usernames.values()))))}
        for role, username in usernames.items():
            if username in existing:
                existing[username].demo_account = True  # made before the flag existed: still the demo's
                continue
            password = secrets.token_urlsafe(12)
            create_user(s, username, role, password, school_urns=school_urns if role == "school" else (),
                        demo_account=True)
            passwords[role] = password
    return usernames, passwords


def _grant_referrals(engine: Engine, city_dir: Path, usernames: dict[str, str], now: dt.datetime) -> int:
    from geo_risk.accounts import grant_referral

    cases = _manifest(city_dir)["demo_cases"]
    granted = 0
    with session_scope(engine) as s:
        if s.scalar(select(func.count(Referral.id))):
            return 0
        users = {u.role: u for u in s.scalars(select(User).where(User.username.in_(list(usernames.values()))))}
        analyst = users.get("analyst")
        known = set(s.scalars(select(Person.pseudonym)))
        for case in cases:
            if case["pseudonym"] not in known:
                continue
            role = "housing" if case["purpose"] == "placement" else "transport"
            details = {k: case[k] for k in ("case_id", "home_postcode", "school_urn", "candidate_postcodes")
                       if case.get(k)}
            grant_referral(s, case["pseudonym"], users[role], case["purpose"], now + dt.timedelta(days=REFERRAL_DAYS),
                           details=details, created_by=analyst, as_of=now)
            granted += 1
    return granted


def prepare_demo(
    engine: Engine,
    data_dir: Path,
    *,
    size: str = "small",
    seed: int = 7,
    reset: bool = False,
    progress: Callable[[str], None] = log.info,
    now: dt.datetime | None = None,
) -> DemoInfo:
    """Generate, import and set up the synthetic city in ``engine``'s database.

    Parameters
    ----------
    engine
        The database to fill (the configured SpatiaLite file by default).
    data_dir
        Where the generated city's files are written.
    size, seed
        Passed to :func:`geo_risk.synth.generate_city`.
    reset
        Regenerate the files and clear the database first.
    progress
        Called with one line of progress at a time.
    now
        The moment referrals are granted from (UTC); defaults to the clock.
    """
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    city_dir = Path(data_dir) / CITY_DIRNAME
    if reset:
        _clear_database(engine)
    generated = False
    if reset or not (city_dir / "manifest.json").exists():
        progress(f"generating the synthetic city ({size}, seed {seed}) in {city_dir}")
        _generate(city_dir, size, seed)
        generated = True
    upgrade(engine)
    imported = False
    with engine.connect() as conn:
        have_incidents = conn.execute(select(func.count(Incident.id))).scalar_one() > 0
    if not have_incidents:
        _import_city(engine, city_dir, progress)
        imported = True
    cases = _manifest(city_dir)["demo_cases"]
    school_urns = sorted({c["school_urn"] for c in cases if c.get("school_urn")})[:2]
    usernames, passwords = _create_users(engine, school_urns)
    granted = _grant_referrals(engine, city_dir, usernames, now)
    return DemoInfo(city_dir=city_dir, generated=generated, imported=imported, usernames=usernames,
                    new_passwords=passwords, referrals=granted)


def _clear_database(engine: Engine) -> None:
    """Drop every geo-risk table (SpatiaLite: delete the file) so the demo starts over."""
    from sqlalchemy import text

    from geo_risk.store.models import Base

    if engine.dialect.name == "sqlite":
        path = engine.url.database
        engine.dispose()
        if path and path != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
        return
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.drop_all(conn)
