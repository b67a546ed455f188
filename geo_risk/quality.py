"""Data quality: what each import rejected and why, coverage, imprecise locations, ungraded evidence.

Analysts need to see the evidence the scores rest on, including its gaps:

- **imports**: per :class:`~geo_risk.store.models.ImportRun`, rows read, accepted, rejected,
  duplicates and out of area, and the rejected rows counted by reason;
- **coverage**: incidents by month and source, with months where a source sent nothing
  inside the covered period shown as 0 (a gap in a feed looks like a quiet month otherwise);
- **precision**: incidents whose location is not ``exact`` (police.uk snap points, postcode
  centres), by source;
- **ungraded**: links and places without an evidence grade, a source or an expiry date (they
  never score until completed: the liveness rule of :mod:`geo_risk.contract`).

:func:`build_quality_report` is pure (aggregated frames in, a :class:`QualityReport` out);
:func:`load_quality_inputs` does the aggregation in SQL (``GROUP BY``), so a store with
millions of incidents returns a few thousand rows. :func:`report_rows` flattens the report
into one tidy table for the CSV export.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from geo_risk.exports import neutralise_frame
from geo_risk.store.models import ImportRejection, ImportRun, Incident, Link, Place

log = logging.getLogger(__name__)

RUN_COLUMNS = ("import_run", "kind", "file_name", "rows_read", "accepted", "rejected", "duplicates", "out_of_area",
               "inserted", "started_at", "finished_at")
CSV_COLUMNS = ("section", "import_run", "kind", "file_name", "source", "source_type", "month", "precision", "reason",
               "item", "count", "share")


@dataclass(frozen=True, eq=False)
class QualityInputs:
    """Aggregated store contents the report is built from.

    Attributes
    ----------
    runs
        One row per import run (:data:`RUN_COLUMNS`).
    rejections
        ``import_run``, ``reason``, ``count``.
    incident_counts
        ``month`` (YYYY-MM), ``source``, ``source_type``, ``precision``, ``count``.
    ungraded
        ``target_kind`` (link/place), ``target_id``, ``what``, ``source``, ``source_type``, ``status``.
    evidence_totals
        ``target_kind``, ``count``: all links and places, for shares.
    """

    runs: pd.DataFrame
    rejections: pd.DataFrame
    incident_counts: pd.DataFrame
    ungraded: pd.DataFrame
    evidence_totals: pd.DataFrame


@dataclass(frozen=True, eq=False)
class QualityReport:
    """The data-quality report; every table is a plain DataFrame."""

    imports: pd.DataFrame
    rejections: pd.DataFrame
    coverage: pd.DataFrame
    coverage_table: pd.DataFrame
    precision: pd.DataFrame
    ungraded: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def reason_group(reason: Any) -> str:
    """The general reason of a row-level rejection (what comes before any ``;`` detail)."""
    text = "" if reason is None or (isinstance(reason, float) and np.isnan(reason)) else str(reason)
    text = text.split(";", 1)[0].strip()
    return text or "(no reason given)"


def build_quality_report(inputs: QualityInputs) -> QualityReport:
    """Build the report from aggregated inputs (see :func:`load_quality_inputs`)."""
    runs = inputs.runs.copy()
    rej = inputs.rejections.copy()
    if len(rej):
        rej["reason"] = rej["reason"].map(reason_group)
        rej = rej.groupby(["import_run", "reason"], as_index=False)["count"].sum()
        rej = rej.merge(runs[["import_run", "kind", "file_name"]], on="import_run", how="left")
        rej = rej.sort_values(["import_run", "count", "reason"], ascending=[True, False, True], kind="stable")
    else:
        rej = pd.DataFrame(columns=["import_run", "reason", "count", "kind", "file_name"])
    rej = rej[["import_run", "kind", "file_name", "reason", "count"]].reset_index(drop=True)

    imports = runs.copy()
    if len(imports):
        with np.errstate(divide="ignore", invalid="ignore"):
            imports["rejected_share"] = np.where(imports["rows_read"] > 0,
                                                 imports["rejected"] / imports["rows_read"].clip(lower=1), 0.0)
        top = (rej.groupby("import_run")
               .apply(lambda g: "; ".join(f"{r} ({n})" for r, n in list(zip(g["reason"], g["count"], strict=True))[:3]),
                      include_groups=False)
               if len(rej) else pd.Series(dtype=object))
        imports["top_reasons"] = imports["import_run"].map(top).fillna("")
        imports = imports.sort_values("import_run", ascending=False, kind="stable").reset_index(drop=True)
    else:
        imports = pd.DataFrame(columns=[*RUN_COLUMNS, "rejected_share", "top_reasons"])

    counts = inputs.incident_counts.copy()
    coverage, table = _coverage(counts)
    precision = _precision(counts)
    ungraded = inputs.ungraded.sort_values(["target_kind", "source", "target_id"], kind="stable") \
        .reset_index(drop=True) if len(inputs.ungraded) else inputs.ungraded
    totals = dict(zip(inputs.evidence_totals["target_kind"], inputs.evidence_totals["count"], strict=True)) \
        if len(inputs.evidence_totals) else {}
    n_incidents = int(counts["count"].sum()) if len(counts) else 0
    imprecise = int(counts.loc[counts["precision"] != "exact", "count"].sum()) if len(counts) else 0
    summary = {
        "import_runs": len(runs),
        "rows_read": int(runs["rows_read"].sum()) if len(runs) else 0,
        "rows_rejected": int(runs["rejected"].sum()) if len(runs) else 0,
        "incidents": n_incidents,
        "incidents_not_exact": imprecise,
        "incidents_not_exact_share": (imprecise / n_incidents) if n_incidents else 0.0,
        "months_covered": int(coverage["month"].nunique()) if len(coverage) else 0,
        "coverage_gaps": int((coverage["count"] == 0).sum()) if len(coverage) else 0,
        "links": int(totals.get("link", 0)),
        "links_ungraded": int((ungraded["target_kind"] == "link").sum()) if len(ungraded) else 0,
        "places": int(totals.get("place", 0)),
        "places_ungraded": int((ungraded["target_kind"] == "place").sum()) if len(ungraded) else 0,
    }
    log.info("quality report: %d runs, %d incidents, %d coverage gaps", summary["import_runs"], n_incidents,
             summary["coverage_gaps"])
    return QualityReport(imports=imports, rejections=rej, coverage=coverage, coverage_table=table,
                         precision=precision, ungraded=ungraded, summary=summary)


def _month_range(months: pd.Series) -> list[str]:
    periods = pd.PeriodIndex(months.astype(str), freq="M")
    return [str(p) for p in pd.period_range(periods.min(), periods.max(), freq="M")]


def _coverage(counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = ["month", "source", "source_type", "count"]
    if counts.empty:
        return pd.DataFrame(columns=cols), pd.DataFrame()
    by = counts.groupby(["source", "source_type", "month"], as_index=False)["count"].sum()
    months = _month_range(by["month"])
    sources = by[["source", "source_type"]].drop_duplicates()
    grid = sources.merge(pd.DataFrame({"month": months}), how="cross")
    cov = grid.merge(by, on=["source", "source_type", "month"], how="left")
    cov["count"] = cov["count"].fillna(0).astype("int64")
    cov = cov.sort_values(["month", "source"], kind="stable").reset_index(drop=True)[cols]
    table = cov.pivot_table(index="month", columns="source", values="count", aggfunc="sum", fill_value=0)
    table.columns.name = None
    return cov, table


def _precision(counts: pd.DataFrame) -> pd.DataFrame:
    cols = ["source", "source_type", "precision", "count", "share"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    by = counts.groupby(["source", "source_type", "precision"], as_index=False)["count"].sum()
    total = by.groupby(["source", "source_type"])["count"].transform("sum")
    by["share"] = by["count"] / total
    return by.sort_values(["source", "precision"], kind="stable").reset_index(drop=True)[cols]


def report_rows(report: QualityReport) -> pd.DataFrame:
    """The whole report as one tidy table (:data:`CSV_COLUMNS`), section by section."""
    parts: list[pd.DataFrame] = []

    def add(section: str, frame: pd.DataFrame, **cols: Any) -> None:
        if frame is None or len(frame) == 0:
            return
        out = pd.DataFrame(index=range(len(frame)))
        for c in CSV_COLUMNS:
            if c == "section":
                out[c] = section
            elif c in cols:
                value = cols[c]
                out[c] = frame[value].to_numpy() if isinstance(value, str) and value in frame.columns else value
            elif c in frame.columns:
                out[c] = frame[c].to_numpy()
            else:
                out[c] = None
        parts.append(out)

    summary = pd.DataFrame({"item": list(report.summary), "count": list(report.summary.values())})
    add("summary", summary)
    if len(report.imports):
        statuses = ["rows_read", "accepted", "rejected", "duplicates", "out_of_area", "inserted"]
        melted = report.imports.melt(id_vars=["import_run", "kind", "file_name"], value_vars=statuses,
                                     var_name="item", value_name="count")
        melted["_o"] = melted["item"].map({s: i for i, s in enumerate(statuses)})
        melted = melted.sort_values(["import_run", "_o"], kind="stable").drop(columns="_o")
        add("import", melted)
    add("rejection", report.rejections)
    add("coverage", report.coverage)
    add("precision", report.precision)
    add("ungraded", report.ungraded, item="target_kind", reason="what", kind="status",
        file_name="target_id", count=1)
    if not parts:
        return pd.DataFrame(columns=list(CSV_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(CSV_COLUMNS)]


def write_report_csv(report: QualityReport, target: str | Path | io.TextIOBase) -> int:
    """Write :func:`report_rows` as CSV to a path or text stream; returns the number of rows."""
    rows = neutralise_frame(report_rows(report))  # text from imported files never runs as a formula
    if isinstance(target, (str, Path)):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(target, index=False, float_format="%.6g")
    else:
        rows.to_csv(target, index=False, float_format="%.6g")
    return len(rows)


def report_csv(report: QualityReport) -> str:
    """The CSV export as text."""
    buf = io.StringIO()
    write_report_csv(report, buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- repository


def load_quality_inputs(bind: Engine | Connection | Session) -> QualityInputs:
    """Aggregate what the report needs in the database (``GROUP BY``)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_quality_inputs(conn)
    runs = pd.DataFrame(
        [tuple(r) for r in bind.execute(select(
            ImportRun.id, ImportRun.kind, ImportRun.file_name, ImportRun.rows_read, ImportRun.accepted,
            ImportRun.rejected, ImportRun.duplicates, ImportRun.out_of_area, ImportRun.inserted,
            ImportRun.started_at, ImportRun.finished_at).order_by(ImportRun.id)).all()],
        columns=list(RUN_COLUMNS),
    )
    rejections = pd.DataFrame(
        [tuple(r) for r in bind.execute(
            select(ImportRejection.import_run_id, ImportRejection.reason, func.count())
            .group_by(ImportRejection.import_run_id, ImportRejection.reason)).all()],
        columns=["import_run", "reason", "count"],
    )
    incident_counts = pd.DataFrame(
        [tuple(r) for r in bind.execute(
            select(Incident.month, Incident.source, Incident.source_type, Incident.precision, func.count())
            .group_by(Incident.month, Incident.source, Incident.source_type, Incident.precision)).all()],
        columns=["month", "source", "source_type", "precision", "count"],
    )
    ungraded_rows = []
    for kind, model, key, what in (("link", Link, Link.link_id, Link.type), ("place", Place, Place.place_id,
                                                                              Place.kind)):
        rows = bind.execute(
            select(key, what, model.source, model.source_type, model.status)
            .where(or_(model.evidence_grade.is_(None), model.evidence_grade == "", model.expires_at.is_(None),
                       model.source == ""))
        ).all()
        ungraded_rows += [(kind, *tuple(r)) for r in rows]
    ungraded = pd.DataFrame(ungraded_rows, columns=["target_kind", "target_id", "what", "source", "source_type",
                                                    "status"])
    totals = pd.DataFrame(
        [("link", bind.execute(select(func.count()).select_from(Link)).scalar_one()),
         ("place", bind.execute(select(func.count()).select_from(Place)).scalar_one())],
        columns=["target_kind", "count"],
    )
    for col in ("rows_read", "accepted", "rejected", "duplicates", "out_of_area", "inserted"):
        runs[col] = runs[col].fillna(0).astype("int64")
    rejections["count"] = rejections["count"].astype("int64")
    incident_counts["count"] = incident_counts["count"].astype("int64")
    return QualityInputs(runs=runs, rejections=rejections, incident_counts=incident_counts, ungraded=ungraded,
                         evidence_totals=totals)


def quality_report(bind: Engine | Connection | Session) -> QualityReport:
    """Load and build the report in one call."""
    return build_quality_report(load_quality_inputs(bind))
