"""Sign in and out, and each user's own account page.

Argon2id hashes, a new session on every sign-in, and limits on failed sign-ins per
username from one address, per username and per client address that every worker
shares (see :mod:`web.ratelimit`). After the password, a sign-in may take further
steps before the session starts: the activation code of an account an administrator's
request made or promoted, then two-factor sign-in (TOTP), which admins, analysts and
privacy officers must use (enrolled at their first sign-in; the demo's accounts on the
synthetic city are exempt) and others may. Until the last step the browser holds only
a short-lived "pending" marker, not a session.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import TooManyRequests

from geo_risk import accounts, audit
from geo_risk.errors import NotFound, ValidationError
from geo_risk.store.models import User
from web.extensions import store
from web.policy import home_endpoint
from web.ratelimit import Attempt, FailedLoginLimiter, limits_from_config
from web.security import safe_next, start_session

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

PENDING_SECONDS = 600  # time to finish the steps after the password
PENDING_FAILURES = 5  # wrong codes before the sign-in starts over


def _limiter() -> FailedLoginLimiter:
    ext = current_app.extensions
    if "geo_risk.login_limiter" not in ext:
        ext["geo_risk.login_limiter"] = FailedLoginLimiter(
            store().engine, secret=current_app.config.get("SECRET_KEY") or "",
            **limits_from_config(current_app.config))
    return ext["geo_risk.login_limiter"]


def _synthetic() -> bool:
    return current_app.extensions["geo_risk.data"].peek_synthetic(store().engine)


def _login_page(next_url, error=None, status=200, ended=False):
    return render_template("login.html", next_url=next_url, error=error, ended=ended,
                           synthetic=_synthetic()), status


def _next_step(user: User, done: tuple[str, ...] = ()) -> str | None:
    if user.activation_hash:
        return "activate"
    if "second" in done:
        return None
    if accounts.totp_enrolled(user):
        return "totp"
    if accounts.totp_required(user, synthetic=_synthetic()):
        return "enrol"
    return None


def _audit_login(s, username: str, role: str, outcome: str, action: str = "auth.login") -> None:
    audit.record(s, username=username, role=role, purpose="authentication", pseudonym=None, action=action,
                 outcome=outcome, request_id=g.request_id, at=g.now, via="session")


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.user is not None:
            return redirect(next_url or url_for(home_endpoint(g.user.role)))
        return _login_page(next_url, ended=request.args.get("ended") in ("1",))
    username = (request.form.get("username") or "").strip().lower()[:80]
    password = request.form.get("password") or ""
    limiter = _limiter()
    # Counted as failed until the password (and any second step) is found right, so that
    # concurrent guesses in other workers cannot all slip under the limit.
    attempt = limiter.start(username, request.remote_addr or "-", now=g.now)
    if attempt is None:
        log.info("request %s: sign-in refused, too many failed attempts", g.request_id)
        raise TooManyRequests("Too many failed sign-in attempts. Wait a few minutes and try again.")
    step = None
    with store().transaction() as s:
        user = accounts.authenticate(s, username, password)
        # An unknown name is not recorded: it may be a password typed into the wrong box.
        known = user is not None or _exists(s, username)
        if user is not None:
            step = _next_step(user)
        if user is None or step is None:
            _audit_login(s, (username or "-") if known else "(unknown)", user.role if user else "-",
                         "allowed" if user else "denied")
        if user is not None and step is None:
            start_session(user)
        elif user is not None:
            session.clear()
            session["pending"] = {"uid": user.id, "username": user.username, "sv": user.session_version,
                                  "t0": g.now.timestamp(),
                                  "fails": 0, "next": next_url, "keys": list(attempt.user_keys),
                                  "rows": list(attempt.row_ids)}
    if user is None:
        log.info("request %s: failed sign-in", g.request_id)
        return _login_page(next_url, error="The username or password is not right.", status=401)
    if step is not None:
        return redirect(url_for("auth.login_step"), code=303)
    limiter.succeeded(attempt, now=g.now)
    return redirect(next_url or url_for(home_endpoint(user.role)))


def _pending_user(s) -> User | None:
    pending = session.get("pending")
    if not isinstance(pending, dict):
        return None
    if g.now.timestamp() - float(pending.get("t0", 0)) > PENDING_SECONDS:
        return None
    user = accounts.get_user_by_id(s, int(pending.get("uid", 0)))
    if user is None or user.disabled or user.session_version != pending.get("sv"):
        return None
    return user


def _start_over(message: str):
    session.clear()
    return _login_page(None, error=message, status=401)


@bp.route("/login/continue", methods=["GET", "POST"])
def login_step():
    """The steps after the password: activation code, two-factor enrolment, two-factor code."""
    if "pending" not in session:  # nothing to continue
        if g.user is not None:
            return redirect(url_for(home_endpoint(g.user.role)))
        return _login_page(None)
    pending = dict(session.get("pending") or {})
    limiter = _limiter()
    code_attempt = None
    if request.method == "POST":
        # Each code counts as a failed attempt until it is found right (taken before the
        # transaction below: the limiter writes in its own).
        code_attempt = limiter.start(str(pending.get("username", "")), request.remote_addr or "-", now=g.now)
        if code_attempt is None:
            raise TooManyRequests("Too many failed sign-in attempts. Wait a few minutes and try again.")
    finished = False
    with store().transaction() as s:
        user = _pending_user(s)
        if user is None:
            return _start_over("The sign-in took too long or was ended. Sign in again.")
        done = tuple(pending.get("done", ()))
        step = _next_step(user, done)
        if step == "enrol" and not user.totp_secret:
            accounts.begin_totp(s, user)
        if request.method == "GET" or step is None:
            return _render_step(user, step)
        code = (request.form.get("code") or "").strip()
        recovery: list[str] | None = None
        if step == "activate":
            ok = accounts.check_activation(user, code)
            if ok:
                user.activation_hash = None
        elif step == "enrol":
            recovery = accounts.confirm_totp(s, user, code, g.now)
            ok = recovery is not None
        else:
            ok = accounts.check_totp(user, code, g.now) or accounts.use_recovery_code(user, code)
        if not ok:
            pending["fails"] = int(pending.get("fails", 0)) + 1
            session["pending"] = pending
            _audit_login(s, user.username, user.role, "denied", action=f"auth.{step}")
            if pending["fails"] >= PENDING_FAILURES:
                return _start_over("Too many wrong codes. Sign in again.")
            return _render_step(user, step, error="That code is not right. Check it and try again.", status=401)
        if step != "activate":
            done = (*done, "second")
        if _next_step(user, done) is None:
            _audit_login(s, user.username, user.role, "allowed")
            start_session(user)
            finished = True
        else:
            session["pending"] = {**pending, "done": list(done)}
        role = user.role
    limiter.succeeded(code_attempt, now=g.now)
    if not finished:
        return redirect(url_for("auth.login_step"), code=303)
    password_attempt = Attempt(user_keys=tuple(pending.get("keys", ())), row_ids=tuple(pending.get("rows", ())))
    limiter.succeeded(password_attempt, now=g.now)
    next_url = safe_next(pending.get("next"))
    if recovery is not None:
        return render_template("auth/recovery_codes.html", codes=recovery,
                               next_url=next_url or url_for(home_endpoint(role)))
    return redirect(next_url or url_for(home_endpoint(role)))


def _render_step(user: User, step: str | None, *, error: str | None = None, status: int = 200):
    if step is None:
        return redirect(url_for("auth.login"))
    return render_template("auth/step.html", step=step, error=error, username=user.username,
                           secret=user.totp_secret if step == "enrol" else None,
                           uri=accounts.totp_uri(user) if step == "enrol" else None), status


def _exists(session_, username: str) -> bool:
    try:
        accounts.get_user(session_, username)
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


# --------------------------------------------------------------------------- the user's own account


def _me(s) -> User:
    user = accounts.get_user_by_id(s, g.user.id)
    if user is None:
        raise NotFound("no such user")
    return user


def _actor() -> accounts.Actor:
    return accounts.Actor(username=g.user.username, role=g.user.role, user_id=g.user.id, request_id=g.request_id,
                          at=g.now)


def _account_page(*, new_token: str | None = None, secret: str | None = None, uri: str | None = None,
                  recovery: list[str] | None = None, status: int = 200):
    with store().transaction() as s:
        user = _me(s)
        facts = {"enrolled": accounts.totp_enrolled(user),
                 "required": accounts.totp_required(user, synthetic=_synthetic()),
                 "has_token": user.api_token_hash is not None,
                 "recovery_left": len(user.recovery_codes or [])}
    return render_template("auth/account.html", facts=facts, new_token=new_token, secret=secret, uri=uri,
                           recovery=recovery), status


@bp.get("/account")
def account():
    return _account_page()


@bp.post("/account/token")
def account_token():
    """A new API token for the signed-in user, who types their password again. Shown once."""
    password = request.form.get("password") or ""
    with store().transaction() as s:
        try:
            token = accounts.create_own_token(s, _actor(), _me(s), password)
        except ValidationError:
            token = None
    if token is None:
        with store().transaction() as s:
            accounts.audit_refusal(s, _actor(), "account.token.create", g.user.username)
        flash("The password is not right: no token was made.", "error")
        return _account_page(status=400)
    # Never stored in clear, put in a cookie or logged.
    return _account_page(new_token=token)


@bp.post("/account/two-factor")
def account_two_factor():
    """Turn two-factor sign-in on (step 1: a secret; step 2: a code confirms it) or off."""
    action = request.form.get("action")
    with store().transaction() as s:
        user = _me(s)
        if action == "begin":
            secret = accounts.begin_totp(s, user)
            uri = accounts.totp_uri(user)
            return _account_page(secret=secret, uri=uri)
        if action == "confirm":
            codes = accounts.confirm_totp(s, user, request.form.get("code") or "", g.now)
            if codes is None:
                flash("That code is not right: two-factor sign-in is not on yet. Start again.", "error")
                return _account_page(status=400)
            audit.record(s, username=user.username, role=user.role, purpose="account", pseudonym=None,
                         action="account.totp.enrol", outcome="allowed", request_id=g.request_id, at=g.now,
                         target=user.username)
            return _account_page(recovery=codes)
        if action == "remove":
            if not accounts.check_totp(user, request.form.get("code") or "", g.now):
                flash("That code is not right: two-factor sign-in stays on.", "error")
                return _account_page(status=400)
            accounts.remove_totp(s, user, synthetic=_synthetic())
            audit.record(s, username=user.username, role=user.role, purpose="account", pseudonym=None,
                         action="account.totp.remove", outcome="allowed", request_id=g.request_id, at=g.now,
                         target=user.username)
            flash("Two-factor sign-in is off.", "ok")
            return redirect(url_for("auth.account"), code=303)
        if action == "recovery":
            if not accounts.check_totp(user, request.form.get("code") or "", g.now):
                flash("That code is not right: your recovery codes are unchanged.", "error")
                return _account_page(status=400)
            codes = accounts.new_recovery_codes(user)
            return _account_page(recovery=codes)
    raise ValidationError("unknown two-factor action")
