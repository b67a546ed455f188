"""``geo-risk synth generate``: write the synthetic city in the real input formats."""

from __future__ import annotations

from pathlib import Path

import click

from geo_risk.cli import main


@main.group()
def synth() -> None:
    """Make the synthetic demo city (no real people or places)."""


@synth.command("generate")
@click.option(
    "--size",
    type=click.Choice(["small", "city"]),
    default="small",
    show_default=True,
    help="small: a few km2 for tests; city: about 100,000 street segments and incidents.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Random seed: the same seed and size give the same files, byte for byte.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write into (created if missing).",
)
def generate(size: str, seed: int, out_dir: Path) -> None:
    """Generate the city "Synthetown (synthetic)" as police.uk, ONS, GIAS, Code-Point, OSM and network files."""
    from geo_risk.synth import generate_city

    manifest = generate_city(out_dir, seed=seed, size=size)
    counts = dict(manifest.counts)
    click.echo(f"wrote {len(manifest.files)} files of the {size} synthetic city (seed {seed}) to {out_dir}")
    click.echo(
        f"  {counts['incidents']:,} incidents over {manifest.months[0]}..{manifest.months[1]}, "
        f"{counts['street_segments']:,} street segments, {counts['lsoas']:,} LSOAs, {counts['schools']:,} schools, "
        f"{counts['people']:,} people, {counts['links']:,} links"
    )
    click.echo(f"  as of {manifest.as_of}; {len(manifest.demo_cases)} demo cases in demo_cases.csv")
    click.echo("  import order: " + ", ".join(f"{k} {p}" for k, p in manifest.import_paths))


@synth.command("boundaries")
@click.option("--size", type=click.Choice(["small", "city"]), default="small", show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the boundary GeoJSON files into.",
)
def boundaries(size: str, seed: int, out_dir: Path) -> None:
    """Write only the city's ONS-style boundary files (LSOA, MSOA, ward, LAD)."""
    from geo_risk.synth.city import write_boundaries

    for path in write_boundaries(out_dir, seed=seed, size=size):
        click.echo(f"wrote {path}")
