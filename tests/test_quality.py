"""Data quality: import rejections by reason, coverage, imprecise locations, ungraded evidence (issue 8)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geo_risk.quality import (
    CSV_COLUMNS,
    QualityInputs,
    build_quality_report,
    load_quality_inputs,
    quality_report,
    reason_group,
    report_csv,
    report_rows,
    write_report_csv,
)
from geo_risk.store.engine import session_scope
from geo_risk.store.models import ImportRejection, ImportRun
from tests.fairness._store_data import X0, Y0, d, incident, link, person, place


def _inputs() -> QualityInputs:
    runs = pd.DataFrame([
        (1, "police_uk", "2026-08-street.csv", 100, 90, 6, 3, 1, 90, None, None),
        (2, "police_uk", "2026-10-street.csv", 50, 50, 0, 0, 0, 50, None, None),
    ], columns=["import_run", "kind", "file_name", "rows_read", "accepted", "rejected", "duplicates", "out_of_area",
                "inserted", "started_at", "finished_at"])
    rejections = pd.DataFrame([
        (1, "no coordinates", 5),
        (1, "Month: '2026-13' is not a month", 1),
        (1, "duplicate: duplicate Crime ID; kept line 4 of 2026-08-street.csv", 2),
        (1, "duplicate: duplicate Crime ID; kept line 9 of 2026-08-street.csv", 1),
        (1, "out of area: outside Great Britain", 1),
    ], columns=["import_run", "reason", "count"])
    counts = pd.DataFrame([
        ("2026-08", "Synthetown Police", "police", "snap_point", 60),
        ("2026-08", "Synthetown Police", "police", "exact", 30),
        ("2026-10", "Synthetown Police", "police", "snap_point", 50),
        ("2026-08", "Hospital ED", "health", "postcode", 8),
        ("2026-09", "Hospital ED", "health", "postcode", 4),
        ("2026-10", "Hospital ED", "health", "exact", 2),
    ], columns=["month", "source", "source_type", "precision", "count"])
    ungraded = pd.DataFrame([("link", "L9", "associates_with", "School", "education", "live")],
                            columns=["target_kind", "target_id", "what", "source", "source_type", "status"])
    totals = pd.DataFrame({"target_kind": ["link", "place"], "count": [4, 2]})
    return QualityInputs(runs=runs, rejections=rejections, incident_counts=counts, ungraded=ungraded,
                         evidence_totals=totals)


def test_rejections_are_counted_by_general_reason():
    report = build_quality_report(_inputs())
    rej = report.rejections
    assert rej[["import_run", "reason", "count"]].values.tolist() == [
        [1, "no coordinates", 5],
        [1, "duplicate: duplicate Crime ID", 3],
        [1, "Month: '2026-13' is not a month", 1],
        [1, "out of area: outside Great Britain", 1],
    ]
    run1 = report.imports.set_index("import_run").loc[1]
    assert run1["top_reasons"] == "no coordinates (5); duplicate: duplicate Crime ID (3); Month: '2026-13' is not a month (1)"
    assert run1["rejected_share"] == pytest.approx(0.06)
    assert report.imports["import_run"].tolist() == [2, 1]  # newest first
    assert reason_group(None) == "(no reason given)"


def test_coverage_fills_months_a_source_missed_with_zero():
    report = build_quality_report(_inputs())
    police = report.coverage[report.coverage["source"] == "Synthetown Police"]
    assert police[["month", "count"]].values.tolist() == [["2026-08", 90], ["2026-09", 0], ["2026-10", 50]]
    assert report.summary["coverage_gaps"] == 1
    assert report.coverage_table.loc["2026-09"].to_dict() == {"Hospital ED": 4, "Synthetown Police": 0}


def test_incidents_without_precise_locations_by_source():
    report = build_quality_report(_inputs())
    p = report.precision.set_index(["source", "precision"])
    assert p.loc[("Hospital ED", "postcode"), "count"] == 12
    assert p.loc[("Hospital ED", "postcode"), "share"] == pytest.approx(12 / 14)
    assert p.loc[("Synthetown Police", "snap_point"), "share"] == pytest.approx(110 / 140)
    assert report.summary["incidents"] == 154
    assert report.summary["incidents_not_exact"] == 122
    assert report.summary["links_ungraded"] == 1 and report.summary["links"] == 4


def test_csv_export_has_every_section_in_one_tidy_table():
    report = build_quality_report(_inputs())
    text = report_csv(report)
    rows = pd.read_csv(io.StringIO(text))
    assert list(rows.columns) == list(CSV_COLUMNS)
    assert list(dict.fromkeys(rows["section"])) == ["summary", "import", "rejection", "coverage", "precision",
                                                     "ungraded"]
    imp = rows[(rows["section"] == "import") & (rows["import_run"] == 1)]
    assert dict(zip(imp["item"], imp["count"], strict=True)) == {
        "rows_read": 100, "accepted": 90, "rejected": 6, "duplicates": 3, "out_of_area": 1, "inserted": 90}
    gap = rows[(rows["section"] == "coverage") & (rows["month"] == "2026-09") & (rows["source"] == "Synthetown Police")]
    assert gap["count"].tolist() == [0]
    ungraded = rows[rows["section"] == "ungraded"].iloc[0]
    assert (ungraded["item"], ungraded["file_name"], ungraded["reason"], ungraded["source_type"]) == (
        "link", "L9", "associates_with", "education")
    assert len(rows) == len(report_rows(report))


def test_empty_store_gives_an_empty_but_valid_report(db):
    report = quality_report(db)
    assert report.summary["incidents"] == 0 and report.summary["import_runs"] == 0
    assert list(pd.read_csv(io.StringIO(report_csv(report))).columns) == list(CSV_COLUMNS)


def test_quality_inputs_are_aggregated_in_the_store(db, tmp_path):
    with session_scope(db) as s:
        run = ImportRun(kind="police_uk", file_name="2026-09-street.csv", file_sha256="0" * 64, rows_read=10,
                        accepted=7, rejected=2, duplicates=1, out_of_area=0, inserted=7)
        s.add(run)
        s.flush()
        s.add_all([ImportRejection(import_run_id=run.id, row=r, reason=reason) for r, reason in
                   ((3, "no coordinates"), (5, "no coordinates"), (8, "duplicate: duplicate Crime ID; kept line 2"))])
        for i in range(3):
            incident(s, f"c{i}", X0 + i, Y0, d("2026-09-05"), precision="snap_point", import_run_id=run.id)
        incident(s, "ed1", X0, Y0, d("2026-11-02"), precision="postcode", source="ED", source_type="health")
        person(s, "YP-1")
        person(s, "YP-2")
        link(s, "L1", "YP-1", "YP-2")
        link(s, "L2", "YP-1", "YP-2", "associates_with", evidence_grade=None, source="School",
             source_type="education")
        place(s, "P1", "YP-2", evidence_grade=None)
        place(s, "P2", "YP-2", expires_at=None)  # graded, but never counts without an expiry
        place(s, "P3", "YP-2")
    inputs = load_quality_inputs(db)
    assert sorted(inputs.rejections[["reason", "count"]].values.tolist()) == [
        ["duplicate: duplicate Crime ID; kept line 2", 1], ["no coordinates", 2]]
    report = build_quality_report(inputs)
    assert report.rejections[["reason", "count"]].values.tolist() == [
        ["no coordinates", 2], ["duplicate: duplicate Crime ID", 1]]
    assert report.ungraded[["target_kind", "target_id"]].values.tolist() == [
        ["link", "L2"], ["place", "P1"], ["place", "P2"]]
    police = report.coverage[report.coverage["source"] == "Police"]
    assert police[["month", "count"]].values.tolist() == [["2026-09", 3], ["2026-10", 0], ["2026-11", 0]]
    assert report.summary["incidents_not_exact"] == 4
    out = tmp_path / "quality.csv"
    assert write_report_csv(report, out) == len(pd.read_csv(out))


@pytest.mark.realdata
def test_police_uk_rejections_reach_the_quality_report(shared_data, db):
    from geo_risk.ingest.load import load

    path = shared_data / "police_uk" / "avon_and_somerset" / "2025-01-avon-and-somerset-street.csv"
    result = load("police_uk", [path], db)
    report = quality_report(db)
    run = report.imports.iloc[0]
    fr = result.report.files[0]
    assert (run["rows_read"], run["rejected"], run["duplicates"]) == (fr.rows_read, fr.rejected, fr.duplicates)
    reasons = report.rejections.set_index("reason")["count"]
    assert reasons["no coordinates"] == fr.rejected - int(reasons.drop("no coordinates", errors="ignore")
                                                          .filter(regex="^(?!duplicate|out of area)").sum())
    assert reasons.filter(like="duplicate").sum() == fr.duplicates
    # police.uk locations are snap points: every stored incident is "not exact"
    assert report.summary["incidents_not_exact"] == report.summary["incidents"] == fr.accepted
    assert report.coverage["month"].tolist() == ["2025-01"]
