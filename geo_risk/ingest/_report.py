"""Import results and row-level reports shared by every importer.

Every row an importer reads ends in exactly one of four states:

``accepted``
    valid, inside the area, first of its kind: it is in ``ImportResult.gdf``;
``rejected``
    it cannot be used (e.g. a police.uk row without coordinates); the reason says why;
``duplicate``
    the same record was already read (e.g. a repeated police.uk Crime ID);
``out_of_area``
    it lies outside Great Britain or outside the area of interest.

So ``rows_read == accepted + rejected + duplicates + out_of_area`` for every file
and for the whole import. Row numbers are line numbers in the file as an editor
shows them: the header is line 1 and the first data row line 2 (for formats
without a header, the first row is line 1; for GeoJSON and OSM, the feature's
position counted from 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo_risk.exports import SafeWriter

if TYPE_CHECKING:
    import geopandas as gpd

STATUSES = ("rejected", "duplicate", "out_of_area")


def empty_rejections() -> pd.DataFrame:
    """An empty rejection table with the standard columns and dtypes."""
    return pd.DataFrame(
        {
            "file": pd.Series([], dtype=object),
            "row": pd.Series([], dtype="int64"),
            "status": pd.Series([], dtype=object),
            "reason": pd.Series([], dtype=object),
        }
    )


def make_rejections(
    file: str, rows: Iterable[int] | np.ndarray, status: str, reasons: str | Iterable[str] | np.ndarray
) -> pd.DataFrame:
    """Build a rejection table for rows of one file.

    Parameters
    ----------
    file
        File name as reported.
    rows
        Line numbers of the rows.
    status
        One of ``rejected``, ``duplicate``, ``out_of_area``.
    reasons
        One reason for all rows, or one per row.
    """
    if status not in STATUSES:
        msg = f"unknown rejection status {status!r}; use one of {', '.join(STATUSES)}"
        raise ValueError(msg)
    rows = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype="int64")
    if isinstance(reasons, str):
        reason_values: object = np.full(len(rows), reasons, dtype=object)
    else:
        reason_values = np.asarray(list(reasons) if not isinstance(reasons, np.ndarray) else reasons, dtype=object)
    return pd.DataFrame(
        {
            "file": np.full(len(rows), file, dtype=object),
            "row": rows,
            "status": np.full(len(rows), status, dtype=object),
            "reason": reason_values,
        }
    )


@dataclass(frozen=True)
class FileReport:
    """Counts for one input file.

    Attributes
    ----------
    file
        The file as named in the report (``archive.zip/member.csv`` for zip members).
    rows_read, accepted, rejected, duplicates, out_of_area
        Row counts; ``rows_read`` is the sum of the four others.
    notes
        Facts about the file worth keeping (e.g. ``{"lsoa_version": "2021"}``).
    """

    file: str
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    out_of_area: int
    notes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The counts as a plain dict (stable key order)."""
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "out_of_area": self.out_of_area,
            **{f"note_{k}": v for k, v in sorted(self.notes.items())},
        }


@dataclass(frozen=True)
class ImportReport:
    """What an import read, kept and left out, row by row.

    Attributes
    ----------
    kind
        Importer name (``police_uk``, ``boundaries``...).
    files
        One :class:`FileReport` per input file, in reading order.
    rejections
        Every row not accepted: columns ``file``, ``row``, ``status``
        (``rejected`` | ``duplicate`` | ``out_of_area``) and ``reason``.
    """

    kind: str
    files: tuple[FileReport, ...]
    rejections: pd.DataFrame = field(default_factory=empty_rejections, repr=False)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def out_of_area(self) -> int:
        return sum(f.out_of_area for f in self.files)

    @property
    def n_rejected(self) -> int:
        """Rows rejected as unusable (duplicates and out-of-area rows not included)."""
        return sum(f.rejected for f in self.files)

    @property
    def rejected(self) -> list[tuple[str, int, str]]:
        """``(file, row, reason)`` for every row rejected as unusable."""
        sel = self.rejections[self.rejections["status"] == "rejected"]
        return list(zip(sel["file"].tolist(), sel["row"].astype(int).tolist(), sel["reason"].tolist(), strict=True))

    def reason_counts(self, status: str | None = None) -> dict[str, int]:
        """Number of rows per reason (optionally for one status)."""
        sel = self.rejections if status is None else self.rejections[self.rejections["status"] == status]
        return {str(k): int(v) for k, v in sel["reason"].value_counts().sort_index().items()}

    def file_report(self, name: str) -> FileReport:
        """The report of the file whose name ends with ``name``."""
        for f in self.files:
            if f.file == name or f.file.endswith(name):
                return f
        msg = f"no file named {name!r} in this report; files: {', '.join(f.file for f in self.files)}"
        raise KeyError(msg)

    def summary(self) -> str:
        """One line: rows read, accepted, rejected, duplicates, out of area."""
        return (
            f"{self.kind}: {len(self.files)} file(s), {self.rows_read} rows read, {self.accepted} accepted, "
            f"{self.n_rejected} rejected, {self.duplicates} duplicates, {self.out_of_area} out of area"
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write the report as CSV: one line per file (``status=file``) then one per left-out row.

        Columns: ``file, row, status, reason, rows_read, accepted, rejected, duplicates, out_of_area``.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = SafeWriter(fh)  # a rejected cell's text cannot run as a spreadsheet formula
            writer.writerow(
                ["file", "row", "status", "reason", "rows_read", "accepted", "rejected", "duplicates", "out_of_area"]
            )
            for f in self.files:
                notes = "; ".join(f"{k}={v}" for k, v in sorted(f.notes.items()))
                writer.writerow(
                    [f.file, "", "file", notes, f.rows_read, f.accepted, f.rejected, f.duplicates, f.out_of_area]
                )
            rej = self.rejections.sort_values(["file", "row"], kind="stable")
            for file, row, status, reason in zip(
                rej["file"].tolist(), rej["row"].tolist(), rej["status"].tolist(), rej["reason"].tolist(), strict=True
            ):
                writer.writerow([file, int(row), status, reason, "", "", "", "", ""])
        return path


@dataclass(frozen=True)
class ImportResult:
    """A validated table in EPSG:27700 and the report of how it was read.

    Attributes
    ----------
    kind
        Importer name.
    gdf
        The accepted rows with the data-contract columns of the entity, plus
        format-specific extras and ``source_file`` / ``source_row``.
        A plain DataFrame for tables without geometry (people, groups, links).
    report
        The :class:`ImportReport`.
    tables
        Further tables for multi-table formats (the peer network: ``people``,
        ``groups``, ``links``, ``places``); empty otherwise.
    """

    kind: str
    gdf: gpd.GeoDataFrame | pd.DataFrame
    report: ImportReport
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.gdf)


