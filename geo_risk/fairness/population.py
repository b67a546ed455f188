"""Population denominators for disproportionality monitoring: read, validate, store, load.

The file format is documented in ``POPULATION_FORMAT.md`` beside this module: a CSV with
the header ``area_code,dimension,group,count``, one row per area, dimension and group,
where ``dimension`` is ``ethnicity`` or ``sex``.

Reading collects every problem in the file and reports them at once, so a file is fixed
in one go.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select, tuple_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.store.models import PopulationCount

log = logging.getLogger(__name__)

POPULATION_COLUMNS = ("area_code", "dimension", "group", "count")
DIMENSIONS = ("ethnicity", "sex")
_MAX_SHOWN = 12


def read_population_csv(path: str | Path) -> pd.DataFrame:
    """Read and validate a population-denominator CSV.

    Parameters
    ----------
    path
        A CSV file in the format of ``POPULATION_FORMAT.md``.

    Returns
    -------
    pandas.DataFrame
        Columns ``area_code``, ``dimension``, ``group`` (str) and ``count`` (int64).

    Raises
    ------
    DataSourceError
        If the file cannot be read.
    ValidationError
        Listing every problem row (line numbers as an editor shows them).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read population file {path.name}: {exc}; save it as UTF-8 CSV"
        raise DataSourceError(msg) from exc
    return parse_population(text, name=path.name)


def parse_population(text: str, *, name: str = "population CSV") -> pd.DataFrame:
    """Parse and validate population CSV text (see :func:`read_population_csv`)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        msg = f"{name} is empty; the first line must be the header {','.join(POPULATION_COLUMNS)}"
        raise ValidationError(msg) from None
    columns = [h.strip().lower() for h in header]
    if columns != list(POPULATION_COLUMNS):
        msg = (
            f"{name}: the header must be exactly {','.join(POPULATION_COLUMNS)} "
            f"(found {','.join(header) or 'nothing'}); see POPULATION_FORMAT.md"
        )
        raise ValidationError(msg)
    problems: list[str] = []
    rows: list[tuple[str, str, str, int]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(POPULATION_COLUMNS):
            problems.append(f"line {line}: expected 4 fields, found {len(fields)}")
            continue
        area, dimension, group, count_text = (f.strip() for f in fields)
        bad = False
        if not area:
            problems.append(f"line {line}: area_code is empty")
            bad = True
        dimension = dimension.lower()
        if dimension not in DIMENSIONS:
            problems.append(f"line {line}: dimension {dimension!r} is not one of {', '.join(DIMENSIONS)}")
            bad = True
        if not group:
            problems.append(f"line {line}: group is empty")
            bad = True
        try:
            count = int(count_text)
            if count < 0:
                raise ValueError
        except ValueError:
            problems.append(f"line {line}: count {count_text!r} is not a whole number >= 0")
            bad = True
        if bad:
            continue
        key = (area, dimension, group.casefold())
        if key in seen:
            problems.append(f"line {line}: repeats area {area}, {dimension} {group!r} from line {seen[key]}")
            continue
        seen[key] = line
        rows.append((area, dimension, group, count))
    if problems:
        shown = "\n  - ".join(problems[:_MAX_SHOWN])
        more = f"\n  ... and {len(problems) - _MAX_SHOWN} more" if len(problems) > _MAX_SHOWN else ""
        msg = f"{name}: {len(problems)} problem(s), nothing was read:\n  - {shown}{more}"
        raise ValidationError(msg)
    if not rows:
        msg = f"{name} has a header but no rows; add one row per area, dimension and group"
        raise ValidationError(msg)
    frame = pd.DataFrame(rows, columns=list(POPULATION_COLUMNS))
    frame["count"] = frame["count"].astype("int64")
    log.info("population: %d rows, %d areas", len(frame), frame["area_code"].nunique())
    return frame


# --------------------------------------------------------------------------- repository


def save_population(session: Session, frame: pd.DataFrame) -> int:
    """Store denominators, replacing any earlier counts for the same area and dimension.

    Returns
    -------
    int
        Number of rows written.
    """
    missing = [c for c in POPULATION_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"population frame lacks column(s) {', '.join(missing)}; read it with read_population_csv"
        raise ValidationError(msg)
    pairs = sorted({(str(a), str(d)) for a, d in zip(frame["area_code"], frame["dimension"], strict=True)})
    for start in range(0, len(pairs), 400):
        chunk = pairs[start : start + 400]
        session.execute(
            delete(PopulationCount).where(
                tuple_(PopulationCount.area_code, PopulationCount.dimension).in_(chunk)
            )
        )
    session.add_all(
        PopulationCount(area_code=str(a), dimension=str(d), group_value=str(g), count=int(n))
        for a, d, g, n in frame[list(POPULATION_COLUMNS)].itertuples(index=False, name=None)
    )
    session.flush()
    return len(frame)


def load_population(bind: Engine | Connection | Session, *, dimension: str | None = None) -> pd.DataFrame:
    """Stored denominators as a frame with the columns of :data:`POPULATION_COLUMNS`."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_population(conn, dimension=dimension)
    stmt = select(
        PopulationCount.area_code, PopulationCount.dimension, PopulationCount.group_value, PopulationCount.count
    ).order_by(PopulationCount.dimension, PopulationCount.area_code, PopulationCount.group_value)
    if dimension is not None:
        stmt = stmt.where(PopulationCount.dimension == dimension)
    rows = bind.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(POPULATION_COLUMNS))
    frame["count"] = frame["count"].astype("int64")
    return frame
