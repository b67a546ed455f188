"""The failed-login limit, counted in the database so that it holds across workers.

Every web worker and process counts the same rows of ``login_attempt``, so an
attacker gets the configured limits in all, not once per worker. Three limits apply,
each to the failures inside its own sliding window:

- per username *from one client address* (``GEO_RISK_LOGIN_LIMIT``, 5 in 300 s): the
  hard limit on guessing one account from one place;
- per username from every address together (``GEO_RISK_LOGIN_USER_LIMIT``, 50 in
  300 s): much higher, so that one attacker cannot lock a user out by failing on
  purpose, while guesses spread over many addresses are still slowed;
- per client address over every username (``GEO_RISK_LOGIN_IP_LIMIT``, 30 in 300 s).

A sign-in first *starts* an attempt: refused when any of its three keys already has
its limit of attempts inside the window, otherwise recorded at once. The attempt
then counts as a failure unless the password was right: a success removes it and
clears the username's failures (from every address, and from this address for this
username), but not the address's failures over other usernames. Each attempt stops
counting ``window`` seconds after it was made, so nothing is locked for longer than
that. Rows older than the longest window are deleted whenever an attempt starts
(unless refused) or succeeds: nothing else deletes them, so the last rows stay until
the next sign-in attempt.

Only a keyed hash (HMAC-SHA256 with the app's secret key) of the normalised
username, of the address, or of the two together is stored, with the time: no
password, and no username in the clear (it may be a password typed into the wrong
box). Every worker must share the secret key, as it must for sessions anyway.

Two workers counting at once cannot both take the last place: on PostGIS an
attempt takes a transaction-level advisory lock on each of its keys before it
counts; on SpatiaLite it writes (taking the database's single write lock) before
it counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Integer, cast, delete, func, insert, or_, select
from sqlalchemy.engine import Connection, Engine

from geo_risk.errors import ConfigError
from geo_risk.store.models import LoginAttempt

log = logging.getLogger(__name__)

# First key of the two-key advisory locks taken on PostGIS (the second is the key's hash):
# keeps these locks apart from any other use of advisory locks in the same database.
_PG_LOCK_CLASS = 0x6C6F6731  # "log1"


# The Flask configuration keys of the three limits, by FailedLoginLimiter's parameter names.
CONFIG_KEYS = {
    "per_user_at_address": "GEO_RISK_LOGIN_LIMIT",
    "per_user": "GEO_RISK_LOGIN_USER_LIMIT",
    "per_address": "GEO_RISK_LOGIN_IP_LIMIT",
}
_MAX_WINDOW_S = 7 * 24 * 3600


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` failed sign-ins in any ``window_s`` seconds."""

    attempts: int
    window_s: float

    def __post_init__(self) -> None:
        if not _is_number(self.attempts) or int(self.attempts) != self.attempts or self.attempts < 1:
            msg = f"a failed-login limit needs a whole number of attempts of at least 1, not {self.attempts!r}"
            raise ConfigError(msg)
        if not _is_number(self.window_s) or not 0 < self.window_s <= _MAX_WINDOW_S:
            msg = (f"a failed-login window must be a positive number of seconds (at most {_MAX_WINDOW_S}), "
                   f"not {self.window_s!r}")
            raise ConfigError(msg)

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.window_s)


class Failures(NamedTuple):
    """How many attempts count now against each key of a sign-in."""

    user_at_address: int
    user: int
    address: int


@dataclass(frozen=True)
class Attempt:
    """A started sign-in attempt: counted as failed until :meth:`FailedLoginLimiter.succeeded`."""

    user_keys: tuple[str, ...]
    row_ids: tuple[int, ...]


def limits_from_config(config: Mapping[str, Any]) -> dict[str, Limit]:
    """The three limits from the Flask configuration, by :class:`FailedLoginLimiter`'s parameter names.

    Every problem is reported at once, naming its configuration key. ``create_app``
    calls this, so that a bad value stops the app at start-up rather than failing
    every sign-in.

    Raises
    ------
    ConfigError
        A value is not a pair ``(attempts, window seconds)`` of sensible numbers, or the
        limit per username from every address is not above the one from one address
        (one address could then lock the user out everywhere).
    """
    problems: list[str] = []
    limits: dict[str, Limit] = {}
    for name, key in CONFIG_KEYS.items():
        value = config.get(key)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            problems.append(f"{key} must be a pair (attempts, window seconds), not {value!r}")
            continue
        try:
            limits[name] = Limit(*value)
        except ConfigError as exc:
            problems.append(f"{key}: {exc}")
    if "per_user" in limits and "per_user_at_address" in limits:
        user, at_address = limits["per_user"], limits["per_user_at_address"]
        # one address stays under its own limit by pacing itself: in the per-username window it can fail
        # at_address.attempts times in every one of its own windows that starts there
        most_from_one = at_address.attempts * (math.floor(user.window_s / at_address.window_s) + 1)
        if user.attempts <= most_from_one:
            problems.append(
                f"{CONFIG_KEYS['per_user']} (per username from every address) must allow more attempts than one "
                f"address can make while staying under {CONFIG_KEYS['per_user_at_address']} (per username from "
                f"one address) in that window ({most_from_one}), or one address could lock the user out everywhere")
    if problems:
        msg = "bad failed-login limit: " + "; ".join(problems)
        raise ConfigError(msg)
    return limits