def build_report(
    kind: str,
    files: list[str],
    rows_read: dict[str, int],
    accepted: dict[str, int],
    rejections: pd.DataFrame,
    notes: dict[str, dict[str, str]] | None = None,
) -> ImportReport:
    """Assemble an :class:`ImportReport` from per-file counts and the rejection table."""
    notes = notes or {}
    if len(rejections):
        counts = rejections.groupby(["file", "status"]).size()
    else:
        counts = pd.Series(dtype="int64")
    reports = []
    for f in files:
        def n(status: str, f: str = f) -> int:
            return int(counts.get((f, status), 0))

        reports.append(
            FileReport(
                file=f,
                rows_read=int(rows_read.get(f, 0)),
                accepted=int(accepted.get(f, 0)),
                rejected=n("rejected"),
                duplicates=n("duplicate"),
                out_of_area=n("out_of_area"),
                notes=dict(notes.get(f, {})),
            )
        )
    if len(rejections):
        rejections = rejections.reset_index(drop=True)
    else:
        rejections = empty_rejections()
    return ImportReport(kind=kind, files=tuple(reports), rejections=rejections)


#: Row status codes used while reading: the lower, the better a candidate to keep among duplicates.
OK, OUT_OF_AREA, REJECTED = 0, 1, 2


def settle(frame: pd.DataFrame, *, key: str | None = "key", what: str = "record") -> tuple[np.ndarray, pd.DataFrame]:
    """Decide the final state of every row read.

    Parameters
    ----------
    frame
        One row per input row with ``source_file``, ``file_index``, ``source_row``,
        ``status`` (:data:`OK` | :data:`OUT_OF_AREA` | :data:`REJECTED`), ``reason`` and,
        unless ``key`` is None, the identity column ``key`` (None/NaN = never a duplicate).
    key
        Identity column: among rows with the same key, the best-status, earliest row is
        kept and the others are duplicates.
    what
        Name of the identity in duplicate reasons (``"URN"``, ``"postcode"``...).

    Returns
    -------
    (accepted mask, rejections table)
    """
    n = len(frame)
    dup = np.zeros(n, dtype=bool)
    parts: list[pd.DataFrame] = []
    if key is not None and n:
        keyed = frame[frame[key].notna()]
        order = keyed.sort_values([key, "status", "file_index", "source_row"], kind="stable")
        dsorted = order.duplicated(key, keep="first")
        if dsorted.any():
            first_row = order.groupby(key, sort=False)["source_row"].transform("first")
            first_file = order.groupby(key, sort=False)["source_file"].transform("first")
            d_idx = order.index[dsorted.to_numpy()]
            dup[frame.index.get_indexer(d_idx)] = True
            d = frame.loc[d_idx]
            reasons = (
                f"duplicate {what} " + d[key].astype(str) + "; kept line " + first_row.loc[d_idx].astype(str)
                + " of " + first_file.loc[d_idx].astype(str)
            )
            for f, part in d.assign(_r=reasons).groupby("source_file", sort=False):
                parts.append(make_rejections(str(f), part["source_row"].to_numpy(), "duplicate", part["_r"].to_numpy()))
    status = frame["status"].to_numpy()
    for code, label in ((REJECTED, "rejected"), (OUT_OF_AREA, "out_of_area")):
        m = ~dup & (status == code)
        if m.any():
            sel = frame.loc[m]
            for f, part in sel.groupby("source_file", sort=False):
                parts.append(make_rejections(str(f), part["source_row"].to_numpy(), label, part["reason"].to_numpy()))
    rejections = pd.concat(parts, ignore_index=True) if parts else empty_rejections()
    if len(rejections):
        rejections = rejections.sort_values(["file", "row"], kind="stable").reset_index(drop=True)
    accepted = ~dup & (status == OK)
    return accepted, rejections
