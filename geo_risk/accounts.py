"""Users, argon2id password hashes, API tokens, administrators' actions and referrals.

Every administrator's action on an account (create, disable, enable, role change, a
request and its decision) goes through the functions under "administration", which
write an audit event in the same transaction. Creating or promoting a privileged
account (admin, analyst, privacy officer) takes two administrators: one requests, a
different one approves; the approver is shown a one-time activation code that the
account needs at its next sign-in, next to the password the requester chose, so
neither administrator alone can sign in as it. The command line may add privileged
accounts directly only while no enabled administrator exists (bootstrapping the first
one); after that it files a request like anyone else.

A *referral* is the legitimate relationship that lets one housing or transport
officer see one young person's checks until it expires or is revoked. Nothing
here reads the clock on its own where a decision depends on time: ``as_of`` is
passed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import itertools
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geo_risk import audit
from geo_risk.contract import AGE_BANDS
from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.store.models import ROLES, AccountRequest, Person, Referral, User

log = logging.getLogger(__name__)

# argon2id (the argon2-cffi default type) with RFC 9106's second recommended
# parameter set (64 MiB, 3 passes); low-memory hosts may lower memory_cost.
_HASHER = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
REFERRAL_PURPOSES = ("placement", "route")
# Which purpose each role's referrals serve.
ROLE_PURPOSE = {"housing": "placement", "transport": "route"}
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
_URN_RE = re.compile(r"^[0-9A-Za-z]{1,16}$")
TOKEN_PREFIX = "grk_"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (PHC string format)."""
    check_password_strength(password)
    return _HASHER.hash(password)


