"""Helpers for the partner CSV formats (peer network, ED injuries): identifier refusal,
booleans, dates and enumerations, all collected into :class:`Problems`."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo_risk.errors import ValidationError
from geo_risk.ingest._files import Problems, Source

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}
PSEUDONYM_RE = re.compile(r"^(?=.*\d)[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$")


def norm_col(c: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(c).strip().lower()).strip("_")


def refuse_identifier_columns(
    src: Source, columns: list[str], banned: dict[str, str], *, what: str, fix: str = "keep pseudonyms only"
) -> None:
    """Refuse a file that has any identifying column, before reading its values further."""
    hits = [(c, banned[norm_col(c)]) for c in columns if norm_col(c) in banned]
    if hits:
        listed = ", ".join(f"'{c}' ({why})" for c, why in hits)
        msg = (
            f"{src.name} has identifying column(s) {listed}; {what} must not identify anyone. "
            f"Delete these columns from the file ({fix}) and import it again; nothing was imported"
        )
        raise ValidationError(msg)


def canon_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Lower-case, underscore column names (``Evidence Grade`` -> ``evidence_grade``)."""
    df = df.copy()
    df.columns = [norm_col(c) for c in df.columns]
    return df


def require(src: Source, df: pd.DataFrame, required: list[str], *, doc: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        msg = (
            f"{src.name} lacks column(s) {', '.join(missing)} (it has: {', '.join(df.columns)}); "
            f"the expected columns are described in {doc}"
        )
        raise ValidationError(msg)


def parse_bool(
    df: pd.DataFrame, col: str, rows: np.ndarray, problems: Problems, *, default: bool = False
) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default, dtype=bool)
    v = df[col].str.strip().str.lower()
    bad = ~v.isin(_TRUE | _FALSE)
    problems.add(rows[bad.to_numpy()], f"{col} must be true or false (or yes/no, 1/0)")
    out = v.isin(_TRUE).to_numpy()
    if default:
        out = out | (v == "").to_numpy()
    return out


def parse_dates(
    df: pd.DataFrame, col: str, rows: np.ndarray, problems: Problems, *, required: bool = False
) -> pd.Series:
    """ISO dates (``2025-03-01`` or ``2025-03-01T14:00``) or UK ``01/03/2025``; empty -> NaT."""
    if col not in df.columns:
        if required:
            problems.add_file(f"column {col} is required")
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    text = df[col].str.strip()
    empty = text == ""
    iso = pd.to_datetime(text.where(~empty, None), format="ISO8601", errors="coerce")
    uk = pd.to_datetime(text.where(~empty & iso.isna(), None), format="%d/%m/%Y", errors="coerce")
    out = iso.fillna(uk)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    out = out.astype("datetime64[ns]")
    bad = (~empty & out.isna()).to_numpy()
    problems.add(rows[bad], f"{col} is not a date; write dates as YYYY-MM-DD (e.g. 2025-03-01)")
    if required:
        problems.add(rows[empty.to_numpy()], f"{col} is empty; it is required")
    return out


def check_enum(
    df: pd.DataFrame, col: str, allowed: tuple[str, ...], rows: np.ndarray, problems: Problems, *,
    required: bool = True, upper: bool = False,
) -> np.ndarray:
    v = df[col].str.strip() if col in df.columns else pd.Series([""] * len(df), index=df.index)
    v = v.str.upper() if upper else v.str.lower()
    empty = (v == "").to_numpy()
    bad = ~empty & ~v.isin(allowed).to_numpy()
    if bad.any():
        examples = ", ".join(repr(e) for e in v[bad].unique()[:3])
        problems.add(rows[bad], f"{col} must be one of {', '.join(allowed)} (got {examples})")
    if required:
        problems.add(rows[empty], f"{col} is empty; it must be one of {', '.join(allowed)}")
    return v.to_numpy(dtype=object)
