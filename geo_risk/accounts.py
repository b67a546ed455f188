"""Users, argon2id password hashes, API tokens and referrals.

A *referral* is the legitimate relationship that lets one housing or transport
officer see one young person's checks until it expires or is revoked. Nothing
here reads the clock on its own where a decision depends on time: ``as_of`` is
passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geo_risk.errors import NotFound, ValidationError
from geo_risk.store.models import ROLES, Person, Referral, User

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
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        msg = f"passwords must have at least {MIN_PASSWORD_LENGTH} characters"
        raise ValidationError(msg)
    if len(password) > 1024:
        msg = "passwords must have at most 1024 characters"
        raise ValidationError(msg)


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
    session: Session, username: str, role: str, password: str, *, school_urns: Sequence[str] | str = ()
) -> User:
    """Add a user with an argon2id password hash.

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
                disabled=False, session_version=0)
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
    """Change a user's role (ends their sessions: what they may see changes)."""
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


def revoke_token(session: Session, user: User) -> None:
    user.api_token_hash = None
    session.flush()


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


def all_referrals(session: Session, *, limit: int = 500) -> list[Referral]:
    return list(session.execute(select(Referral).order_by(Referral.id.desc()).limit(limit)).scalars())