def check_password_strength(password: str) -> None:
    """Refuse a short or long password, a common or breached one, and one made of repeats or a run.

    The deny-list is the 30,000 most common passwords of leaked password lists, as shipped
    by the ``zxcvbn`` package (MIT). A password is refused when it, or what is left of it
    without its case, its trailing digits and symbols and leet-speak, is on that list.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        msg = f"passwords must have at least {MIN_PASSWORD_LENGTH} characters"
        raise ValidationError(msg)
    if len(password) > 1024:
        msg = "passwords must have at most 1024 characters"
        raise ValidationError(msg)
    core = re.sub(r"[\W\d_]+$", "", password)
    if _is_repetitive(password) or (len(core) >= 6 and _is_repetitive(core)):
        msg = ("that password is a repeated character, a repeated pattern or a run (like aaaaaaaaaa, abcabcabca or "
               "1234567890): choose one that is not, e.g. a few unrelated words")
        raise ValidationError(msg)
    if _is_common(password):
        msg = ("that password is one of the most common passwords in leaked password lists (or one with digits or "
               "symbols added): choose another, e.g. a few unrelated words")
        raise ValidationError(msg)


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _is_common(password: str) -> bool:
    common = _common_passwords()
    lowered = password.lower()
    core = re.sub(r"[\W\d_]+$", "", lowered)  # "Password123!" -> "password"
    stripped = re.sub(r"^[\W\d_]+", "", core)  # "2024summer" -> "summer"
    candidates = {lowered, core, stripped, lowered.translate(_LEET), core.translate(_LEET)}
    return any(c in common for c in candidates if len(c) >= 4) or lowered.rstrip("0123456789!?.") == ""


def _is_repetitive(password: str) -> bool:
    if len(set(password)) <= 3:
        return True
    n = len(password)
    for size in range(1, n // 2 + 1):  # a short pattern repeated: abcabcabca, 1212121212
        if (password[:size] * (n // size + 1))[:n] == password:
            return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return len(steps) == 1 and steps <= {1, -1}  # a run: abcdefghij, 9876543210


def verify_password(user_or_hash: User | str | None, password: str) -> bool:
    """True if ``password`` matches. Takes about as long for a missing user (pass None)."""
    stored = user_or_hash.password_hash if isinstance(user_or_hash, User) else user_or_hash
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored is not None


def needs_rehash(user: User) -> bool:
    return _HASHER.check_needs_rehash(user.password_hash)


# --------------------------------------------------------------------------- users


def _parse_urns(school_urns: Iterable[str] | str) -> list[str]:
    if isinstance(school_urns, str):
        school_urns = [u for u in school_urns.replace(";", ",").split(",")]
    urns = sorted({str(u).strip() for u in school_urns if str(u).strip()})
    bad = [u for u in urns if not _URN_RE.match(u)]
    if bad:
        msg = f"school URN(s) {', '.join(bad)} are not valid: use the DfE URN digits, e.g. 100000"
        raise ValidationError(msg)
    return urns


def user_school_urns(user: User) -> list[str]:
    """The school URNs a school user may see."""
    return [u for u in (user.school_urns or "").split(",") if u]


def create_user(
    session: Session, username: str, role: str, password: str, *, school_urns: Sequence[str] | str = (),
    demo_account: bool = False,
) -> User:
    """Add a user with an argon2id password hash (no approval, no audit: see :func:`add_account`).

    ``demo_account`` marks the demo's accounts: on the synthetic city they sign in
    without a second factor.

    Raises
    ------
    ValidationError
        For an unknown role, a malformed or taken username, a short password, or a
        school user without a school (and school URNs on any other role).
    """
    username = str(username).strip().lower()
    if not _USERNAME_RE.match(username):
        msg = (f"username {username!r} is not valid: use 2-80 lower-case letters, digits, '.', '_' or '-', "
               "starting with a letter or digit")
        raise ValidationError(msg)
    if role not in ROLES:
        msg = f"unknown role {role!r}; valid roles are: {', '.join(ROLES)}"
        raise ValidationError(msg)
    urns = _parse_urns(school_urns)
    if role == "school" and not urns:
        msg = "a school user needs at least one school URN (--school URN)"
        raise ValidationError(msg)
    if role != "school" and urns:
        msg = f"only school users have school URNs, not {role} users"
        raise ValidationError(msg)
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        msg = f"username {username!r} is taken; choose another"
        raise ValidationError(msg)
    user = User(username=username, role=role, password_hash=hash_password(password), school_urns=",".join(urns),
                disabled=False, session_version=0, demo_account=demo_account)
    session.add(user)
    session.flush()
    log.info("user %s added with role %s", username, role)
    return user


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == str(username).strip().lower())).scalar_one_or_none()
    if user is None:
        msg = f"no user {username!r}; list users with `geo-risk users list`"
        raise NotFound(msg)
    return user


def get_user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The enabled user with this username and password, or None (same time either way)."""
    user = session.execute(
        select(User).where(User.username == str(username).strip().lower())
    ).scalar_one_or_none()
    ok = verify_password(user, password)
    if user is None or not ok or user.disabled:
        return None
    if needs_rehash(user):
        user.password_hash = _HASHER.hash(password)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change the password and end the user's sessions."""
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def end_sessions(session: Session, user: User) -> None:
    """Invalidate every web session of ``user`` (sessions carry the version they started with)."""
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.refresh(user)


def set_disabled(session: Session, user: User, disabled: bool = True) -> None:
    """Disable (or enable) a user; disabling ends their sessions and revokes their API token."""
    user.disabled = disabled
    if disabled:
        user.api_token_hash = None
        end_sessions(session, user)
    session.flush()
    log.info("user %s %s", user.username, "disabled" if disabled else "enabled")


def set_role(session: Session, user: User, role: str, *, school_urns: Sequence[str] | str = ()) -> None:
    """Change a user's role (ends their sessions: what they may see changes).

    No approval or audit here: administrators go through :func:`change_role`.
    """
    if role not in ROLES:
        msg = f"unknown role {role!r}; valid roles are: {', '.join(ROLES)}"
        raise ValidationError(msg)
    urns = _parse_urns(school_urns)
    if role == "school" and not urns:
        msg = "a school user needs at least one school URN"
        raise ValidationError(msg)
    user.role = role
    user.school_urns = ",".join(urns) if role == "school" else ""
    end_sessions(session, user)


