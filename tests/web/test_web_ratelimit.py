"""The failed-login limit is counted in the database: every worker and process shares it."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import inspect, select

from geo_risk.config import Settings
from geo_risk.errors import ConfigError
from geo_risk.store.engine import create_store_engine
from geo_risk.store.models import LoginAttempt
from web.ratelimit import FailedLoginLimiter, Limit, client_network
from web_seed import NOW, PASSWORD

SECRET = "test-secret-key-0123456789abcdef"


class _Browser:
    """A test client that posts the login form with the page's CSRF token."""

    def __init__(self, app, address: str = "127.0.0.1", *, forwarded_for: str | None = None) -> None:
        self.app, self.address, self.forwarded_for = app, address, forwarded_for
        self.sign_out()

    def sign_out(self) -> None:
        """Start again as a new visitor from the same address (a sign-in changes the session and its token)."""
        self.client = self.app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = self.address
        if self.forwarded_for is not None:
            self.client.environ_base["HTTP_X_FORWARDED_FOR"] = self.forwarded_for
        page = self.client.get("/login").get_data(as_text=True)
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, url: str, data: dict):
        return self.client.post(url, data={**data, "csrf_token": self.token})


@pytest.fixture
def second_engine(db):
    """Another engine on the same database: what another gunicorn worker or process has."""
    engine = create_store_engine(db.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


@pytest.fixture
def second_app(seeded, second_engine, clock):
    """A second app instance (another worker) over the same database, through its own engine."""
    from web import create_app

    return create_app({
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "GEO_RISK_ENGINE": second_engine,
        "GEO_RISK_CLOCK": clock,
        "GEO_RISK_SETTINGS": Settings(cookie_secure=False),
        "GEO_RISK_DATA_CHECK_SECONDS": 0.0,
        "GEO_RISK_WARM_UP": False,
    })


def _fail(browser, username: str = "hana") -> int:
    return browser.post("/login", {"username": username, "password": "wrong-password"}).status_code


def _sign_in(browser, username: str = "hana") -> int:
    status = browser.post("/login", {"username": username, "password": PASSWORD}).status_code
    if status == 302:
        browser.sign_out()
    return status


# --------------------------------------------------------------------------- through the app


def test_two_workers_share_one_limit(app, second_app):
    """Failures made through one app instance count in another (an in-memory limiter let each have 5)."""
    one, two = _Browser(app), _Browser(second_app)
    assert [_fail(one), _fail(two), _fail(one), _fail(two), _fail(one)] == [401] * 5
    # Each worker saw fewer than 5 failures itself; together they reached the limit.
    resp = two.post("/login", {"username": "hana", "password": PASSWORD})
    assert resp.status_code == 429
    assert "Too many failed sign-in attempts" in resp.get_data(as_text=True)
    assert _sign_in(one) == 429


def test_the_window_slides_and_the_limit_lifts(app, second_app, clock):
    one, two = _Browser(app), _Browser(second_app)
    for _ in range(3):
        assert _fail(one) == 401
    clock.advance(seconds=200)
    for _ in range(2):
        assert _fail(two) == 401
    clock.advance(seconds=50)
    assert _sign_in(one) == 429  # five failures within the last 300 s
    clock.advance(seconds=51)  # the first three are now more than 300 s old; two still count
    for _ in range(3):
        assert _fail(two) == 401
    assert _sign_in(one) == 429  # 2 + 3 within the last 300 s
    clock.advance(seconds=300)
    assert _sign_in(one) == 302  # nothing is locked for longer than the window after the last failure


def test_a_refused_attempt_does_not_extend_the_block(app, clock):
    b = _Browser(app)
    for _ in range(5):
        assert _fail(b) == 401
    for _ in range(10):
        clock.advance(seconds=29)
        assert _sign_in(b) == 429
    clock.advance(seconds=11)  # 301 s after the failures, however many refusals came in between
    assert _sign_in(b) == 302


def test_a_success_clears_the_usernames_failures_for_every_worker(app, second_app):
    one, two = _Browser(app), _Browser(second_app)
    for _ in range(4):
        assert _fail(one) == 401
    assert _sign_in(two) == 302
    fresh = _Browser(app)
    for _ in range(4):
        assert _fail(fresh) == 401
    assert _sign_in(fresh) == 302  # 4 failures since the success, not 8


def test_the_address_limit_spans_usernames_and_workers(app, second_app, clock):
    one, two = _Browser(app), _Browser(second_app)
    # Thirty failures from one address, spread over usernames (none reaches its own limit of 5).
    for i in range(30):
        assert _fail(one if i % 2 else two, f"guess-{i % 10}") == 401
    assert _sign_in(one, "tariq") == 429  # tariq has no failures, but the address is at its limit
    clock.advance(seconds=301)
    assert _sign_in(two, "tariq") == 302


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(app, clock):
    """One wrong password for hana a minute from one address does not lock her out from another."""
    attacker, hana = _Browser(app, "203.0.113.7"), _Browser(app, "198.51.100.20")
    for _ in range(5):
        assert _fail(attacker) == 401
    for minute in range(20):  # the attacker keeps trying, once a minute
        clock.advance(seconds=60)
        assert _fail(attacker) in (401, 429)
        if minute % 5 == 0:
            assert _sign_in(hana) == 302  # hana, at her own address, signs in all the same


def test_five_failures_block_that_address_for_that_username(app, clock):
    attacker, hana = _Browser(app, "203.0.113.7"), _Browser(app, "198.51.100.20")
    for _ in range(5):
        assert _fail(attacker) == 401
    assert _sign_in(attacker) == 429  # even the right password, from that address, for that username
    assert _sign_in(hana) == 302
    assert _sign_in(attacker, "tariq") == 302  # the address itself is far from its own limit
    clock.advance(seconds=301)
    assert _sign_in(attacker) == 302


def test_the_username_limit_across_addresses_still_bites(app, clock):
    """Guesses spread over many addresses are still slowed: 50 per username in any 5 minutes."""
    for i in range(50):
        assert _fail(_Browser(app, f"10.1.{i // 200}.{i % 200 + 1}")) == 401
    fresh = _Browser(app, "198.51.100.20")
    assert _sign_in(fresh) == 429
    assert _sign_in(fresh, "tariq") == 302
    clock.advance(seconds=301)
    assert _sign_in(fresh) == 302


PROXY = "10.9.9.9"  # a reverse proxy in front of the app: every request comes from it


@pytest.fixture
def proxied_app(seeded, clock):
    """The app behind one trusted reverse proxy (GEO_RISK_TRUSTED_PROXIES=1)."""
    from web import create_app

    return create_app({
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "GEO_RISK_ENGINE": seeded[0],
        "GEO_RISK_CLOCK": clock,
        "GEO_RISK_SETTINGS": Settings(cookie_secure=False, trusted_proxies=1),
        "GEO_RISK_DATA_CHECK_SECONDS": 0.0,
        "GEO_RISK_WARM_UP": False,
    })


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(proxied_app):
    """Behind a proxy every request had the proxy's address: 30 failures by anyone locked out everyone."""
    attacker = _Browser(proxied_app, PROXY, forwarded_for="203.0.113.7")
    for i in range(30):
        assert _fail(attacker, f"guess-{i % 10}") == 401
    assert _sign_in(attacker, "tariq") == 429  # the attacker's address is at its limit
    hana = _Browser(proxied_app, PROXY, forwarded_for="198.51.100.20")
    assert _sign_in(hana) == 302  # everyone else behind the same proxy is not
    # The proxy appends the address it saw: a client's own X-Forwarded-For comes first and is not used.
    spoofing = _Browser(proxied_app, PROXY, forwarded_for="192.0.2.55, 203.0.113.7")
    assert _sign_in(spoofing, "tariq") == 429
    limiter = proxied_app.extensions["geo_risk.login_limiter"]
    assert limiter.failures("guess-0", "203.0.113.7", now=NOW) == (3, 3, 30)
    assert limiter.failures("guess-0", PROXY, now=NOW) == (0, 3, 0)


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app):
    """GEO_RISK_TRUSTED_PROXIES=0 (the default): a client cannot choose its address by sending the header."""
    assert app.config["GEO_RISK_TRUSTED_PROXIES"] == 0
    for i in range(5):
        assert _fail(_Browser(app, "203.0.113.7", forwarded_for=f"192.0.2.{i + 1}")) == 401
    assert _sign_in(_Browser(app, "203.0.113.7", forwarded_for="192.0.2.99")) == 429
    limiter = app.extensions["geo_risk.login_limiter"]
    assert limiter.failures("hana", "203.0.113.7", now=NOW) == (5, 5, 5)


