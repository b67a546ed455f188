"""`geo-risk reviews|fairness|quality` through the real command line (issue 8)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from geo_risk.store.engine import session_scope
from geo_risk.store.models import AuditEvent, EvidenceReview, Link
from tests.fairness._store_data import X0, Y0, assessment, d, incident, link, person, place, referral, user


class _Out:
    def __init__(self, result) -> None:
        self.returncode = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr


def _run(args, db_url):
    """Run ``geo-risk ARGS`` in process against ``db_url`` (fresh settings and engine each time)."""
    from click.testing import CliRunner

    from geo_risk.cli import _context, main

    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    result = CliRunner().invoke(main, list(args), env={"GEO_RISK_DATABASE_URL": db_url}, catch_exceptions=False)
    _context.engine().dispose()
    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    return _Out(result)


def _seed(db):
    with session_scope(db) as s:
        for i in range(1, 9):
            person(s, f"YP-{i}", ethnicity="Black" if i <= 4 else "White", sex="Male" if i % 2 else "Female",
                   home_area_code="A1", cce_concern=i in (1, 2, 3, 5))
        link(s, "L1", "YP-1", "YP-2", review_by=d("2026-10-01"))
        link(s, "L2", "YP-1", "YP-3", "associates_with", expires_at=d("2026-10-15"), source="Mother",
             source_type="parent_carer")
        place(s, "P1", "YP-2", X0, Y0, evidence_grade=None)
        incident(s, "c1", X0, Y0, d("2026-09-03T10:00"), precision="snap_point")
        hana = user(s, "hana", "housing")
        referral(s, "YP-1", hana.id)
        assessment(s, "YP-5", "High")


def test_reviews_due_and_expire(db, db_url, tmp_path):
    _seed(db)
    out = _run(["reviews", "due", "--as-of", "2026-11-01", "--csv", str(tmp_path / "due.csv")], db_url)
    assert out.returncode == 0, out.stderr
    assert "1 due, 1 recently expired" in out.stdout
    queue = pd.read_csv(tmp_path / "due.csv")
    assert queue[["target_id", "state"]].values.tolist() == [["L1", "due"], ["L2", "expired"]]
    with session_scope(db) as s:
        assert [e.action for e in s.execute(select(AuditEvent)).scalars()] == ["cli.reviews.due"]

    out = _run(["reviews", "expire", "--now", "2026-11-01", "--dry-run"], db_url)
    assert out.returncode == 0, out.stderr
    assert "would expire 1 link(s) and 0 place(s)" in out.stdout
    out = _run(["reviews", "expire", "--now", "2026-11-01"], db_url)
    assert "expired 1 link(s)" in out.stdout and "L2" in out.stdout
    with session_scope(db) as s:
        assert s.execute(select(Link.status).where(Link.link_id == "L2")).scalar_one() == "expired"
        assert [(r.action, r.target_id) for r in s.execute(select(EvidenceReview)).scalars()] == [
            ("auto_expire", "L2")]
    out = _run(["reviews", "due", "--as-of", "2026-11-01", "--by-source"], db_url)
    assert "Mother" in out.stdout and "parent_carer" in out.stdout


def test_fairness_rri_from_a_population_file(db, db_url, tmp_path):
    _seed(db)
    pop = tmp_path / "pop.csv"
    pop.write_text("area_code,dimension,group,count\nA1,ethnicity,Black,100\nA1,ethnicity,White,200\n"
                   "A1,sex,Female,150\nA1,sex,Male,150\n")
    out = _run(["fairness", "rri", "--dimension", "ethnicity", "--population", str(pop), "--outcome", "flagged",
                "--csv", str(tmp_path / "rri.csv")], db_url)
    assert out.returncode == 0, out.stderr
    assert "reference: White" in out.stdout
    table = pd.read_csv(tmp_path / "rri.csv").set_index("group")
    # Black: 3 of 100 flagged; White: 1 of 200 -> RRI 6
    assert table.loc["Black", "rri"] == 6.0 and table.loc["Black", "events"] == 3
    out = _run(["fairness", "population", str(pop)], db_url)
    assert "stored 4 population counts for 1 area(s) (ethnicity: 2, sex: 2)" in out.stdout
    out = _run(["fairness", "rri", "--dimension", "sex", "--reference", "Female"], db_url)
    assert out.returncode == 0, out.stderr
    assert "assessed High or worse:" in out.stdout and "referred for a placement or route check:" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("area,dimension,group,count\n")
    out = _run(["fairness", "rri", "--dimension", "sex", "--population", str(bad)], db_url)
    assert out.returncode == 2 and "header must be exactly" in out.stderr and "Traceback" not in out.stderr


def test_quality_report_writes_csv(db, db_url, tmp_path):
    _seed(db)
    target = tmp_path / "out" / "quality.csv"
    out = _run(["quality", "report", "--out", str(target)], db_url)
    assert out.returncode == 0, out.stderr
    assert "evidence without a grade: 0 of 2 links, 1 of 1 places" in out.stdout
    rows = pd.read_csv(target)
    assert set(rows["section"]) >= {"summary", "coverage", "precision", "ungraded"}