# --------------------------------------------------------------------------- administration

PRIVILEGED_ROLES = ("admin", "analyst", "privacy_officer")
ACTIVATION_PREFIX = "act-"


@dataclass(frozen=True)
class Actor:
    """Who performs an administrative action, and the request or run it belongs to.

    ``user_id`` is None for the command line's operator (someone with the server's
    database credentials), recorded in the audit as ``username`` with role ``operator``.
    """

    username: str
    role: str
    user_id: int | None
    request_id: str
    at: dt.datetime

    @classmethod
    def operator(cls, request_id: str, at: dt.datetime | None = None) -> Actor:
        import getpass

        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(username=f"cli:{who}"[:80], role="operator", user_id=None, request_id=request_id,
                   at=at or _now())


@dataclass(frozen=True)
class AdminResult:
    """What an administrative action did: ``done`` now, or a request filed for a second administrator."""

    done: bool
    message: str
    user: User | None = None
    request: AccountRequest | None = None
    activation_code: str | None = None


def _audit_admin(session: Session, actor: Actor, action: str, target: str, *, outcome: str = "allowed") -> None:
    audit.record(session, username=actor.username, role=actor.role, purpose="administration", pseudonym=None,
                 action=action, outcome=outcome, request_id=actor.request_id, at=actor.at, target=target)


def audit_refusal(session: Session, actor: Actor, action: str, target: str) -> None:
    """Record that ``actor`` tried ``action`` on ``target`` and was refused (in its own transaction)."""
    _audit_admin(session, actor, action, str(target)[:80] or "-", outcome="denied")


def _admin_user(session: Session, actor: Actor) -> User | None:
    """The enabled admin behind ``actor`` (None for the command line); refuses anyone else."""
    if actor.user_id is None:
        return None
    user = session.get(User, actor.user_id)
    if user is None or user.disabled or user.role != "admin":
        msg = "only an enabled administrator may manage accounts"
        raise AccessDenied(msg)
    return user


def enabled_admin_count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.execute(
        select(func.count(User.id)).where(User.role == "admin", User.disabled.is_(False))).scalar_one())


def _check_new_account(session: Session, username: str, role: str, school_urns: Sequence[str] | str) -> tuple[str,
                                                                                                             list[str]]:
    username = str(username).strip().lower()
    if not _USERNAME_RE.match(username):
        msg = (f"username {username!r} is not valid: use 2-80 lower-case letters, digits, '.', '_' or '-', "
               "starting with a letter or digit")
        raise ValidationError(msg)
    urns = _check_role_urns(role, school_urns)
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        msg = f"username {username!r} is taken; choose another"
        raise ValidationError(msg)
    if _pending(session, username) is not None:
        msg = f"a request for {username!r} is already waiting for a second administrator"
        raise ValidationError(msg)
    return username, urns


def _check_role_urns(role: str, school_urns: Sequence[str] | str) -> list[str]:
    if role not in ROLES:
        msg = f"unknown role {role!r}; valid roles are: {', '.join(ROLES)}"
        raise ValidationError(msg)
    urns = _parse_urns(school_urns)
    if role == "school" and not urns:
        msg = "a school user needs at least one school URN (--school URN)"
        raise ValidationError(msg)
    if role != "school" and urns:
        msg = f"only school users have school URNs, not {role} users"
        raise ValidationError(msg)
    return urns


def _pending(session: Session, username: str) -> AccountRequest | None:
    return session.execute(
        select(AccountRequest).where(AccountRequest.username == username, AccountRequest.outcome.is_(None))
    ).scalars().first()


def pending_requests(session: Session) -> list[AccountRequest]:
    """Requests waiting for a second administrator, oldest first."""
    return list(session.execute(
        select(AccountRequest).where(AccountRequest.outcome.is_(None)).order_by(AccountRequest.id)).scalars())