def test_only_keyed_hashes_and_times_are_stored(app, db):
    b = _Browser(app)
    typed = "my-secret-password-in-the-wrong-box"
    assert _fail(b, typed) == 401
    assert _fail(b) == 401
    assert {c["name"] for c in inspect(db).get_columns("login_attempt")} == {"id", "key_hash", "at"}
    with db.connect() as conn:
        rows = conn.execute(select(LoginAttempt.key_hash, LoginAttempt.at)).all()
    assert len(rows) == 6  # per username at the address, per username and per address, for each failure
    for key_hash, at in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", key_hash)
        assert typed not in key_hash and at == NOW
    with db.connect() as conn:
        dump = " ".join(str(v) for row in conn.exec_driver_sql("SELECT * FROM login_attempt") for v in row)
    for clear in (typed, "hana", "127.0.0.1"):
        assert clear not in dump


# --------------------------------------------------------------------------- the limiter itself


def _limiter(engine, *, per_user_at_address=(3, 60), per_user=(6, 60), per_address=(10, 120),
             secret=SECRET) -> FailedLoginLimiter:
    return FailedLoginLimiter(engine, secret=secret, per_user_at_address=per_user_at_address, per_user=per_user,
                              per_address=per_address)


def test_two_limiters_on_two_engines_count_together(db, second_engine):
    a, b = _limiter(db), _limiter(second_engine)
    assert a.start("kim", "10.0.0.1", now=NOW) is not None
    assert b.start("kim", "10.0.0.1", now=NOW) is not None
    assert b.start("kim", "10.0.0.2", now=NOW) is not None
    assert a.failures("kim", "10.0.0.1", now=NOW) == (2, 3, 2)
    assert a.start("kim", "10.0.0.1", now=NOW) is not None
    assert b.start("kim", "10.0.0.1", now=NOW) is None  # kim from 10.0.0.1 is at 3
    for i in range(2):
        assert b.start("kim", f"10.0.0.{3 + i}", now=NOW) is not None
    assert a.start("kim", "10.0.0.5", now=NOW) is None  # kim from every address is at 6
    assert a.failures("kim", "10.0.0.1", now=NOW) == (3, 6, 3)  # refusals are not counted


