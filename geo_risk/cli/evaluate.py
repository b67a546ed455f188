"""``geo-risk evaluate`` (back-testing the area forecast) and ``geo-risk surface score``.

Both read police.uk street-level CSV files, folders and zips in police.uk's archive layout
directly (no database) with the policy's surface defaults, so they can be run on any
months of public data.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import click
import numpy as np
import pandas as pd

from geo_risk.cli import _context, main
from geo_risk.errors import ValidationError
from geo_risk.exports import neutralise_frame

log = logging.getLogger(__name__)

__all__ = ["evaluate", "score", "surface"]


def _incident_paths(first: tuple[str, ...], more: tuple[str, ...]) -> list[str]:
    paths = [*first, *more]
    if not paths:
        msg = "give police.uk street-level CSV files with --incidents FILE [FILE ...]"
        raise ValidationError(msg)
    return paths


def _read_incidents(paths: list[str]):
    from geo_risk.ingest.police_uk import read_police_uk

    result = read_police_uk(paths, errors="reject")
    gdf = result.gdf
    log.info("read %d located incidents from %d file(s)", len(gdf), len(paths))
    return gdf


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "area"


def _history_values(values: tuple[str, ...]) -> list[int | None]:
    out: list[int | None] = []
    for v in values or ("all",):
        text = str(v).strip().lower()
        if text == "all":
            out.append(None)
            continue
        if not text.isdigit() or int(text) < 1:
            msg = f"--history {v!r} must be a whole number of months (1 or more) or 'all'"
            raise ValidationError(msg)
        out.append(int(text))
    return list(dict.fromkeys(out))


@main.command("evaluate")
@click.option("--incidents", "incidents", multiple=True, metavar="FILES...",
              help="police.uk street-level CSV files, folders or zips in police.uk's archive layout "
                   "(YYYY-MM/YYYY-MM-<force>-street.csv); several months, several forces.")
@click.argument("more_incidents", nargs=-1, type=click.Path(exists=True), metavar="")
@click.option("--boundary", "boundaries", multiple=True, type=click.Path(exists=True),
              help="Boundary file of an area to evaluate (GeoJSON/GeoPackage/shapefile; polygons are "
                   "dissolved). Repeat for several areas.")
@click.option("--area", "areas", multiple=True, metavar="NAME",
              help="An area by the local-authority name that starts police.uk's LSOA name (e.g. "
                   "Nottingham for 'Nottingham 012A'): the cells holding that authority's incidents. Repeat.")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False),
              help="Folder for summary.csv, differences.csv and one folder per area, cell size and history "
                   "(backtest.csv, backtest.png).")
@click.option("--cell", "cells", multiple=True, type=float, metavar="METRES",
              help="Evaluation cell size in metres (repeat for several; default 250).")
@click.option("--cell-m", "cell_m_old", type=float, default=None, hidden=True,
              help="Deprecated spelling of --cell.")
@click.option("--history", "histories", multiple=True, metavar="N|all",
              help="Months of history before each test month that the model and baselines see "
                   "(the N most recent months with data; repeat for several; default all).")
@click.option("--test-month", "test_months", multiple=True, metavar="YYYY-MM",
              help="Month to test (repeat); default every month with enough history before it.")
@click.option("--test-from", "test_from", default=None, metavar="YYYY-MM",
              help="Test only months from this one on (the same test months for every history length).")
@click.option("--force", "forces", multiple=True, metavar="SLUG",
              help="Without --boundary/--area: only this force (repeat), e.g. avon-and-somerset.")
@click.option("--cluster", "cluster", default=None, metavar="local:N|tcp://HOST:PORT",
              help="Without --boundary/--area, where the per-force back-tests run: local:N worker processes "
                   "(default when there is more than one force) or a running Dask scheduler.")
@click.option("--bootstrap", "n_boot", default=1000, show_default=True, type=click.IntRange(0, 100_000),
              help="Bootstrap replicates for the intervals (0: none).")
@click.option("--target", "target_cats", multiple=True, metavar="CATEGORY",
              help="A category to forecast (repeat); default the policy's [surface] forecast_targets.")
@click.option("--harm", "harm", default="policy", show_default=True, metavar="policy|none|categories|FILE.csv",
              help="How target incidents are weighted, in the model and every baseline alike: policy (the "
                   "policy's [surface.forecast_harm_weights]; empty counts each once), none (each counts once), "
                   "categories (the policy's [surface.category_weights]) or a CSV file category,weight (for "
                   "example Cambridge Crime Harm Index values; a category not listed counts 1).")
def evaluate(
    incidents: tuple[str, ...],
    more_incidents: tuple[str, ...],
    boundaries: tuple[str, ...],
    areas: tuple[str, ...],
    out_dir: str,
    cells: tuple[float, ...],
    cell_m_old: float | None,
    histories: tuple[str, ...],
    test_months: tuple[str, ...],
    test_from: str | None,
    forces: tuple[str, ...],
    cluster: str | None,
    n_boot: int,
    target_cats: tuple[str, ...],
    harm: str,
) -> None:
    """Rolling-origin back-test: PAI, PEI and hit rate at 1/5/10 % of the area, model vs
    baselines and ceilings, with bootstrap intervals.

    For each test month the model and the baselines (previous-month counts, all-prior
    counts, plain KDE) are fitted on the months before it and scored on the month's
    target incidents (the policy's forecast targets) in each area; two ceilings (the
    long-run rate, i.e. every other month's counts, and perfect foresight) show how
    much is predictable. Prints one table per area, cell size and history and writes
    OUT_DIR/summary.csv, OUT_DIR/differences.csv and, per run, backtest.csv, backtest.png and
    coefficients.csv (the forecast's weights for each test month, with the policy version).

    Without --boundary and --area, every force in the archives is back-tested on its own area
    (the cells where it recorded crime before its first test month), partitioned by force on
    Dask (--cluster), with a PAI table per force in OUT_DIR/forces.csv.
    """
    from geo_risk.ingest.boundaries import read_boundaries
    from geo_risk.surface.evaluate import backtest, boundary_grid, format_summary, lsoa_area_grid, plot_backtest

    if cell_m_old is not None:
        click.secho("warning: --cell-m is deprecated; use --cell", fg="yellow", err=True)
        cells = (*cells, cell_m_old)
    cell_sizes = list(dict.fromkeys(cells)) or [250.0]
    for c in cell_sizes:
        if not (np.isfinite(c) and c > 0):
            msg = f"--cell {c!r} must be a positive number of metres"
            raise ValidationError(msg)
    if not boundaries and not areas:
        from geo_risk.cli.national import evaluate_forces

        if histories:
            msg = "--history applies to --boundary/--area runs; each force is back-tested on all its months"
            raise ValidationError(msg)
        if target_cats or harm != "policy":
            msg = "--target and --harm apply to --boundary/--area runs; per-force runs use the policy's targets"
            raise ValidationError(msg)
        evaluate_forces([*incidents, *more_incidents], out_dir=Path(out_dir), cells=cell_sizes,
                        test_months=_test_months_or_none(test_months), forces=forces, cluster=cluster)
        return
    hist_values = _history_values(histories)
    gdf = _read_incidents(_incident_paths(incidents, more_incidents))
    chosen = _test_months(gdf, test_months, test_from)
    policy = _context.policy()
    surface_policy = forecast_policy(policy.surface, target_cats, harm)
    model = forecast_scorer(surface_policy)
    targets = surface_policy.forecast_targets
    harm_weights = dict(surface_policy.forecast_harm_weights)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    named = [(Path(b).stem, ("boundary", b)) for b in boundaries] + [(a, ("area", a)) for a in areas]
    summaries, differences = [], []
    for name, (kind, value) in named:
        boundary = read_boundaries(value).gdf if kind == "boundary" else None
        for cell in cell_sizes:
            grid = boundary_grid(boundary, cell) if kind == "boundary" else lsoa_area_grid(gdf, value, cell)
            for hist in hist_values:
                result = backtest(gdf, grid, model=model, targets=targets, test_months=chosen, history=hist,
                                  n_boot=n_boot, harm_weights=harm_weights)
                hist_text = "all" if hist is None else str(hist)
                run_dir = out / f"{_slug(name)}_{cell:g}m_history-{hist_text}"
                run_dir.mkdir(parents=True, exist_ok=True)
                full = pd.concat([result.table, result.summary], ignore_index=True)
                neutralise_frame(full).to_csv(run_dir / "backtest.csv", index=False, float_format="%.4f")
                _write_coefficients(model, run_dir / "coefficients.csv", policy.version)
                title = f"{name}, {cell:g} m cells, history {hist_text}"
                plot_backtest(result, run_dir / "backtest.png", title=name)
                click.echo(format_summary(result, title=title))
                click.echo(f"\nwrote {run_dir / 'backtest.csv'} and {run_dir / 'backtest.png'}\n")
                tag = {"area": name, "cell_m": cell, "history": hist_text}
                summaries.append(result.summary.assign(**tag))
                differences.append(result.differences.assign(**tag))
    neutralise_frame(pd.concat(summaries, ignore_index=True)).to_csv(out / "summary.csv", index=False,
                                                                     float_format="%.4f")
    neutralise_frame(pd.concat(differences, ignore_index=True)).to_csv(out / "differences.csv", index=False,
                                                                       float_format="%.4f")
    click.echo(f"wrote {out / 'summary.csv'} and {out / 'differences.csv'}")


def forecast_policy(surface_policy, target_cats: tuple[str, ...] = (), harm: str = "policy"):
    """The surface policy with the targets and harm weights asked for (``--target``, ``--harm``)."""
    import dataclasses

    from geo_risk.surface.evaluate import check_harm_weights

    targets = tuple(dict.fromkeys(t.strip() for t in target_cats if t.strip())) or surface_policy.forecast_targets
    spec = str(harm).strip()
    if spec == "policy":
        weights = dict(surface_policy.forecast_harm_weights)
    elif spec == "none":
        weights = {}
    elif spec == "categories":
        weights = {c: float(surface_policy.category_weights.get(c, surface_policy.default_weight)) for c in targets}
    else:
        path = Path(spec)
        if not path.is_file():
            msg = f"--harm {spec!r}: give policy, none, categories or a CSV file category,weight"
            raise ValidationError(msg)
        table = _read_text_csv(path, "the harm weights", ("category", "weight"))
        bad = [f"{c!r}" for c, w in zip(table["category"], table["weight"], strict=True)
               if pd.to_numeric(w.strip(), errors="coerce") != pd.to_numeric(w.strip(), errors="coerce")]
        if bad:
            msg = f"{path}: weight(s) of {', '.join(bad)} are not numbers"
            raise ValidationError(msg)
        weights = {c.strip(): float(w) for c, w in zip(table["category"], table["weight"], strict=True)}
    weights = check_harm_weights(weights)
    return dataclasses.replace(surface_policy, forecast_targets=targets, forecast_harm_weights=weights)


def _write_coefficients(model, path: Path, version: str) -> None:
    """The forecast's coefficients for each test month (weight used, default, the area's own fit)."""
    fitted = getattr(model, "fitted", None)
    if not fitted:
        return
    frames = [frame.assign(month=month) for month, frame in fitted]
    pd.concat(frames, ignore_index=True).assign(policy_version=version).to_csv(path, index=False, float_format="%.6g")
    fitted.clear()


def _test_months_or_none(test_months: tuple[str, ...]) -> list[str] | None:
    for text in test_months:
        if not re.fullmatch(r"\d{4}-\d{2}", str(text).strip()):
            msg = f"month {text!r} must be written YYYY-MM"
            raise ValidationError(msg)
    return [t.strip() for t in test_months] or None


def _test_months(gdf, test_months: tuple[str, ...], test_from: str | None) -> list[str] | None:
    """The test months asked for: explicit ones, or every month from ``test_from`` on (None: default)."""
    for text in (*test_months, *([test_from] if test_from else [])):
        if not re.fullmatch(r"\d{4}-\d{2}", str(text).strip()):
            msg = f"month {text!r} must be written YYYY-MM"
            raise ValidationError(msg)
    if test_months:
        if test_from:
            msg = "give either --test-month or --test-from, not both"
            raise ValidationError(msg)
        return list(test_months)
    if not test_from:
        return None
    months = sorted(set(pd.to_datetime(gdf["occurred_at"]).dt.to_period("M")))
    start = pd.Period(test_from.strip(), "M")
    chosen = [str(m) for m in months if m >= start]
    if not chosen:
        msg = f"--test-from {test_from}: no month of the data is that late (last: {months[-1] if months else 'none'})"
        raise ValidationError(msg)
    return chosen


def forecast_scorer(surface_policy):
    """The model under test: the area forecast of the policy, scored as the mean over each cell."""
    from geo_risk.surface.forecast import forecast_scorer as scorer

    return scorer(surface_policy)


@main.group("surface")
def surface() -> None:
    """Area intensity of incidents (time-decayed kernel density)."""


@surface.command("score")
@click.option("--incidents", "incidents", multiple=True, metavar="FILES...",
              help="police.uk street-level CSV files, folders or zips in police.uk's archive layout.")
@click.argument("more_incidents", nargs=-1, type=click.Path(exists=True), metavar="")
@click.option("--as-of", "as_of_text", required=True, help="Reference date YYYY-MM-DD; later incidents are ignored.")
@click.option("--points", "points_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns id,x,y (EPSG:27700 metres).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output CSV id,score.")
@click.option("--cell", "cell", type=float, default=None, metavar="METRES",
              help="Each point stands for the square of this side centred on it (default: the policy's "
                   "support_m).")
@click.option("--kind", type=click.Choice(["intensity", "point", "percentile", "forecast"]), default="intensity",
              show_default=True,
              help="intensity: area intensity (weighted incidents per km2, the exact mean over the point's "
                   "square); point: the kernel sum at the point itself; percentile: citywide 0-100 of the "
                   "area intensity; forecast: the area forecast, next month's target incidents expected in "
                   "the point's square (weights learned from the incidents' own history).")
@click.option("--coefficients", "coef_path", type=click.Path(dir_okay=False), default=None,
              help="With --kind forecast: also write the forecast's coefficients (CSV, with the policy version).")
def score(
    incidents: tuple[str, ...],
    more_incidents: tuple[str, ...],
    as_of_text: str,
    points_path: str,
    out_path: str,
    cell: float | None,
    kind: str,
    coef_path: str | None,
) -> None:
    """Score points at AS_OF (higher = riskier), one row per input row, in order.

    Points far from any incident score 0; rows whose coordinates are missing or not
    numbers also score 0 (with a warning).
    """
    import dataclasses

    from geo_risk.cli.assess import parse_as_of
    from geo_risk.surface import IntensitySurface

    if cell is not None and not (np.isfinite(cell) and cell > 0):
        msg = f"--cell {cell!r} must be a positive number of metres"
        raise ValidationError(msg)
    if cell is not None and kind == "point":
        msg = "--cell gives each point a square; --kind point scores the point itself: drop one of them"
        raise ValidationError(msg)
    if coef_path and kind != "forecast":
        msg = "--coefficients is for --kind forecast (the other kinds have no learned coefficients)"
        raise ValidationError(msg)
    as_of = parse_as_of(as_of_text)
    points = read_points(points_path)
    gdf = _read_incidents(_incident_paths(incidents, more_incidents))
    policy = _context.policy()
    surface_policy = policy.surface if cell is None else dataclasses.replace(policy.surface, support_m=float(cell))
    xy = points[["x", "y"]].to_numpy(dtype=float)
    ok = np.isfinite(xy).all(axis=1)
    if (~ok).any():
        click.secho(f"warning: {int((~ok).sum())} point(s) have no usable x,y and score 0", fg="yellow", err=True)
    values = np.zeros(len(points))
    if kind == "forecast":
        from geo_risk.surface.forecast import AreaForecast

        bounds = (*xy[ok].min(axis=0), *xy[ok].max(axis=0)) if ok.any() else None
        fitted = AreaForecast(surface_policy, cell_m=cell).fit(gdf, as_of, bounds=bounds)
        if ok.any():
            values[ok] = fitted.forecast_at(xy[ok])
        n_used = int(fitted.history_.target.sum())
        if coef_path:
            fitted.coefficients_frame().assign(policy_version=policy.version, as_of=f"{as_of:%Y-%m-%d}",
                                               fit_months=fitted.n_fit_months_).to_csv(coef_path, index=False)
        what = f"{len(fitted.history_months_)} month(s) of history ({n_used} target incidents)"
    else:
        fitted = IntensitySurface(surface_policy).fit(gdf, as_of)
        if ok.any():
            if kind == "percentile":
                values[ok] = fitted.percentile_at(xy[ok])
            else:
                values[ok] = fitted.intensity_at(xy[ok], support_m=0.0 if kind == "point" else None)
        what = f"{fitted.n_incidents_} incidents"
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    neutralise_frame(pd.DataFrame({"id": points["id"], "score": values})).to_csv(out_path, index=False,
                                                                                float_format="%.10g")
    click.echo(f"scored {len(points)} point(s) at {as_of:%Y-%m-%d} from {what} -> {out_path}")


def _read_text_csv(path: str | Path, what: str, header: tuple[str, ...], *, note: str = "") -> pd.DataFrame:
    """A CSV as text, its column names trimmed and lower-cased; unreadable or lacking one of ``header``
    it is a ValidationError that says what to write."""
    columns = ",".join(header)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: cannot read {what} ({exc}); write a CSV with header {columns}{note}"
        raise ValidationError(msg) from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in header if c not in df.columns]
    if missing:
        msg = f"{path}: missing column(s) {', '.join(missing)}; write {what} with the columns {columns}{note}"
        raise ValidationError(msg)
    return df


def read_points(path: str | Path) -> pd.DataFrame:
    """Read ``id,x,y`` points (ids kept as text, coordinates as numbers; blanks become NaN)."""
    df = _read_text_csv(path, "the points CSV", ("id", "x", "y"), note=" (EPSG:27700 metres)")
    out = pd.DataFrame({"id": df["id"]})
    for c in ("x", "y"):
        out[c] = pd.to_numeric(df[c].str.strip(), errors="coerce")
    return out