def client_network(address: str) -> str:
    """The client an address stands for: an IPv6 address's /64 (one subscriber's allocation, so
    walking through it does not make new clients), an IPv4-mapped IPv6 address's IPv4 address,
    any other IPv4 address as it is; text that is not an address, unchanged."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class FailedLoginLimiter:
    """Failed sign-ins per username at an address, per username and per address, shared through the database.

    Parameters
    ----------
    engine
        The store's engine (SpatiaLite or PostGIS) holding the ``login_attempt`` table.
    secret
        The key of the HMAC applied to usernames and addresses (the app's secret key).
    per_user_at_address, per_user, per_address
        A :class:`Limit` or ``(attempts, window seconds)``: ``GEO_RISK_LOGIN_LIMIT`` (one username from one
        address), ``GEO_RISK_LOGIN_USER_LIMIT`` (one username from every address) and
        ``GEO_RISK_LOGIN_IP_LIMIT`` (one address over every username).
    """

    def __init__(self, engine: Engine, *, secret: str | bytes, per_user_at_address: Limit | tuple[int, float],
                 per_user: Limit | tuple[int, float], per_address: Limit | tuple[int, float]) -> None:
        self._engine = engine
        self._secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        self.per_user_at_address = _as_limit(per_user_at_address)
        self.per_user = _as_limit(per_user)
        self.per_address = _as_limit(per_address)
        self._keep = max(self.per_user_at_address.window, self.per_user.window, self.per_address.window)

    def key(self, scope: str, value: str) -> str:
        """The stored form of ``value`` (a normalised username, an address, or both) in ``scope``."""
        return hmac.new(self._secret, f"geo-risk login attempt\0{scope}\0{value}".encode(), hashlib.sha256).hexdigest()

    def start(self, username: str, address: str, *, now: dt.datetime) -> Attempt | None:
        """Start a sign-in attempt, or return ``None`` if any of its limits is reached.

        Parameters
        ----------
        username
            The normalised username as typed (it need not exist).
        address
            The client address.
        now
            The time of the attempt (naive UTC).
        """
        limits = self._limits(username, address)
        with self._engine.connect() as conn:
            # Read only first: callers already at their limit write nothing.
            if self._over(conn, limits, now, extra=1):
                conn.rollback()
                return None
            conn.rollback()
            with conn.begin() as tx:
                self._lock(conn, sorted(limits))
                self._trim(conn, now)
                ids = tuple(conn.execute(insert(LoginAttempt).values(key_hash=k, at=now).returning(LoginAttempt.id))
                            .scalar_one() for k in limits)
                if self._over(conn, limits, now, extra=0):  # another worker took the last place
                    tx.rollback()
                    return None
        user_keys = (self._user_at_address_key(username, address), self.key("user", username))
        return Attempt(user_keys=user_keys, row_ids=ids)

    def succeeded(self, attempt: Attempt, *, now: dt.datetime) -> None:
        """The password was right: the attempt does not count, and the username's failures are cleared.

        The failures of the username from every address and from this address are
        cleared; those of the address over other usernames stay. Attempts that no
        window counts any more are deleted too.

        Parameters
        ----------
        attempt
            What :meth:`start` returned.
        now
            The time (naive UTC).
        """
        with self._engine.begin() as conn:
            conn.execute(delete(LoginAttempt).where(or_(LoginAttempt.key_hash.in_(attempt.user_keys),
                                                        LoginAttempt.id.in_(attempt.row_ids))))
            self._trim(conn, now)

    def failures(self, username: str, address: str, *, now: dt.datetime) -> Failures:
        """How many attempts count now against ``username`` at ``address``, ``username``, and ``address``."""
        limits = self._limits(username, address)
        with self._engine.connect() as conn:
            return Failures(*(self._count(conn, key, limit, now) for key, limit in limits.items()))

    def _trim(self, conn: Connection, now: dt.datetime) -> None:
        """Delete the attempts that no window counts any more.

        Rows another worker is deleting at the same moment are skipped (PostGIS), so two
        trims never wait on each other; SpatiaLite has one writer at a time anyway.
        """
        old = select(LoginAttempt.id).where(LoginAttempt.at <= now - self._keep).with_for_update(skip_locked=True)
        conn.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(old)))

    def _user_at_address_key(self, username: str, address: str) -> str:
        return self.key("user at address", json.dumps([username, client_network(address)]))

    def _limits(self, username: str, address: str) -> dict[str, Limit]:
        """The keys of a sign-in and their limits, in the order of :class:`Failures`."""
        address = client_network(address)
        return {self._user_at_address_key(username, address): self.per_user_at_address,
                self.key("user", username): self.per_user,
                self.key("address", address): self.per_address}

    @staticmethod
    def _count(conn: Connection, key: str, limit: Limit, now: dt.datetime) -> int:
        return conn.execute(select(func.count()).select_from(LoginAttempt)
                            .where(LoginAttempt.key_hash == key, LoginAttempt.at > now - limit.window)).scalar_one()

    def _over(self, conn: Connection, limits: dict[str, Limit], now: dt.datetime, *, extra: int) -> bool:
        return any(self._count(conn, key, limit, now) + extra > limit.attempts for key, limit in limits.items())

    @staticmethod
    def _lock(conn: Connection, keys: list[str]) -> None:
        """Serialise attempts on the same keys (in one order, so two attempts cannot deadlock)."""
        if conn.dialect.name != "postgresql":
            return  # SpatiaLite: the first write in start() takes the database's write lock
        for key in keys:
            objid = int.from_bytes(bytes.fromhex(key[:8]), "big", signed=True)
            conn.execute(select(func.pg_advisory_xact_lock(cast(_PG_LOCK_CLASS, Integer), cast(objid, Integer))))


def _as_limit(value: Limit | tuple[int, float]) -> Limit:
    return value if isinstance(value, Limit) else Limit(*value)