@pytest.mark.parametrize(("address", "client"), [
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("203.0.113.7", "203.0.113.7"),
    ("-", "-"),
])
def test_an_ipv6_client_is_its_64(address, client):
    assert client_network(address) == client


def test_walking_an_ipv6_64_does_not_make_new_clients(db):
    """Anyone holding a /64 has 2**64 addresses: they are one client to every per-address limit."""
    lim = _limiter(db)
    for i in range(3):
        assert lim.start("kim", f"2001:db8:1:2::{i + 1:x}", now=NOW) is not None
    assert lim.start("kim", "2001:db8:1:2:dead:beef:0:1", now=NOW) is None  # kim from that /64 is at 3
    assert lim.start("kim", "2001:db8:1:3::1", now=NOW) is not None  # the next /64 is another client
    assert lim.failures("lee", "2001:db8:1:2::99", now=NOW) == (0, 0, 3)


def test_attempts_expire_one_by_one(db):
    lim = _limiter(db)
    for minute in range(3):
        assert lim.start("kim", "10.0.0.1", now=NOW + dt.timedelta(seconds=20 * minute)) is not None
    assert lim.start("kim", "10.0.0.1", now=NOW + dt.timedelta(seconds=59)) is None
    # An attempt counts for exactly the window: at 60 s the first has gone, the others remain.
    assert lim.failures("kim", "10.0.0.1", now=NOW + dt.timedelta(seconds=60)) == (2, 2, 3)
    assert lim.start("kim", "10.0.0.1", now=NOW + dt.timedelta(seconds=60)) is not None
    assert lim.start("kim", "10.0.0.1", now=NOW + dt.timedelta(seconds=61)) is None


