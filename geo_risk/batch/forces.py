"""Which archive files belong to which force, and reading each force's files once into GeoParquet."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geo_risk.errors import GeoRiskError, ValidationError
from geo_risk.ingest._files import DEFAULT_MAX_BYTES, PathsLike, Source, expand_sources
from geo_risk.ingest.police_uk import force_of, read_police_uk

log = logging.getLogger(__name__)

#: Columns a force's GeoParquet file keeps (what the back-test and the surface read).
PARQUET_COLUMNS = ["external_id", "category", "occurred_at", "month", "force", "geometry"]


@dataclass(frozen=True)
class ForceFiles:
    """One force's street-level files, in every archive given (one per month)."""

    force: str
    sources: tuple[Source, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(sorted({s.basename[:7] for s in self.sources}))


@dataclass(frozen=True)
class ForceRead:
    """What reading one force's files gave: counts, the GeoParquet written, or why it failed."""

    force: str
    files: int
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    out_of_area: int = 0
    duplicates: int = 0
    months: tuple[str, ...] = ()
    reasons: dict[str, int] = field(default_factory=dict)
    parquet: str | None = None
    error: str | None = None
    seconds: float = 0.0


def plan_forces(
    paths: PathsLike, *, forces: Sequence[str] | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> tuple[ForceFiles, ...]:
    """Group police.uk files (files, folders, archive zips) by force, from police.uk's file names.

    ``forces`` keeps only those forces (slugs such as ``avon-and-somerset``).

    Raises
    ------
    ValidationError
        A file whose name does not say its force (``YYYY-MM-<force>-street.csv``): the batch
        path partitions by force and does not guess.
    """
    sources = expand_sources(paths, suffixes=[".csv"], prefer_suffix="-street.csv", max_bytes=max_bytes,
                             what="police.uk CSV")
    by_force: dict[str, list[Source]] = {}
    unnamed = []
    for src in sources:
        force = force_of(src.basename)
        if force is None:
            unnamed.append(src.name)
        else:
            by_force.setdefault(force, []).append(src)
    if unnamed:
        shown = ", ".join(unnamed[:5]) + (f" and {len(unnamed) - 5} more" if len(unnamed) > 5 else "")
        msg = (
            f"cannot tell the force of {shown}: name each file as police.uk does "
            "(YYYY-MM-<force>-street.csv, e.g. 2025-01-avon-and-somerset-street.csv) or use `geo-risk evaluate` "
            "for one area"
        )
        raise ValidationError(msg)
    if forces:
        unknown = sorted(set(forces) - set(by_force))
        if unknown:
            msg = (f"no file of force(s) {', '.join(unknown)} in the archives given; "
                   f"forces present: {', '.join(sorted(by_force))}")
            raise ValidationError(msg)
        by_force = {f: by_force[f] for f in forces}
    return tuple(ForceFiles(force, tuple(srcs)) for force, srcs in sorted(by_force.items()))


def read_force(files: ForceFiles, out_dir: str | Path) -> ForceRead:
    """Read one force's files (once, every month together) and write ``OUT_DIR/<force>.parquet``.

    Malformed rows are rejected with their reason; a force whose files cannot be read at all, or
    that keeps no row in Great Britain, comes back with ``error`` set instead of raising, so the
    other forces go on.
    """
    import time

    t0 = time.perf_counter()
    base = {"force": files.force, "files": len(files.sources)}
    try:
        result = read_police_uk(list(files.sources), errors="reject")
    except GeoRiskError as exc:
        return ForceRead(**base, error=str(exc), seconds=time.perf_counter() - t0)
    rep = result.report
    reasons = {**rep.reason_counts("rejected"), **rep.reason_counts("out_of_area")}
    counts = {
        "rows_read": rep.rows_read, "accepted": rep.accepted, "rejected": rep.n_rejected,
        "out_of_area": rep.out_of_area, "duplicates": rep.duplicates, "months": files.months, "reasons": reasons,
    }
    gdf = result.gdf
    if len(gdf) == 0:
        top = max(reasons.items(), key=lambda kv: kv[1])[0] if reasons else "no rows"
        error = f"no row kept of {rep.rows_read:,} read (mostly: {top})"
        return ForceRead(**base, **counts, error=error, seconds=time.perf_counter() - t0)
    out = Path(out_dir) / f"{files.force}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    gdf[PARQUET_COLUMNS].to_parquet(out, index=False)
    log.info("%s: %d rows kept of %d read -> %s", files.force, rep.accepted, rep.rows_read, out)
    return ForceRead(**base, **counts, parquet=str(out), seconds=time.perf_counter() - t0)
