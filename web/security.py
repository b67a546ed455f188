"""Per-request security: request ids, sign-in state, the route policy, timeouts and headers."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, redirect, request, session, url_for

from geo_risk import accounts, audit
from geo_risk.store.models import User
from web import policy
from web.extensions import csrf, store

log = logging.getLogger(__name__)

API_BLUEPRINT = "api_v1"
SESSION_KEYS = ("uid", "sv", "sid", "t0", "seen")


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user, detached from any database session."""

    id: int
    username: str
    role: str
    school_urns: tuple[str, ...]
    session_version: int
    auth: str  # "session" | "token"

    @classmethod
    def from_user(cls, user: User, auth: str) -> CurrentUser:
        return cls(id=user.id, username=user.username, role=user.role,
                   school_urns=tuple(accounts.user_school_urns(user)), session_version=user.session_version,
                   auth=auth)


def now() -> dt.datetime:
    return g.get("now") or current_app.config["GEO_RISK_CLOCK"]()


def is_api_request() -> bool:
    return request.blueprint == API_BLUEPRINT or request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.before_request(_authenticate)
    app.before_request(_authorise)
    app.after_request(_finish)
    app.context_processor(_template_globals)
    # CSRF runs after the request id and sign-in hooks; the token-authenticated API is exempt
    # here and checks the header itself for session callers (see _authorise).
    from web.api import bp as api_bp

    csrf.init_app(app)
    csrf.exempt(api_bp)


def _start() -> None:
    g.request_id = secrets.token_hex(8)
    g.csp_nonce = secrets.token_urlsafe(16)
    g.now = current_app.config["GEO_RISK_CLOCK"]()
    g.started = time.perf_counter()
    g.user = None
    audit.use_via(None)  # set again once the caller is known: audit events say session or token


def start_session(user: User) -> None:
    """A fresh session for ``user``: nothing from the signed-out session survives (no fixation)."""
    session.clear()
    stamp = g.now.timestamp()
    session.update(uid=user.id, sv=user.session_version, sid=secrets.token_urlsafe(24), t0=stamp, seen=stamp)
    session.permanent = True


def _end_session(reason: str) -> None:
    session.clear()
    g.session_ended = reason


def _authenticate() -> None:
    if request.endpoint == "static":
        return
    header = request.headers.get("Authorization", "")
    if is_api_request() and header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            with store().transaction() as s:
                user = accounts.user_for_token(s, token.strip())
                if user is not None:
                    g.user = CurrentUser.from_user(user, "token")
                    audit.use_via("token")
        return
    uid = session.get("uid")
    if uid is None:
        return
    stamp = g.now.timestamp()
    idle = current_app.config["GEO_RISK_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["GEO_RISK_ABSOLUTE_TIMEOUT"].total_seconds()
    if stamp - float(session.get("seen", 0)) > idle:
        return _end_session("idle")
    if stamp - float(session.get("t0", 0)) > absolute:
        return _end_session("expired")
    with store().transaction() as s:
        user = accounts.get_user_by_id(s, int(uid))
        if user is None or user.disabled or user.session_version != session.get("sv"):
            return _end_session("ended")
        g.user = CurrentUser.from_user(user, "session")
    audit.use_via("session")
    session["seen"] = stamp


def _authorise():
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 / 405 from routing
    user = g.user
    if policy.allowed(endpoint, user.role if user else None):
        if (is_api_request() and user is not None and user.auth == "session" and endpoint != "api_v1.openapi"
                and request.method not in ("GET", "HEAD", "OPTIONS")):
            csrf.protect()
        return None
    if endpoint not in policy.ROUTE_POLICY:
        log.error("route %s has no entry in the route policy: denied", endpoint)
    if user is None:
        if is_api_request():
            resp = jsonify(error="unauthorised", message="send a bearer token or sign in",
                           request_id=g.request_id)
            resp.status_code = 401
            resp.headers["WWW-Authenticate"] = 'Bearer realm="geo-risk"'
            return resp
        target = url_for("auth.login", next=request.path) if request.method == "GET" else url_for("auth.login")
        return redirect(target)
    log.warning("request %s: %s (%s) refused %s", g.request_id, user.username, user.role, endpoint)
    if endpoint in policy.YOUNG_PERSON_ENDPOINTS:
        from web.access import audit_refused_route

        audit_refused_route(endpoint, request.view_args or {})
    from werkzeug.exceptions import Forbidden

    raise Forbidden()


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path inside this app, else None (no open redirects)."""
    if not target or not isinstance(target, str) or len(target) > 500:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def content_security_policy() -> str:
    img = ["'self'", "data:"]
    tile_url = current_app.config.get("GEO_RISK_TILE_URL") or ""
    if tile_url:  # a self-hosted tile server, when configured
        parts = urlsplit(tile_url.replace("{s}.", "*.").replace("{s}", "*"))
        if parts.scheme and parts.netloc:
            img.append(f"{parts.scheme}://{parts.netloc}")
    nonce = g.get("csp_nonce", "")
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        # Leaflet positions map panes with inline styles; no third-party source is allowed.
        "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(img)}",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _finish(response):
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=(), interest-cohort=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-Id"] = request_id
    if request.endpoint not in (None, "static"):
        user = g.get("user")
        rule = request.url_rule.rule if request.url_rule is not None else "-"
        # The rule template, never the query string: no names or pseudonyms in logs.
        log.info("%s %s %s %s %.1fms user=%s", request_id, request.method, rule, response.status_code,
                 (time.perf_counter() - g.get("started", time.perf_counter())) * 1000,
                 user.username if user else "-")
    return response


def _template_globals() -> dict:
    from web import presentation

    return {
        "current_user": g.get("user"),
        "csp_nonce": g.get("csp_nonce", ""),
        "request_id": g.get("request_id", ""),
        "role_label": presentation.role_label,
        "home_endpoint": policy.home_endpoint,
        "nav_items": presentation.nav_items(g.get("user")),
        "synthetic": current_app.extensions["geo_risk.data"].peek_synthetic(store().engine),
    }
