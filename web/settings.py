"""Flask configuration from geo-risk :class:`~geo_risk.config.Settings`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from geo_risk.config import Settings, check_key_length
from geo_risk.errors import ConfigError
from web.ratelimit import limits_from_config

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Set the app's configuration: safe defaults, then settings, then ``config``."""
    overrides = dict(config or {})
    settings = overrides.get("GEO_RISK_SETTINGS")
    if settings is None:
        settings = Settings.load()
    app.config.update(
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
        SECRET_KEY=settings.secret_key or None,
        SESSION_COOKIE_NAME="geo_risk_session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=ABSOLUTE_TIMEOUT,
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which times out itself
        WTF_CSRF_SSL_STRICT=True,
        GEO_RISK_SETTINGS=settings,
        GEO_RISK_ENGINE=None,
        GEO_RISK_POLICY=None,
        GEO_RISK_GUIDANCE=None,  # geo_risk.guidance.Guidance: the sentences beside bands and levels
        GEO_RISK_CLOCK=utcnow,
        GEO_RISK_IDLE_TIMEOUT=IDLE_TIMEOUT,
        GEO_RISK_ABSOLUTE_TIMEOUT=ABSOLUTE_TIMEOUT,
        # failed logins (attempts, window seconds): per username from one client address,
        # per username from every address (much higher: one attacker cannot lock a user out),
        # and per client address over every username
        GEO_RISK_LOGIN_LIMIT=(5, 300),
        GEO_RISK_LOGIN_USER_LIMIT=(50, 300),
        GEO_RISK_LOGIN_IP_LIMIT=(30, 300),
        GEO_RISK_DATA_CHECK_SECONDS=5.0,  # how often to look for new data to rebuild the snapshot
        GEO_RISK_WARM_UP=True,  # build surfaces, walk graph and map layers in the background after a load
        GEO_RISK_TILE_URL=settings.tile_url,
        GEO_RISK_TRUSTED_PROXIES=settings.trusted_proxies,  # reverse proxies setting X-Forwarded-For
        GEO_RISK_AUDIT_KEY=settings.audit_key_bytes(),  # the audit chain's HMAC key (bytes)
        GEO_RISK_AUDIT_KEYED_FROM=settings.audit_keyed_from,
    )
    app.config.update(overrides)
    if app.config.get("DEBUG"):
        msg = "the geo-risk web app never runs with DEBUG on: it would show personal data in tracebacks"
        raise ConfigError(msg)
    if not app.config.get("SECRET_KEY") and not app.config.get("TESTING"):
        msg = "set GEO_RISK_SECRET_KEY (a long random string) to serve the web app"
        raise ConfigError(msg)
    if app.config.get("SECRET_KEY"):
        check_key_length(app.config["SECRET_KEY"], "GEO_RISK_SECRET_KEY")
    if app.config.get("GEO_RISK_AUDIT_KEY"):
        check_key_length(app.config["GEO_RISK_AUDIT_KEY"], "the audit key")
    elif not app.config.get("TESTING"):
        msg = ("set GEO_RISK_AUDIT_KEY or GEO_RISK_AUDIT_KEY_FILE (at least 32 random bytes, kept outside the "
               "database) to serve the web app: it keys the audit chain")
        raise ConfigError(msg)
    limits_from_config(app.config)  # a bad limit stops the app here, not at every sign-in
    if app.config.get("GEO_RISK_POLICY") is None:  # a bad policy stops the app here, every problem listed
        app.config["GEO_RISK_POLICY"] = settings.load_policy()
    if app.config.get("GEO_RISK_GUIDANCE") is None:  # checked against the policy's bands and levels
        from geo_risk.guidance import load_guidance

        app.config["GEO_RISK_GUIDANCE"] = load_guidance(settings.guidance_file, app.config["GEO_RISK_POLICY"])
    hops = app.config.get("GEO_RISK_TRUSTED_PROXIES")
    if not isinstance(hops, int) or isinstance(hops, bool) or hops < 0:
        msg = f"GEO_RISK_TRUSTED_PROXIES must be a whole number of reverse proxies, 0 or more, not {hops!r}"
        raise ConfigError(msg)
    logging.getLogger("web").setLevel(settings.log_level)