def test_success_removes_the_attempt_and_the_usernames_failures_only(db):
    lim = _limiter(db)
    for _ in range(2):
        lim.start("kim", "10.0.0.1", now=NOW)
    lim.start("kim", "10.0.0.2", now=NOW)
    lim.start("lee", "10.0.0.1", now=NOW)
    attempt = lim.start("kim", "10.0.0.1", now=NOW)
    assert attempt is not None
    lim.succeeded(attempt, now=NOW)
    # kim's failures are cleared; the address keeps the three real failures; lee keeps his.
    assert lim.failures("kim", "10.0.0.1", now=NOW) == (0, 0, 3)
    # kim's failures from another address no longer count for kim, but still for that address.
    assert lim.failures("kim", "10.0.0.2", now=NOW) == (1, 0, 1)
    assert lim.failures("lee", "10.0.0.9", now=NOW) == (0, 1, 0)


def test_old_rows_are_deleted_as_attempts_come_in(db):
    lim = _limiter(db)
    for i in range(5):
        lim.start(f"user-{i}", "10.0.0.1", now=NOW)
    with db.connect() as conn:
        assert len(conn.execute(select(LoginAttempt.id)).all()) == 15
    lim.start("kim", "10.0.0.2", now=NOW + dt.timedelta(seconds=119))
    with db.connect() as conn:
        assert len(conn.execute(select(LoginAttempt.id)).all()) == 18  # the address window is 120 s
    lim.start("kim", "10.0.0.2", now=NOW + dt.timedelta(seconds=120))
    with db.connect() as conn:
        assert len(conn.execute(select(LoginAttempt.id)).all()) == 6  # only the last two attempts remain


def test_a_success_also_deletes_old_rows(db):
    """Rows (say, a keyed hash of a password typed into the username box) are trimmed on success too."""
    lim = _limiter(db)
    lim.start("password-in-the-username-box", "10.0.0.1", now=NOW)
    attempt = lim.start("kim", "10.0.0.2", now=NOW + dt.timedelta(seconds=119))  # still inside 120 s
    lim.succeeded(attempt, now=NOW + dt.timedelta(seconds=121))
    with db.connect() as conn:
        assert conn.execute(select(LoginAttempt.id)).all() == []


def test_keys_depend_on_the_secret_and_the_scope(db):
    a, b = _limiter(db), _limiter(db, secret="another-secret-key-0123456789abcd")
    assert a.key("user", "kim") != b.key("user", "kim")
    assert a.key("user", "kim") != a.key("address", "kim")
    assert a.key("user", "kim") == _limiter(db).key("user", "kim")


