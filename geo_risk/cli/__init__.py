"""The ``geo-risk`` command line.

One module per command group; each registers itself on :data:`main` when it is
imported below. Commands parse arguments, call the library and print; they
hold no analysis of their own.
"""

from __future__ import annotations

import logging
import sys

import click

from geo_risk.errors import GeoRiskError

log = logging.getLogger(__name__)


class _Group(click.Group):
    """Turns library errors into a clear message and exit code 2, not a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except GeoRiskError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", count=True, help="Log progress (-v) or debug messages (-vv).")
@click.version_option(package_name="geo-risk")
def main(verbose: int) -> None:
    """geo-risk: how risky a place is for a particular young person (advisory)."""
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    from geo_risk import audit

    audit.use_via("cli")  # audit events written by this run say it came through the command line


# --- command modules: one import line each (keep this list sorted) ---
from geo_risk.cli import assess as _assess  # noqa: F401
from geo_risk.cli import audit as _audit  # noqa: F401
from geo_risk.cli import brief as _brief  # noqa: F401
from geo_risk.cli import db as _db  # noqa: F401
from geo_risk.cli import demo as _demo  # noqa: F401
from geo_risk.cli import evaluate as _evaluate  # noqa: F401
from geo_risk.cli import imports as _imports  # noqa: F401
from geo_risk.cli import national as _national  # noqa: F401
from geo_risk.cli import oversight as _oversight  # noqa: F401
from geo_risk.cli import route as _route  # noqa: F401
from geo_risk.cli import serve as _serve  # noqa: F401
from geo_risk.cli import synth as _synth  # noqa: F401
from geo_risk.cli import users as _users  # noqa: F401
