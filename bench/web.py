"""Web app under load: placement checks, route checks and briefing views on PostGIS under gunicorn.

Setup: the demo's synthetic city (``--size city`` by default) in a PostGIS database, the
app under gunicorn (2 workers) on 127.0.0.1, and bench users (housing, transport and
school officers) with referrals to young people of the city.

Load: ``--users`` virtual users (default 20) on a bounded thread pool, for ``--seconds``
(default 60). Each signs in once, then repeats its own kind of request: housing officers
POST placement checks (3 candidate postcodes), transport officers POST route checks (home
postcode to a school; both under a copy of the policy with each referral's checking budget lifted, as
random addresses through a few referrals would exhaust it), school users GET their briefing. Between requests a user pauses
``--think`` seconds (uniform 0.5x..1.5x; default 2 s, as a person reading a result
would; ``--think 0`` is a closed loop with no pause).

Reported: per kind, requests, p50 / p95 / max latency (ms), errors (target 0), against the
targets (placement p95 < 300 ms, route p95 < 600 ms, briefing p95 < 300 ms); the audit rows
written during the run against the number of reads made (must be equal); and, as named
baselines measured in the same run, the same work called in-process on the same snapshot
("core-only": no HTTP, no page, no audit) and the round trip of ``/healthz``; the ratio
web p50 / core-only p50 shows what the web layer adds.

Usage::

    python bench/web.py [--postgis postgresql+psycopg://postgres@127.0.0.1:5432/georisk_bench]
                        [--size city] [--users 20] [--seconds 60] [--think 2] [--workers 2]

Only loopback addresses are used. Every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGETS_MS = {"placement": 300.0, "route": 600.0, "briefing": 300.0}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
MAX_REQUESTS_PER_USER = 5000


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}).first():
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


# --------------------------------------------------------------------------- setup


def prepare(url: str, data_dir: Path, size: str, n_users: int, seed: int):
    """The city, bench users with referrals, and the work each user will do."""
    from sqlalchemy import select, text

    from geo_risk import accounts
    from geo_risk.demo import prepare_demo
    from geo_risk.store.engine import create_store_engine, session_scope
    from geo_risk.store.models import Person, Referral, User

    _ensure_database(url)
    engine = create_store_engine(url)
    t0 = time.perf_counter()
    prepare_demo(engine, data_dir, size=size, seed=seed, progress=lambda m: None)
    print(f"city ({size}) ready in {time.perf_counter() - t0:.1f} s")
    rng = random.Random(seed)
    password = secrets.token_urlsafe(16)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    n_housing = round(n_users * 0.35)
    n_transport = round(n_users * 0.35)
    n_school = n_users - n_housing - n_transport
    plan: list[dict] = []
    with session_scope(engine) as s:
        children = list(s.scalars(select(Person.pseudonym).where(Person.is_child.is_(True)).order_by(Person.pseudonym)))
        postcodes = [(pc, x, y) for pc, x, y in s.execute(
            text("SELECT postcode, ST_X(geom), ST_Y(geom) FROM postcode ORDER BY postcode")).all()]
        schools = [(u, x, y) for u, x, y in s.execute(
            text("SELECT urn, ST_X(geom), ST_Y(geom) FROM school ORDER BY urn")).all()]
        s.execute(Referral.__table__.delete().where(Referral.user_id.in_(
            select(User.id).where(User.username.like("bench-%")))))
        existing = {u.username: u for u in s.scalars(select(User).where(User.username.like("bench-%")))}
        analyst = s.scalars(select(User).where(User.role == "analyst")).first()

        def user(name: str, role: str, urns=()):
            if name in existing:
                u = existing[name]
                accounts.set_password(s, u, password)
                accounts.set_disabled(s, u, False)
                if role == "school":
                    u.school_urns = ",".join(urns)
                return u
            return accounts.create_user(s, name, role, password, school_urns=urns)

        sample = rng.sample(children, min(len(children), 40))
        for i in range(n_housing):
            u = user(f"bench-housing-{i}", "housing")
            refs = []
            for child in rng.sample(sample, 4):
                r = accounts.grant_referral(s, child, u, "placement", now + dt.timedelta(days=7), created_by=analyst,
                                            as_of=now)
                refs.append(r.id)
            plan.append({"kind": "placement", "username": u.username, "referrals": refs})
        for i in range(n_transport):
            u = user(f"bench-transport-{i}", "transport")
            refs = []
            for child in rng.sample(sample, 4):
                r = accounts.grant_referral(s, child, u, "route", now + dt.timedelta(days=7), created_by=analyst,
                                            as_of=now)
                refs.append(r.id)
            plan.append({"kind": "route", "username": u.username, "referrals": refs})
        for i in range(n_school):
            urn = schools[rng.randrange(len(schools))][0]
            u = user(f"bench-school-{i}", "school", (urn,))
            plan.append({"kind": "briefing", "username": u.username, "urn": urn})
    # Route trips: a postcode and a school 0.6-2.5 km apart (a walk to school).
    trips = []
    for _ in range(20000):
        pc, x, y = postcodes[rng.randrange(len(postcodes))]
        urn, sx, sy = schools[rng.randrange(len(schools))]
        if 600 <= ((x - sx) ** 2 + (y - sy) ** 2) ** 0.5 <= 2500:
            trips.append((pc, urn))
        if len(trips) >= 200:
            break
    candidate_sets = [[postcodes[rng.randrange(len(postcodes))][0] for _ in range(3)] for _ in range(200)]
    return engine, password, plan, trips, candidate_sets


def audit_reads(engine) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_event WHERE action <> 'auth.login'")).scalar_one())


# --------------------------------------------------------------------------- server


def bench_policy(data_dir: Path) -> Path:
    """The default policy with each referral's checking budget (``[probing]``) lifted: the bench's officers
    check many random addresses through a few referrals, which the budget would refuse (429) or flag. The
    budget's bookkeeping still runs on every check; only its limits are out of reach."""
    from geo_risk.config import DEFAULT_POLICY_FILE

    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    head, sep, probing = text.partition("\n[probing]\n")
    if not sep:
        raise RuntimeError("the default policy has no [probing] section to lift")
    lifted = {"max_checks": "1000000", "max_candidates": "1000000", "min_spacing_m": "0.0",
              "alert_min_candidates": "1000000"}
    lines = []
    for line in probing.splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key} = {lifted[key]}" if key in lifted and "=" in line else line)
    path = data_dir / "bench-policy.toml"
    path.write_text(head + sep + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_gunicorn(url: str, data_dir: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, GEO_RISK_DATABASE_URL=url, GEO_RISK_SECRET_KEY=secrets.token_urlsafe(32),
               GEO_RISK_COOKIE_SECURE="false", GEO_RISK_DATA_DIR=str(data_dir), GEO_RISK_LOG_LEVEL="WARNING",
               GEO_RISK_POLICY_FILE=str(bench_policy(data_dir)))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [str(gunicorn), "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
           "--timeout", "300", "--log-level", "warning", "web:create_app()"]
    log_file = (data_dir / "gunicorn.log").open("wb")  # a file, not a pipe: a full pipe would block the workers
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                            start_new_session=True)
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.3)
    proc.kill()
    sys.exit("gunicorn did not start within 60 s")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- virtual users