def add_account(session: Session, actor: Actor, username: str, role: str, password: str, *,
                school_urns: Sequence[str] | str = ()) -> AdminResult:
    """Add an account, or, for a privileged role, file a request a second administrator approves.

    The command line (``actor.user_id`` None) adds a privileged account at once only while
    no enabled administrator exists: that is how the first one is made.
    """
    _admin_user(session, actor)
    username, urns = _check_new_account(session, username, role, school_urns)
    check_password_strength(password)
    bootstrap = actor.user_id is None and enabled_admin_count(session) == 0
    if role in PRIVILEGED_ROLES and not bootstrap:
        req = AccountRequest(kind="create", username=username, role=role, school_urns=",".join(urns),
                             password_hash=hash_password(password), requested_by=actor.user_id,
                             requested_at=actor.at)
        session.add(req)
        session.flush()
        _audit_admin(session, actor, "admin.user.request_create", username)
        return AdminResult(done=False, request=req,
                           message=f"request {req.id}: a second administrator must approve the {role} "
                                   f"account {username!r} before it exists")
    user = create_user(session, username, role, password, school_urns=urns)
    _audit_admin(session, actor, "admin.user.create", username)
    return AdminResult(done=True, user=user, message=f"added {username} ({role})")


def change_role(session: Session, actor: Actor, user: User, role: str, *,
                school_urns: Sequence[str] | str = ()) -> AdminResult:
    """Change ``user``'s role: at once to an unprivileged role, by request to a privileged one."""
    _admin_user(session, actor)
    if actor.user_id is not None and user.id == actor.user_id:
        msg = "you cannot change your own role; ask another administrator"
        raise ValidationError(msg)
    urns = _check_role_urns(role, school_urns)
    if role == user.role and ",".join(urns) == (user.school_urns or ""):
        msg = f"{user.username} is already a {role} user"
        raise ValidationError(msg)
    if user.role == "admin" and role != "admin" and not user.disabled and enabled_admin_count(session) <= 1:
        msg = f"{user.username} is the only enabled administrator; make another one first"
        raise ValidationError(msg)
    if role in PRIVILEGED_ROLES and role != user.role:
        if _pending(session, user.username) is not None:
            msg = f"a request for {user.username!r} is already waiting for a second administrator"
            raise ValidationError(msg)
        req = AccountRequest(kind="role", username=user.username, role=role, school_urns="",
                             requested_by=actor.user_id, requested_at=actor.at)
        session.add(req)
        session.flush()
        _audit_admin(session, actor, "admin.user.request_role", user.username)
        return AdminResult(done=False, request=req,
                           message=f"request {req.id}: a second administrator must approve making "
                                   f"{user.username} a {role} user")
    set_role(session, user, role, school_urns=urns)
    _audit_admin(session, actor, "admin.user.role", user.username)
    return AdminResult(done=True, user=user, message=f"{user.username} is now a {role} user")