def test_concurrent_attempts_cannot_pass_the_limit(db):
    """Workers starting attempts at the same moment get exactly the limit between them."""
    url = db.url.render_as_string(hide_password=False)
    engines = [create_store_engine(url) for _ in range(4)]
    try:
        limiters = [_limiter(e, per_user_at_address=(100, 300), per_user=(5, 300), per_address=(100, 300))
                    for e in engines]
        for lim in limiters:  # connect (and load SpatiaLite) before the race
            lim.failures("warm", "-", now=NOW)
        barrier = threading.Barrier(16)
        results: list[object] = []
        errors: list[BaseException] = []

        def worker(i: int) -> None:
            try:
                barrier.wait()
                results.append(limiters[i % 4].start("kim", f"10.0.0.{i}", now=NOW))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        assert sum(r is not None for r in results) == 5
        assert limiters[0].failures("kim", "-", now=NOW).user == 5
    finally:
        for e in engines:
            e.dispose()


@pytest.mark.parametrize("limit", [(0, 300), (1.5, 300), (5, 0), (5, -1)])
def test_a_limit_must_be_sensible(limit):
    with pytest.raises(ConfigError, match="failed-login"):
        Limit(*limit)


@pytest.mark.parametrize("limit", [(True, 300), ("5", 300), (5, "300"), (5, float("inf")), (5, float("nan")),
                                   (5, 10**12)])
def test_a_limit_must_be_numbers(limit):
    with pytest.raises(ConfigError, match="failed-login"):
        Limit(*limit)


def _create_app(**config):
    from web import create_app

    return create_app({"TESTING": True, "SECRET_KEY": SECRET, "GEO_RISK_SETTINGS": Settings(cookie_secure=False),
                       "GEO_RISK_WARM_UP": False, **config})


def test_bad_limits_stop_the_app_at_start_up_naming_every_one():
    """A bad limit stops the app at start-up (not a 500 at each sign-in), every bad one named."""
    with pytest.raises(ConfigError, match=r"GEO_RISK_LOGIN_LIMIT: .*at least 1.*"
                                              r"GEO_RISK_LOGIN_USER_LIMIT must be a pair.*"
                                              r"GEO_RISK_LOGIN_IP_LIMIT: .*positive number of seconds"):
        _create_app(GEO_RISK_LOGIN_LIMIT=(0, 300), GEO_RISK_LOGIN_USER_LIMIT=50, GEO_RISK_LOGIN_IP_LIMIT=(30, -1))


@pytest.mark.parametrize("value", [None, (5,), (5, 300, 1), "5,300", (5, "300")])
def test_each_bad_limit_is_refused_at_start_up(value):
    with pytest.raises(ConfigError, match="GEO_RISK_LOGIN_IP_LIMIT"):
        _create_app(GEO_RISK_LOGIN_IP_LIMIT=value)


def test_the_username_limit_must_be_above_the_one_per_address():
    """Otherwise one address failing on purpose locks the user out everywhere again."""
    with pytest.raises(ConfigError, match="GEO_RISK_LOGIN_USER_LIMIT .*must allow more attempts"):
        _create_app(GEO_RISK_LOGIN_LIMIT=(5, 300), GEO_RISK_LOGIN_USER_LIMIT=(5, 300))
    # a shorter window per address: one address pacing 3 failures a minute makes 33 in ten minutes
    with pytest.raises(ConfigError, match=r"GEO_RISK_LOGIN_USER_LIMIT .*must allow more attempts.*\(33\)"):
        _create_app(GEO_RISK_LOGIN_LIMIT=[3, 60], GEO_RISK_LOGIN_USER_LIMIT=(20, 600.0))
    app = _create_app(GEO_RISK_LOGIN_LIMIT=[3, 60], GEO_RISK_LOGIN_USER_LIMIT=(40, 600.0))
    assert app.config["GEO_RISK_LOGIN_IP_LIMIT"] == (30, 300)


@pytest.mark.parametrize("value", [-1, "1", True, 1.5, None])
def test_a_bad_number_of_trusted_proxies_stops_the_app(value):
    with pytest.raises(ConfigError, match="GEO_RISK_TRUSTED_PROXIES"):
        _create_app(GEO_RISK_TRUSTED_PROXIES=value)