class VirtualUser:
    def __init__(self, base: str, spec: dict, password: str, trips, candidate_sets, rng: random.Random) -> None:
        import requests

        self.base, self.spec, self.password = base, spec, password
        self.trips, self.candidate_sets, self.rng = trips, candidate_sets, rng
        self.http = requests.Session()
        self.token = ""
        self.reads = 0  # requests that read data and so must each write one audit row

    def _get(self, path: str):
        resp = self.http.get(self.base + path, timeout=60, allow_redirects=False)
        m = CSRF_RE.search(resp.text)
        if m:
            self.token = m.group(1)
        return resp

    def sign_in(self) -> None:
        self._get("/login")
        resp = self.http.post(self.base + "/login", data={"username": self.spec["username"],
                                                          "password": self.password, "csrf_token": self.token},
                              timeout=60, allow_redirects=False)
        if resp.status_code != 302:
            raise RuntimeError(f"sign-in failed for {self.spec['username']}: {resp.status_code}")
        kind = self.spec["kind"]
        if kind == "placement":
            self._get(f"/housing/referrals/{self.spec['referrals'][0]}")
            self.reads += 1
        elif kind == "route":
            self._get(f"/transport/referrals/{self.spec['referrals'][0]}")
            self.reads += 1

    def once(self, pick: int | None = None) -> tuple[str, float, int]:
        """One request; ``pick`` chooses the referral (warm-up visits each in turn)."""
        kind = self.spec["kind"]
        refs = self.spec.get("referrals") or [None]
        chosen = refs[pick % len(refs)] if pick is not None else self.rng.choice(refs)
        t0 = time.perf_counter()
        if kind == "placement":
            rid = chosen
            pcs = self.rng.choice(self.candidate_sets)
            resp = self.http.post(f"{self.base}/housing/referrals/{rid}/check",
                                  data={"postcodes": "\n".join(pcs), "points": "", "csrf_token": self.token},
                                  timeout=60, allow_redirects=False)
            ok = resp.status_code == 200 and "data-band=" in resp.text
        elif kind == "route":
            rid = chosen
            home, urn = self.rng.choice(self.trips)
            resp = self.http.post(f"{self.base}/transport/referrals/{rid}/check",
                                  data={"home_postcode": home, "school_urn": urn, "csrf_token": self.token},
                                  timeout=60, allow_redirects=False)
            ok = resp.status_code == 200 and 'data-role="shortest"' in resp.text
        else:
            resp = self.http.get(f"{self.base}/schools/{self.spec['urn']}", timeout=60, allow_redirects=False)
            ok = resp.status_code == 200 and "tension-level" in resp.text
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status_code == 200:
            self.reads += 1
        return kind, elapsed, 0 if ok else (resp.status_code or 1)


