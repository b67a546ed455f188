"""Web test fixtures: a seeded database on each backend, the app, and signed-in clients."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher

from geo_risk import accounts
from geo_risk.config import Settings


def _load_seed_module():
    """tests/web/web_seed.py, importable as ``web_seed`` by the test modules (pytest runs with importlib mode)."""
    import importlib.util
    import sys
    from pathlib import Path

    if "web_seed" not in sys.modules:
        spec = importlib.util.spec_from_file_location("web_seed", Path(__file__).with_name("web_seed.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["web_seed"] = module
        spec.loader.exec_module(module)
    return sys.modules["web_seed"]


_web_seed = _load_seed_module()
NOW, PASSWORD, seed = _web_seed.NOW, _web_seed.PASSWORD, _web_seed.seed

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2id with small parameters: the same code path, a hundredth of the time."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", hasher)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", hasher.hash("dummy-password"))


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now = self.now + dt.timedelta(**kwargs)


@pytest.fixture
def seeded(db):
    return db, seed(db)


FAR_POSTCODE = "ZZ8 8ZZ"


@pytest.fixture
def far_postcode(seeded) -> str:
    """A postcode at 56.0N 2.0E: in Great Britain's grid, far outside the test city's data (it cannot be
    assessed). Housing officers give postcodes only, so this is how they meet an address the data do not cover."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point

    from geo_risk.crs import lonlat_to_en
    from geo_risk.store import session_scope
    from geo_risk.store.models import Postcode

    x, y = lonlat_to_en(2.0, 56.0)
    with session_scope(seeded[0]) as s:
        s.add(Postcode(postcode=FAR_POSTCODE, quality=10, geom=from_shape(Point(float(x), float(y)), srid=27700)))
    return FAR_POSTCODE


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app_policy():
    """The policy the app runs under; None: the default policy. A module overrides this fixture
    (e.g. with :func:`without_checking_budget`) to run under another."""
    policy = None
    return policy


def without_checking_budget():
    """The default policy with the referral's checking budget lifted (``[probing]``): for tests
    of something else that ask many questions through one referral. The wording is unchanged."""
    import dataclasses

    from geo_risk.config import Policy

    policy = Policy.default()
    return dataclasses.replace(policy, probing=dataclasses.replace(
        policy.probing, max_checks=1_000_000, max_candidates=1_000_000, min_spacing_m=0.0,
        alert_min_candidates=1_000_000))


@pytest.fixture
def app(seeded, clock, app_policy):
    from web import create_app

    engine, _info = seeded
    app = create_app({
        "TESTING": True,
        "GEO_RISK_POLICY": app_policy,
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
        "GEO_RISK_ENGINE": engine,
        "GEO_RISK_CLOCK": clock,
        "GEO_RISK_SETTINGS": Settings(cookie_secure=False),
        "GEO_RISK_DATA_CHECK_SECONDS": 0.0,
        "GEO_RISK_WARM_UP": False,  # built on first use: tests stay single-threaded
    })
    return app


@pytest.fixture
def info(seeded):
    return seeded[1]


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


class Browser:
    """A test client that remembers the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kw):
        resp = self.client.get(url, **kw)
        m = CSRF_RE.search(resp.get_data(as_text=True)) if resp.mimetype == "text/html" else None
        if m:
            self.token = m.group(1)
        return resp

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            if not self.token:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


def sign_in(app, username: str | None, password: str = PASSWORD) -> Browser:
    b = Browser(app.test_client())
    b.get("/login")
    if username is not None:
        resp = b.post("/login", {"username": username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        b.get("/", follow_redirects=True)  # the landing page carries this session's CSRF token
    return b


@pytest.fixture
def signed_in(app):
    def _sign_in(username: str | None, password: str = PASSWORD) -> Browser:
        return sign_in(app, username, password)

    return _sign_in
