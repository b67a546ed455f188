"""``geo-risk import KIND PATH...``: read, validate and store one kind of data file."""

from __future__ import annotations

import logging

import click

from geo_risk.cli import _context, main

log = logging.getLogger(__name__)

KINDS = ["police-uk", "boundaries", "schools", "postcodes", "streets", "network", "injuries"]


@main.command("import")
@click.argument("kind", type=click.Choice([*KINDS, "police_uk"], case_sensitive=False), metavar="KIND")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PATH...")
@click.option("--report-csv", type=click.Path(dir_okay=False, writable=True),
              help="Write the row-level report (one line per file, then one per row left out) to this CSV.")
@click.option("--errors", type=click.Choice(["raise", "reject"]), default="raise", show_default=True,
              help="raise: any malformed row stops the import (nothing stored); reject: such rows are "
                   "rejected with their reason and the rest is stored.")
@click.option("--max-bytes", type=int, default=None,
              help="Refuse files larger than this many bytes, before reading them (default 1 GiB).")
@click.option("--no-area", is_flag=True,
              help="Ignore the configured area of interest (accept anything in Great Britain).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def import_(kind: str, paths: tuple[str, ...], report_csv: str | None, errors: str, max_bytes: int | None,
            no_area: bool, progress: bool) -> None:
    """Import KIND files (files, folders or zips) into the database, all-or-nothing per file.

    \b
    KIND is one of:
      police-uk   police.uk street-level crime CSVs
      boundaries  ONS boundary GeoJSON / GeoPackage / shapefile (any CRS)
      schools     GIAS / DfE school lists (Easting/Northing, or postcodes: import postcodes first)
      postcodes   Code-Point Open folder
      streets     OpenStreetMap XML (.osm), Overpass JSON, or line GeoJSON / GeoPackage
      network     peer network folder: people.csv, groups.csv, links.csv, places.csv
      injuries    emergency-department assault records (Cardiff model), no patient identifiers

    Rows without coordinates, outside the area of interest, or duplicated are left out and
    counted; malformed input stops the import with a message naming the file, line and fix.
    An import in which rows were rejected and none accepted exits with status 2.
    Re-importing the same file adds nothing.
    """
    from geo_risk.ingest.load import load, normalise_kind

    k = normalise_kind(kind)
    engine = _context.migrated_engine()
    area = None if no_area else _context.area_of_interest()
    options: dict[str, object] = {}
    if k not in ("boundaries", "streets", "network"):
        options["errors"] = errors
    if max_bytes is not None:
        options["max_bytes"] = max_bytes
    bars: list = []

    def advance(n: int) -> None:
        if not bars:  # created on the first stored chunk, after reading and validation
            from tqdm import tqdm

            bars.append(tqdm(desc=f"storing {kind}", unit=" rows", unit_scale=True, leave=False))
        bars[0].update(n)

    try:
        result = load(k, list(paths), engine, area=area, progress=advance if progress else None, **options)
    finally:
        for bar in bars:
            bar.close()
    rep = result.report
    for fr, st in zip(rep.files, result.stored, strict=False):
        click.echo(
            f"{fr.file}: {fr.rows_read:,} read, {fr.accepted:,} accepted, {fr.rejected:,} rejected, "
            f"{fr.duplicates:,} duplicates, {fr.out_of_area:,} out of area; {st.inserted:,} stored, "
            f"{st.already_stored:,} already stored"
        )
    for status, label in (("rejected", "rejected"), ("out_of_area", "out of area")):
        reasons = rep.reason_counts(status)
        if reasons:
            click.echo(f"{label} rows by reason:")
            for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:15]:
                click.echo(f"  {n:>9,}  {reason}")
    if k == "police_uk":
        from geo_risk.ingest.police_uk import force_coverage

        for line in force_coverage(rep).lines():
            click.echo(line)
    click.echo(result.summary())
    if report_csv:
        out = rep.to_csv(report_csv)
        click.echo(f"report written to {out}")
    read = sum(fr.rows_read for fr in rep.files)
    accepted = sum(fr.accepted for fr in rep.files)
    rejected = sum(fr.rejected for fr in rep.files)
    if read and not accepted and rejected:
        from geo_risk.errors import ValidationError

        msg = (f"nothing was imported: {rejected:,} of {read:,} row(s) were rejected and none accepted; fix the "
               "file(s) for the reasons above and import again")
        raise ValidationError(msg)