def run_load(base: str, plan, password: str, trips, candidate_sets, seconds: float, think: float, seed: int,
             warmup_rounds: int):
    users = [VirtualUser(base, spec, password, trips, candidate_sets, random.Random(seed + i))
             for i, spec in enumerate(plan)]
    first_view: dict[str, list[float]] = defaultdict(list)
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        list(pool.map(lambda u: u.sign_in(), users))
        # Warm-up (not timed): each worker process loads the snapshot and builds its indexes, and
        # each referred young person's scoring context (the first check of a young person in a
        # worker builds it; reported separately as "first view").
        for r in range(warmup_rounds):
            for k, ms, _err in pool.map(lambda u, r=r: u.once(pick=r), users):
                if r < 4:
                    first_view[k].append(ms)
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[int]] = defaultdict(list)
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + seconds

    def loop(u: VirtualUser) -> None:
        rng = random.Random(id(u))
        for _ in range(MAX_REQUESTS_PER_USER):
            if time.monotonic() >= deadline:
                return
            kind, ms, err = u.once()
            with lock:
                if err:
                    errors[kind].append(err)
                else:
                    results[kind].append(ms)
            if think > 0:
                time.sleep(min(think * rng.uniform(0.5, 1.5), max(0.0, deadline - time.monotonic())))

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        list(pool.map(loop, users))
    wall = time.monotonic() - start
    return results, errors, sum(u.reads for u in users), wall, first_view


# --------------------------------------------------------------------------- baselines


def core_only(engine, trips, candidate_sets, plan, repeat: int = 30) -> dict[str, list[float]]:
    """The same work in-process on the same snapshot: no HTTP, no page, no audit (the core on the
    snapshot the use cases share)."""
    from flask import Flask

    from geo_risk.config import Settings
    from geo_risk.crs import EastNorth
    from geo_risk.routing import assess_route
    from geo_risk.routing.adapters import child_concern_sites, child_risk_fn
    from geo_risk.scoring import Candidate, rank_placements
    from geo_risk.service import OPERATOR, Actor, brief_school
    from geo_risk.service.snapshot import data_key
    from geo_risk.store.engine import session_scope
    from geo_risk.store.snapshot import load_snapshot, resolve_postcodes
    from web import briefings
    from web.state import AppData

    policy = Settings().load_policy()
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    d = AppData(load_snapshot(engine), policy, today, data_key(engine))
    children = d.snapshot.people.loc[d.snapshot.people["is_child"], "pseudonym"].tolist()[:repeat]
    out: dict[str, list[float]] = defaultdict(list)

    def placement(s, child, postcodes):
        located = resolve_postcodes(s.connection(), list(postcodes))
        cands = [Candidate(pc, EastNorth(*located[pc])) for pc in postcodes]
        return rank_placements(child, cands, today, policy, context=d.context("placement", child, today))

    def route(s, child, home, urn):
        origin = EastNorth(*resolve_postcodes(s.connection(), [home])[home])
        row = d.snapshot.school(urn)
        ctx = d.context("route", child, today)
        return assess_route(child, origin, EastNorth(float(row.geometry.x), float(row.geometry.y)), today, policy,
                            graph=d.walk_graph, risk_fn=child_risk_fn(ctx), concerns=child_concern_sites(ctx))

    app = Flask("bench")
    with app.app_context(), session_scope(engine) as s:
        # build the lazy parts first, as the warm-up does for the server
        placement(s, children[0], candidate_sets[0])
        home, urn = trips[0]
        route(s, children[0], home, urn)
        for i in range(repeat):
            child = children[i % len(children)]
            d.context("placement", child)
            d.context("route", child)
            t0 = time.perf_counter()
            placement(s, child, candidate_sets[i % len(candidate_sets)])
            out["placement"].append((time.perf_counter() - t0) * 1000)
            home, urn = trips[i % len(trips)]
            t0 = time.perf_counter()
            route(s, child, home, urn)
            out["route"].append((time.perf_counter() - t0) * 1000)
        urns = [p["urn"] for p in plan if p["kind"] == "briefing"]
        bench_user = Actor(username="bench", role=OPERATOR, now=today)
        for i in range(repeat):
            t0 = time.perf_counter()
            checked = brief_school(s, bench_user, d, urn=urns[i % len(urns)], as_of=today, tier="school",
                                   action=None)  # action None: no audit event, as the docstring says
            briefings.build(d, checked)
            out["briefing"].append((time.perf_counter() - t0) * 1000)
    return out


