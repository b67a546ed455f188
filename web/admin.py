"""Administrators: users, roles and account requests. No young person's data is reachable from here.

Every action goes through :mod:`geo_risk.accounts`, which writes it to the audit chain;
a refused action is audited too. Privileged accounts (admin, analyst, privacy officer)
are made or promoted by request and a second administrator's approval. No administrator
can create another user's API token: each user makes their own (``/account``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from geo_risk import accounts
from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.store.models import ROLES, User
from web import queries
from web.extensions import store
from web.presentation import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")


def actor() -> accounts.Actor:
    return accounts.Actor(username=g.user.username, role=g.user.role, user_id=g.user.id, request_id=g.request_id,
                          at=g.now)


def _users_page(activation: tuple[str, str] | None = None):
    with store().transaction() as s:
        rows = [(u.id, u.username, u.role, u.school_urns, u.disabled, u.api_token_hash is not None, u.created_at,
                 u.totp_enabled_at is not None)
                for u in accounts.list_users(s)]
        names = {u.id: u.username for u in accounts.list_users(s)}
        pending = [(r.id, r.kind, r.username, r.role, names.get(r.requested_by, "the command line"),
                    r.requested_by == g.user.id, r.requested_at)
                   for r in accounts.pending_requests(s)]
    return render_template("admin/users.html", users=rows, roles=ROLES, role_labels=ROLE_LABELS, pending=pending,
                           privileged_labels=", ".join(ROLE_LABELS[r] for r in accounts.PRIVILEGED_ROLES),
                           activation=activation)


def _act(action: str, target: Callable[..., str], work: Callable[..., accounts.AdminResult]):
    """Run ``work(session)``; if it is refused, audit the refusal in its own transaction and re-raise."""
    try:
        with store().transaction() as s:
            return work(s)
    except (AccessDenied, ValidationError, NotFound):
        with store().transaction() as s:
            accounts.audit_refusal(s, actor(), action, target(s))
        raise


def _target_of(uid: int) -> Callable[..., str]:
    def name(s) -> str:
        user = s.get(User, uid)
        return user.username if user is not None else f"user #{uid}"

    return name


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
def user_create():
    f = request.form
    username = (f.get("username") or "").strip().lower()[:80]
    result = _act("admin.user.create", lambda _s: username or "-",
                  lambda s: accounts.add_account(s, actor(), username, f.get("role", ""), f.get("password", ""),
                                                 school_urns=f.get("school_urns", "")))
    flash("User added." if result.done else
          "Request filed: another administrator must approve it before the account exists.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:uid>/disable")
def user_disable(uid: int):
    _act("admin.user.disable", _target_of(uid),
         lambda s: accounts.disable_account(s, actor(), queries.current_user_row(s, uid)))
    flash("User disabled; their sessions and API token no longer work.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:uid>/enable")
def user_enable(uid: int):
    _act("admin.user.enable", _target_of(uid),
         lambda s: accounts.enable_account(s, actor(), queries.current_user_row(s, uid)))
    flash("User enabled.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:uid>/role")
def user_role(uid: int):
    f = request.form
    result = _act("admin.user.role", _target_of(uid),
                  lambda s: accounts.change_role(s, actor(), queries.current_user_row(s, uid), f.get("role", ""),
                                                 school_urns=f.get("school_urns", "")))
    flash("Role changed; their sessions have ended." if result.done else
          "Request filed: another administrator must approve the new role.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/requests/<int:rid>/<any(approve, reject):decision>")
def request_decide(rid: int, decision: str):
    def target(s) -> str:
        from geo_risk.store.models import AccountRequest

        req = s.get(AccountRequest, rid)
        return req.username if req is not None else f"request #{rid}"

    result = _act(f"admin.request.{decision}", target,
                  lambda s: accounts.decide_request(s, actor(), rid, approve=decision == "approve"))
    if result.activation_code is None:
        flash("Request rejected.", "ok")
        return redirect(url_for("admin.users"), code=303)
    # Shown once, in this response only, to the approving administrator: the account's holder
    # needs it with their password at their next sign-in. Never stored in clear or logged.
    return _users_page(activation=(result.request.username, result.activation_code))
