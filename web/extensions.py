"""The app's extensions: CSRF protection, the store and the data snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_risk.config import Policy
from geo_risk.store.engine import create_store_engine, session_scope

csrf = CSRFProtect()


class Store:
    """The database engine, created lazily (no connection is opened while wiring the app)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._engine: Engine | None = app.config.get("GEO_RISK_ENGINE")
        self._policy: Policy | None = app.config.get("GEO_RISK_POLICY")
        self._keyed = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            settings = self._app.config["GEO_RISK_SETTINGS"]
            self._engine = create_store_engine(settings.resolved_database_url, pool_size=10, max_overflow=10) \
                if settings.resolved_database_url.startswith("postgresql") \
                else create_store_engine(settings.resolved_database_url)
        if not self._keyed:  # the configured audit key, also on an engine handed in (geo-risk serve)
            key = self._app.config.get("GEO_RISK_AUDIT_KEY")
            if key:
                from geo_risk import audit

                audit.bind_key(self._engine, key)
            self._keyed = True
        return self._engine

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            self._policy = self._app.config["GEO_RISK_SETTINGS"].load_policy()
        return self._policy

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session in one transaction: committed on success, rolled back on error."""
        with session_scope(self.engine) as session:
            yield session


def init_app(app: Flask) -> None:
    from web.state import DataState

    app.extensions["geo_risk.store"] = Store(app)
    app.extensions["geo_risk.data"] = DataState(app)


def store() -> Store:
    return current_app.extensions["geo_risk.store"]


def data():
    """The current data snapshot and the indexes built from it (rebuilt when data changes)."""
    return current_app.extensions["geo_risk.data"].get(store().engine, store().policy)
