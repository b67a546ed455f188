"""``geo-risk evaluate`` (back-testing the area intensity) and ``geo-risk surface score``.

Both read police.uk street-level CSV files directly (no database) with the policy's
surface defaults, so they can be run on any months of public data.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
import numpy as np
import pandas as pd

from geo_risk.cli import _context, main
from geo_risk.errors import ValidationError

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


@main.command("evaluate")
@click.option("--incidents", "incidents", multiple=True, metavar="FILES...",
              help="police.uk street-level CSV files (or folders); several months.")
@click.argument("more_incidents", nargs=-1, type=click.Path(exists=True), metavar="")
@click.option("--boundary", required=True, type=click.Path(exists=True),
              help="Boundary of the area to evaluate (GeoJSON/GeoPackage/shapefile); polygons are dissolved.")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False), help="Folder for backtest.csv and backtest.png.")
@click.option("--cell-m", default=250.0, show_default=True, type=float, help="Evaluation grid cell size in metres.")
@click.option("--test-month", "test_months", multiple=True, metavar="YYYY-MM",
              help="Month to test (repeat); default every month whose previous month is in the data.")
def evaluate(
    incidents: tuple[str, ...],
    more_incidents: tuple[str, ...],
    boundary: str,
    out_dir: str,
    cell_m: float,
    test_months: tuple[str, ...],
) -> None:
    """Rolling-origin back-test: hit rate and PAI at 1/5/10 % of the area, model vs baselines.

    For each test month the model and the baselines (previous-month counts, all-prior
    counts, plain KDE) are fitted on the months before it and scored on next month's
    violence and sexual offences, possession of weapons and robbery inside the boundary.
    Writes OUT_DIR/backtest.csv and OUT_DIR/backtest.png and prints the mean table.
    """
    from geo_risk.ingest.boundaries import read_boundaries
    from geo_risk.surface.evaluate import backtest, plot_backtest, summarise

    gdf = _read_incidents(_incident_paths(incidents, more_incidents))
    area = read_boundaries(boundary).gdf
    policy = _context.policy().surface
    table = backtest(gdf, area, policy=policy, cell_m=cell_m, test_months=test_months or None)
    summary = summarise(table)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    full = pd.concat([table, summary], ignore_index=True)
    csv_path = out / "backtest.csv"
    full.to_csv(csv_path, index=False, float_format="%.4f")
    png_path = plot_backtest(table, out / "backtest.png")
    click.echo(format_summary(table))
    click.echo(f"\nwrote {csv_path} and {png_path}")


def format_summary(table: pd.DataFrame) -> str:
    """The mean PAI and hit rate per method and coverage as a Markdown table."""
    from geo_risk.surface.evaluate import summarise

    months = sorted(table["month"].unique())
    summary = summarise(table)
    covs = sorted(summary["coverage"].unique())
    head = "| method | " + " | ".join(f"PAI {100 * c:g} %" for c in covs) + " | " + " | ".join(
        f"hit rate {100 * c:g} %" for c in covs
    ) + " |"
    lines = [
        (f"Mean over test months {', '.join(months)} ({table['n_cells'].iloc[0]} cells; "
         f"{table['n_targets'].mean():.0f} target incidents a month on average)"),
        "",
        head,
        "|" + "---|" * (1 + 2 * len(covs)),
    ]
    for method in summary["method"].unique():
        s = summary[summary["method"] == method].set_index("coverage")
        lines.append(
            f"| {method} | "
            + " | ".join(f"{s.loc[c, 'pai']:.2f}" for c in covs)
            + " | "
            + " | ".join(f"{s.loc[c, 'hit_rate']:.3f}" for c in covs)
            + " |"
        )
    return "\n".join(lines)


@main.group("surface")
def surface() -> None:
    """Area intensity of incidents (time-decayed kernel density)."""


@surface.command("score")
@click.option("--incidents", "incidents", multiple=True, metavar="FILES...",
              help="police.uk street-level CSV files (or folders).")
@click.argument("more_incidents", nargs=-1, type=click.Path(exists=True), metavar="")
@click.option("--as-of", "as_of_text", required=True, help="Reference date YYYY-MM-DD; later incidents are ignored.")
@click.option("--points", "points_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns id,x,y (EPSG:27700 metres).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output CSV id,score.")
@click.option("--kind", type=click.Choice(["intensity", "point", "percentile"]), default="intensity",
              show_default=True,
              help="intensity: area intensity (weighted incidents per km2, mean over the policy's support_m "
                   "block around the point, exact); point: the kernel sum at the point itself; "
                   "percentile: citywide 0-100 of the area intensity.")
def score(
    incidents: tuple[str, ...],
    more_incidents: tuple[str, ...],
    as_of_text: str,
    points_path: str,
    out_path: str,
    kind: str,
) -> None:
    """Score points by area intensity at AS_OF (higher = riskier), one row per input row, in order.

    Points far from any incident score 0; rows whose coordinates are missing or not
    numbers also score 0 (with a warning).
    """
    from geo_risk.cli.assess import parse_as_of
    from geo_risk.surface import IntensitySurface

    as_of = parse_as_of(as_of_text)
    points = read_points(points_path)
    gdf = _read_incidents(_incident_paths(incidents, more_incidents))
    fitted = IntensitySurface(_context.policy().surface).fit(gdf, as_of)
    xy = points[["x", "y"]].to_numpy(dtype=float)
    ok = np.isfinite(xy).all(axis=1)
    if (~ok).any():
        click.secho(f"warning: {int((~ok).sum())} point(s) have no usable x,y and score 0", fg="yellow", err=True)
    values = np.zeros(len(points))
    if ok.any():
        if kind == "percentile":
            values[ok] = fitted.percentile_at(xy[ok])
        else:
            values[ok] = fitted.intensity_at(xy[ok], support_m=0.0 if kind == "point" else None)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    pd.DataFrame({"id": points["id"], "score": values}).to_csv(out_path, index=False, float_format="%.10g")
    click.echo(f"scored {len(points)} point(s) at {as_of:%Y-%m-%d} from {fitted.n_incidents_} incidents -> {out_path}")


def read_points(path: str | Path) -> pd.DataFrame:
    """Read ``id,x,y`` points (ids kept as text, coordinates as numbers; blanks become NaN)."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: cannot read the points CSV ({exc}); write a CSV with header id,x,y"
        raise ValidationError(msg) from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("id", "x", "y") if c not in df.columns]
    if missing:
        msg = f"{path}: missing column(s) {', '.join(missing)}; the points CSV needs id,x,y (EPSG:27700 metres)"
        raise ValidationError(msg)
    out = pd.DataFrame({"id": df["id"]})
    for c in ("x", "y"):
        out[c] = pd.to_numeric(df[c].str.strip(), errors="coerce")
    return out
