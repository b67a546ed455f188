"""Administrators: users, roles and account requests. No young person's data is reachable from here.

Every action goes through :mod:`geo_risk.accounts`, which writes it to the audit chain;
a refused action is audited too. Privileged accounts (admin, analyst, privacy officer)
are made or promoted by request and a second administrator's approval. No administrator
can create another user's API token: each user makes their own (``/account``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from geo_risk import accounts
from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.store.models import ROLES, User
from web import queries
from web.extensions import data, store
from web.presentation import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")


def actor() -> accounts.Actor:
    return accounts.Actor(username=g.user.username, role=g.user.role, user_id=g.user.id, request_id=g.request_id,
                          at=g.now)


def _users_page(activation: tuple[str, str] | None = None, *, values: dict | None = None,
                errors: dict[str, str] | None = None, status: int = 200):
    """The users page; ``values`` and ``errors`` are a form sent back with what was typed and what is
    wrong with it (the add form's fields, or a row's ``role-<id>`` and ``school_urns-<id>``)."""
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
                           activation=activation, values=values or {}, errors=errors or {}), status


_SCHOOL_LEADER = ROLE_LABELS["school"]


def _loaded_urns() -> dict[str, str]:
    """URN -> name of every school in the loaded data."""
    schools = data().snapshot.schools
    return {str(u): str(n) for u, n in zip(schools["urn"], schools["name"], strict=True)}


def _urn_error(role: str, typed: str) -> str | None:
    """What is wrong with the school URNs typed for an account of ``role`` (None when nothing is)."""
    urns = [u for u in re.split(r"[\s,;]+", typed) if u]
    if role != "school":
        return f"Only {_SCHOOL_LEADER.lower()} accounts have school URNs: clear this box" if urns else None
    if not urns:
        return "Enter the URN of at least one school, for example 100000"
    known = _loaded_urns()
    unknown = [u for u in dict.fromkeys(urns) if u not in known]
    if unknown:
        listed = ", ".join(unknown)
        return (f"No loaded school has the URN {listed}: check the URN against the school list, or import the "
                f"schools first" if len(unknown) == 1 else
                f"No loaded school has these URNs: {listed}; check them against the school list")
    return None


# which field a message from the accounts module is about, by its opening words
_FIELD_OF = (("password", "password"), ("that password", "password"), ("username", "username"),
             ("a request for", "username"), ("unknown role", "role"), ("school", "school_urns"),
             ("a school", "school_urns"), ("only school", "school_urns"))


def _field_of(message: str, default: str) -> str:
    lowered = message.lower()
    for start, field in sorted(_FIELD_OF, key=lambda p: -len(p[0])):
        if lowered.startswith(start):
            return field
    return default


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _refuse(action: str, target: str) -> None:
    """Audit a refused action in its own transaction (as :func:`_act` does for the accounts module's refusals)."""
    with store().transaction() as s:
        accounts.audit_refusal(s, actor(), action, target)


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
    """Add a user. A form with something missing or wrong comes back with each problem beside its field
    and what was typed kept (never the password)."""
    f = request.form
    values = {"username": (f.get("username") or "").strip()[:80], "role": f.get("role", ""),
              "school_urns": (f.get("school_urns") or "").strip()[:400]}
    username = values["username"].lower()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter a username"
    if values["role"] not in ROLES:
        errors["role"] = "Choose the account's role"
    if not f.get("password"):
        errors["password"] = "Enter a password of at least 10 characters"
    if values["role"] in ROLES and (problem := _urn_error(values["role"], values["school_urns"])):
        errors["school_urns"] = problem
    if errors:
        _refuse("admin.user.create", username or "-")
        return _users_page(values=values, errors=errors, status=400)
    try:
        result = _act("admin.user.create", lambda _s: username or "-",
                      lambda s: accounts.add_account(s, actor(), username, values["role"], f.get("password", ""),
                                                     school_urns=values["school_urns"]))
    except ValidationError as exc:
        message = str(exc)
        return _users_page(values=values, errors={_field_of(message, "username"): _sentence(message)}, status=400)
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
    """Change a user's role; wrong school URNs come back beside that row's box, as typed."""
    f = request.form
    role, typed = f.get("role", ""), (f.get("school_urns") or "").strip()[:400]
    values = {f"role-{uid}": role, f"school_urns-{uid}": typed}
    problem = _urn_error(role, typed) if role in ROLES else None
    if problem:
        with store().transaction() as s:
            target = queries.current_user_row(s, uid).username  # an unknown user is a 404, as below
        _refuse("admin.user.role", target)
        return _users_page(values=values, errors={f"school_urns-{uid}": problem}, status=400)
    try:
        result = _act("admin.user.role", _target_of(uid),
                      lambda s: accounts.change_role(s, actor(), queries.current_user_row(s, uid), role,
                                                     school_urns=typed))
    except ValidationError as exc:
        message = str(exc)
        field = "school_urns" if _field_of(message, "role") == "school_urns" else "role"
        return _users_page(values=values, errors={f"{field}-{uid}": _sentence(message)}, status=400)
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