def decide_request(session: Session, actor: Actor, request_id: int, *, approve: bool) -> AdminResult:
    """Approve or reject a pending request; the approver must be another enabled administrator.

    Approving makes the account (or changes the role) and returns a one-time activation
    code for the approver to give the account's holder: it is needed at the next sign-in.
    """
    approver = _admin_user(session, actor)
    if approver is None:
        msg = "requests are decided by a signed-in administrator in the web app, not from the command line"
        raise AccessDenied(msg)
    req = session.get(AccountRequest, request_id) if isinstance(request_id, int) else None
    if req is None or req.outcome is not None:
        msg = "no such pending request"
        raise NotFound(msg)
    if req.requested_by == approver.id:
        msg = "a second administrator must decide this request: you made it"
        raise AccessDenied(msg)
    if req.username == approver.username:
        msg = "a request about your own account is decided by another administrator"
        raise AccessDenied(msg)
    req.decided_by, req.decided_at = approver.id, actor.at
    if not approve:
        req.outcome = "rejected"
        req.password_hash = None
        session.flush()
        _audit_admin(session, actor, "admin.request.reject", req.username)
        return AdminResult(done=True, request=req, message=f"request {req.id} rejected")
    code = f"{ACTIVATION_PREFIX}{secrets.token_urlsafe(12)}"
    if req.kind == "create":
        if session.execute(select(User.id).where(User.username == req.username)).first() is not None:
            msg = f"username {req.username!r} has been taken since the request; reject it"
            raise ValidationError(msg)
        user = User(username=req.username, role=req.role, password_hash=req.password_hash or "",
                    school_urns=req.school_urns, disabled=False, session_version=0)
        session.add(user)
    else:
        user = get_user(session, req.username)
        set_role(session, user, req.role)
    user.activation_hash = _token_digest(code)
    req.outcome = "approved"
    req.password_hash = None
    session.flush()
    _audit_admin(session, actor, "admin.request.approve", req.username)
    return AdminResult(done=True, user=user, request=req, activation_code=code,
                       message=f"request {req.id} approved: give {req.username} the activation code")


def check_activation(user: User, code: str) -> bool:
    """Whether ``code`` is ``user``'s pending activation code (True when none is pending is not implied)."""
    if not user.activation_hash or not isinstance(code, str) or not code.strip():
        return False
    return hmac.compare_digest(user.activation_hash, _token_digest(code.strip()))


def disable_account(session: Session, actor: Actor, user: User) -> AdminResult:
    _admin_user(session, actor)
    if actor.user_id is not None and user.id == actor.user_id:
        msg = "you cannot disable your own account"
        raise ValidationError(msg)
    if user.role == "admin" and not user.disabled and enabled_admin_count(session) <= 1:
        msg = f"{user.username} is the only enabled administrator; make another one first"
        raise ValidationError(msg)
    set_disabled(session, user, True)
    _audit_admin(session, actor, "admin.user.disable", user.username)
    return AdminResult(done=True, user=user, message=f"disabled {user.username}")


def enable_account(session: Session, actor: Actor, user: User) -> AdminResult:
    _admin_user(session, actor)
    set_disabled(session, user, False)
    _audit_admin(session, actor, "admin.user.enable", user.username)
    return AdminResult(done=True, user=user, message=f"enabled {user.username}")


def create_own_token(session: Session, actor: Actor, user: User, password: str) -> str:
    """A new API token for ``user``, who proves it is them again with their password.

    Only the account's holder makes its token: an administrator cannot mint one for
    someone else. The token is shown once; only its hash is kept.
    """
    if actor.user_id != user.id:
        msg = "only the account's holder can create its API token"
        raise AccessDenied(msg)
    if not verify_password(user, password):
        msg = "the password is not right"
        raise ValidationError(msg)
    token = issue_token(session, user)
    _audit_admin(session, actor, "account.token.create", user.username)
    return token


def reset_two_factor(session: Session, actor: Actor, user: User) -> AdminResult:
    """The server's operator clears a user's lost second factor; they enrol again at their next sign-in.

    Not open to web administrators: one could otherwise take over an account whose
    password they knew. The user's sessions end.
    """
    if actor.user_id is not None:
        msg = "a second factor is reset by the server's operator (geo-risk users reset-two-factor), not in the web app"
        raise AccessDenied(msg)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = []
    end_sessions(session, user)
    _audit_admin(session, actor, "admin.user.reset_two_factor", user.username)
    return AdminResult(done=True, user=user, message=f"{user.username} enrols two-factor sign-in again at the next "
                                                     "sign-in")


def operator_token(session: Session, actor: Actor, user: User) -> str:
    """The command line's token for ``user`` (the server's operator, audited as such)."""
    token = issue_token(session, user)
    _audit_admin(session, actor, "admin.user.token", user.username)
    return token


# --------------------------------------------------------------------------- two-factor sign-in (TOTP)

