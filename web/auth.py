"""Sign in and out. Argon2id hashes, a new session on every sign-in, and limits on failed
sign-ins per username from one address, per username and per client address that every worker
shares (see :mod:`web.ratelimit`)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import TooManyRequests

from geo_risk import accounts, audit
from web.extensions import store
from web.policy import home_endpoint
from web.ratelimit import FailedLoginLimiter, limits_from_config
from web.security import safe_next, start_session

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


def _limiter() -> FailedLoginLimiter:
    ext = current_app.extensions
    if "geo_risk.login_limiter" not in ext:
        ext["geo_risk.login_limiter"] = FailedLoginLimiter(
            store().engine, secret=current_app.config.get("SECRET_KEY") or "",
            **limits_from_config(current_app.config))
    return ext["geo_risk.login_limiter"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.user is not None:
            return redirect(next_url or url_for(home_endpoint(g.user.role)))
        return render_template("login.html", next_url=next_url, error=None,
                               ended=request.args.get("ended") in ("1",))
    username = (request.form.get("username") or "").strip().lower()[:80]
    password = request.form.get("password") or ""
    limiter = _limiter()
    # Counted as failed until the password is found right, so that concurrent guesses
    # in other workers cannot all slip under the limit.
    attempt = limiter.start(username, request.remote_addr or "-", now=g.now)
    if attempt is None:
        log.info("request %s: sign-in refused, too many failed attempts", g.request_id)
        raise TooManyRequests("Too many failed sign-in attempts. Wait a few minutes and try again.")
    with store().transaction() as s:
        user = accounts.authenticate(s, username, password)
        # An unknown name is not recorded: it may be a password typed into the wrong box.
        known = user is not None or _exists(s, username)
        audit.record(s, username=(username or "-") if known else "(unknown)", role=user.role if user else "-",
                     purpose="authentication",
                     pseudonym=None, action="auth.login", outcome="allowed" if user else "denied",
                     request_id=g.request_id, at=g.now)
        if user is not None:
            start_session(user)
    if user is None:
        log.info("request %s: failed sign-in", g.request_id)
        return render_template("login.html", next_url=next_url, error="The username or password is not right.",
                               ended=False), 401
    limiter.succeeded(attempt, now=g.now)
    return redirect(next_url or url_for(home_endpoint(user.role)))


def _exists(session, username: str) -> bool:
    from geo_risk.errors import NotFound

    try:
        accounts.get_user(session, username)
    except NotFound:
        return False
    return True


@bp.post("/logout")
def logout():
    """End the session everywhere: the old cookie is refused if replayed."""
    with store().transaction() as s:
        user = accounts.get_user_by_id(s, g.user.id)
        if user is not None:
            accounts.end_sessions(s, user)
    session.clear()
    return redirect(url_for("auth.login"))