def healthz(base: str, n: int = 50) -> list[float]:
    import requests

    http = requests.Session()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        http.get(base + "/healthz", timeout=10)
        out.append((time.perf_counter() - t0) * 1000)
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    # the audit chain's key, for this process and the gunicorn it starts (unless one is configured)
    os.environ.setdefault("GEO_RISK_AUDIT_KEY", secrets.token_hex(32))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgis", default=os.environ.get(
        "GEO_RISK_BENCH_POSTGIS_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/georisk_bench"))
    parser.add_argument("--size", default="city", choices=["small", "city"])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between a user's requests (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--warmup", type=int, default=8,
                        help="untimed rounds per user before the run (each visits the next referral)")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench-web")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 200 or not 1 <= args.seconds <= 600:
        sys.exit("--users must be 1..200 and --seconds 1..600")
    args.data_dir.mkdir(parents=True, exist_ok=True)

    engine, password, plan, trips, candidate_sets = prepare(args.postgis, args.data_dir, args.size, args.users,
                                                            args.seed)
    port = _free_port()
    proc = start_gunicorn(args.postgis, args.data_dir, port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    try:
        before = audit_reads(engine)
        results, errors, reads, wall, first_view = run_load(base, plan, password, trips, candidate_sets, args.seconds,
                                                args.think, args.seed, args.warmup)
        after = audit_reads(engine)
        hz = healthz(base)
    finally:
        stop(proc)
        err_tail = (args.data_dir / "gunicorn.log").read_text(errors="replace")[-2000:]
    core = core_only(engine, trips, candidate_sets, plan)

    kinds = ("placement", "route", "briefing")
    total = sum(len(results[k]) for k in kinds)
    print(f"\nweb app under gunicorn ({args.workers} workers x {args.threads} thread), {args.size} city on PostGIS, "
          f"{args.users} users, {args.seconds:.0f} s, think {args.think:g} s: {total} timed requests in {wall:.1f} s "
          f"({total / wall:.1f}/s)")
    print(f"{'kind':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7} {'target p95':>11}  "
          f"{'core p50':>9} {'web/core':>9}")
    ok = True
    for k in kinds:
        v = results[k]
        p50, p95 = _percentile(v, 0.5), _percentile(v, 0.95)
        c50 = statistics.median(core[k]) if core[k] else float("nan")
        hit = p95 < TARGETS_MS[k] and not errors[k]
        ok &= hit
        print(f"{k:<10} {len(v):>6} {p50:>8.1f} {p95:>8.1f} {max(v) if v else float('nan'):>8.1f} "
              f"{len(errors[k]):>7} {'<' + format(TARGETS_MS[k], '.0f'):>11}{' ok' if hit else ' MISS'} "
              f"{c50:>9.1f} {p50 / c50 if c50 else float('nan'):>9.2f}")
    print("warm-up, first 4 rounds (includes each worker's snapshot, indexes and young people's contexts): "
          + ", ".join(f"{k} p50 {_percentile(v, 0.5):.0f} ms, max {max(v):.0f} ms" for k, v in first_view.items() if v))
    print(f"baseline healthz round trip: p50 {statistics.median(hz):.1f} ms, p95 {_percentile(hz, 0.95):.1f} ms")
    audited = after - before
    print(f"audit rows written during the run: {audited}; reads made: {reads}: "
          f"{'equal' if audited == reads else 'NOT EQUAL'}")
    ok &= audited == reads
    if any(errors.values()):
        print("errors by kind:", {k: sorted(set(v)) for k, v in errors.items() if v})
        if err_tail:
            print("server stderr (tail):", err_tail)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
