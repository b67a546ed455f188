"""Administrators: users and roles. No young person's data is reachable from here."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from geo_risk import accounts
from geo_risk.errors import ValidationError
from geo_risk.store.models import ROLES
from web import queries
from web.extensions import store
from web.presentation import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_page(new_token: str | None = None):
    with store().transaction() as s:
        rows = [(u.id, u.username, u.role, u.school_urns, u.disabled, u.api_token_hash is not None, u.created_at)
                for u in accounts.list_users(s)]
    return render_template("admin/users.html", users=rows, roles=ROLES, role_labels=ROLE_LABELS,
                           new_token=new_token)


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
def user_create():
    f = request.form
    with store().transaction() as s:
        accounts.create_user(s, f.get("username", ""), f.get("role", ""), f.get("password", ""),
                             school_urns=f.get("school_urns", ""))
    flash("User added.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:uid>/disable")
def user_disable(uid: int):
    if uid == g.user.id:
        raise ValidationError("you cannot disable your own account")
    with store().transaction() as s:
        accounts.set_disabled(s, queries.current_user_row(s, uid), True)
    flash("User disabled; their sessions and API token no longer work.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:uid>/enable")
def user_enable(uid: int):
    with store().transaction() as s:
        accounts.set_disabled(s, queries.current_user_row(s, uid), False)
    flash("User enabled.", "ok")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:uid>/token")
def user_token(uid: int):
    with store().transaction() as s:
        token = accounts.issue_token(s, queries.current_user_row(s, uid))
    # Shown once, in this response only: never stored in clear, put in a cookie or logged.
    return _users_page(new_token=token)