TOTP_ISSUER = "geo-risk"
RECOVERY_CODES = 10
_TOTP_STEP_S = 30


def totp_required(user: User, *, synthetic: bool) -> bool:
    """Whether ``user`` must sign in with a second factor: admins, analysts and privacy officers
    do, except the demo's accounts while the data is the synthetic city."""
    return user.role in PRIVILEGED_ROLES and not (user.demo_account and synthetic)


def totp_enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def begin_totp(session: Session, user: User) -> str:
    """A new TOTP secret for ``user`` to add to an authenticator app (not in force until confirmed)."""
    import pyotp

    if totp_enrolled(user):
        msg = f"{user.username} already has two-factor sign-in"
        raise ValidationError(msg)
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def totp_uri(user: User) -> str:
    """The ``otpauth://`` URI of ``user``'s TOTP secret (what a QR code would carry)."""
    import pyotp

    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _epoch(at: dt.datetime) -> float:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.timestamp()


def check_totp(user: User, code: str, at: dt.datetime) -> bool:
    """Whether ``code`` is ``user``'s TOTP code at ``at`` (one step either side for clock drift).

    A code is used once: its time step is remembered and that step and older ones are refused.
    """
    import pyotp

    if not user.totp_secret or not isinstance(code, str):
        return False
    code = code.strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int(_epoch(at) // _TOTP_STEP_S)
    for step in (now_step - 1, now_step, now_step + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.at(step * _TOTP_STEP_S), code):
            user.totp_last_step = step
            return True
    return False


def confirm_totp(session: Session, user: User, code: str, at: dt.datetime) -> list[str] | None:
    """Put ``user``'s new TOTP secret in force if ``code`` matches; the new recovery codes, or None."""
    if totp_enrolled(user) or not check_totp(user, code, at):
        return None
    user.totp_enabled_at = at
    codes = new_recovery_codes(user)
    session.flush()
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """:data:`RECOVERY_CODES` one-time codes for when the authenticator is lost (only hashes kept)."""
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [_token_digest(c) for c in codes]
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Whether ``code`` is one of ``user``'s unused recovery codes; a matching one is used up."""
    if not isinstance(code, str) or not code.strip():
        return False
    digest = _token_digest(code.strip().lower())
    kept = list(user.recovery_codes or [])
    match = next((d for d in kept if hmac.compare_digest(d, digest)), None)
    if match is None:
        return False
    kept.remove(match)
    user.recovery_codes = kept
    return True


def remove_totp(session: Session, user: User, *, synthetic: bool) -> None:
    """Turn two-factor sign-in off for a user whose role does not require it."""
    if totp_required(user, synthetic=synthetic):
        msg = "two-factor sign-in is required for your role and cannot be turned off"
        raise ValidationError(msg)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = []
    session.flush()


# --------------------------------------------------------------------------- API tokens


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """A new API token for ``user`` (replacing any old one). Shown once; only its hash is kept."""
    if user.disabled:
        msg = f"user {user.username!r} is disabled; enable it before issuing a token"
        raise ValidationError(msg)
    token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    user.api_token_hash = _token_digest(token)
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user holding ``token``, or None. Tokens are high-entropy, so SHA-256 suffices."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _token_digest(token)
    user = session.execute(select(User).where(User.api_token_hash == digest)).scalar_one_or_none()
    if user is None or user.disabled or not hmac.compare_digest(user.api_token_hash or "", digest):
        return None
    return user


# --------------------------------------------------------------------------- referrals


def grant_referral(
    session: Session,
    child_pseudonym: str,
    user: User,
    purpose: str,
    expires_at: dt.datetime,
    details: dict[str, Any] | None = None,
    created_by: User | None = None,
    *,
    as_of: dt.datetime | None = None,
) -> Referral:
    """Let ``user`` see ``child_pseudonym``'s checks for ``purpose`` until ``expires_at``.

    Raises
    ------
    ValidationError
        If the purpose does not suit the user's role (housing: placement; transport:
        route), the user is disabled, or ``expires_at`` is not in the future.
    NotFound
        If there is no young person with that pseudonym.
    """
    if purpose not in REFERRAL_PURPOSES:
        msg = f"referral purpose must be one of {', '.join(REFERRAL_PURPOSES)}, got {purpose!r}"
        raise ValidationError(msg)
    wanted = ROLE_PURPOSE.get(user.role)
    if wanted is None:
        msg = f"only housing and transport users take referrals, not {user.role} users"
        raise ValidationError(msg)
    if wanted != purpose:
        msg = f"a {user.role} user takes {wanted} referrals, not {purpose}"
        raise ValidationError(msg)
    if user.disabled:
        msg = f"user {user.username!r} is disabled"
        raise ValidationError(msg)
    as_of = as_of or _now()
    if expires_at.tzinfo is not None:
        expires_at = expires_at.astimezone(dt.UTC).replace(tzinfo=None)
    if expires_at <= as_of:
        msg = "a referral's expiry must be in the future"
        raise ValidationError(msg)
    age_band = (details or {}).get("age_band")
    if age_band not in (None, "") and age_band not in AGE_BANDS:
        msg = f"a referral's age band must be one of {', '.join(AGE_BANDS)}, got {age_band!r}"
        raise ValidationError(msg)
    person = session.execute(
        select(Person.is_child).where(Person.pseudonym == child_pseudonym)
    ).first()
    if person is None or not person[0]:
        msg = f"no young person with pseudonym {child_pseudonym!r}"
        raise NotFound(msg)
    referral = Referral(
        child_pseudonym=child_pseudonym, user_id=user.id, purpose=purpose, expires_at=expires_at,
        details=dict(details or {}), created_by=created_by.id if created_by is not None else None,
        created_at=as_of,
    )
    session.add(referral)
    session.flush()
    return referral


def revoke_referral(session: Session, referral_id: int, *, at: dt.datetime | None = None) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        msg = f"no referral {referral_id}"
        raise NotFound(msg)
    if referral.revoked_at is None:
        referral.revoked_at = at or _now()
        session.flush()
    return referral


def _live_clause(user: User, as_of: dt.datetime):
    return (Referral.user_id == user.id) & Referral.revoked_at.is_(None) & (Referral.expires_at > as_of)


def live_referrals(session: Session, user: User, as_of: dt.datetime, *, purpose: str | None = None) -> list[Referral]:
    """The referrals that let ``user`` see young people at ``as_of`` (none if the user is disabled)."""
    if user.disabled:
        return []
    stmt = select(Referral).where(_live_clause(user, as_of)).order_by(Referral.expires_at, Referral.id)
    if purpose is not None:
        stmt = stmt.where(Referral.purpose == purpose)
    return list(session.execute(stmt).scalars())


def live_referral(
    session: Session, user: User, referral_id: int, as_of: dt.datetime, *, purpose: str | None = None
) -> Referral:
    """The live referral ``referral_id`` of ``user``.

    Raises :class:`NotFound` alike whether the referral is missing, someone else's,
    expired or revoked, so a caller cannot tell which.
    """
    referral = session.get(Referral, referral_id) if isinstance(referral_id, int) else None
    ok = (
        referral is not None and not user.disabled and referral.user_id == user.id and referral.revoked_at is None
        and referral.expires_at > as_of and (purpose is None or referral.purpose == purpose)
    )
    if not ok:
        msg = "no such referral"
        raise NotFound(msg)
    return referral  # type: ignore[return-value]


def has_live_referral(session: Session, user: User, pseudonym: str, as_of: dt.datetime,
                      *, purpose: str | None = None) -> bool:
    if user.disabled:
        return False
    stmt = select(Referral.id).where(_live_clause(user, as_of), Referral.child_pseudonym == pseudonym)
    if purpose is not None:
        stmt = stmt.where(Referral.purpose == purpose)
    return session.execute(stmt.limit(1)).first() is not None

