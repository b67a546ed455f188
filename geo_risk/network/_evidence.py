"""Evidence weight of links and places: grade weight x recency, zero when not live.

The weight of one piece of evidence at ``as_of`` is::

    grade_weight[grade] * 2 ** (-(as_of - last_seen) / half_life)

and zero when the evidence is not live at ``as_of``:

- ``status`` is ``expired``, or ``expires_at <= as_of``;
- it had not been seen yet (``first_seen > as_of``), or carries no date at all.

A missing ``first_seen`` falls back to ``last_seen`` and vice versa. Evidence last seen
after ``as_of`` (but first seen before it) counts as seen at ``as_of``. The weight depends on
the grade only, never on ``source`` or ``source_type``: information from a parent or carer
or the young person stands with agency intelligence of the same grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_risk.errors import ValidationError
from geo_risk.network._time import column_days

GRADES = ("A", "B", "C", "D", "E")
_MISSING_GRADE = len(GRADES) - 1  # a missing grade is treated as the lowest, E


@dataclass(frozen=True, eq=False)
class EvidenceArrays:
    """Dates and grades of a table of links or places, as arrays."""

    ids: np.ndarray
    grade: np.ndarray  # int index into GRADES
    first_seen: np.ndarray  # float days since 1970-01-01, NaN if unknown
    last_seen: np.ndarray
    expires_at: np.ndarray
    expired: np.ndarray  # bool: status == 'expired'

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, id_column: str, what: str) -> EvidenceArrays:
        ids = frame[id_column].astype(str).to_numpy(dtype=object)
        grade = _grade_codes(frame, ids, what)
        first = column_days(frame, "first_seen")
        last = column_days(frame, "last_seen")
        first, last = np.where(np.isnan(first), last, first), np.where(np.isnan(last), first, last)
        expires = column_days(frame, "expires_at")
        if "status" in frame.columns:
            expired = frame["status"].astype(str).str.strip().str.lower().eq("expired").to_numpy()
        else:
            expired = np.zeros(len(frame), dtype=bool)
        return cls(ids, grade, first, last, expires, expired)

    def live(self, t: float) -> np.ndarray:
        """Boolean mask of rows live at day ``t``."""
        with np.errstate(invalid="ignore"):
            not_expired = ~self.expired & ~(self.expires_at <= t)
            seen = self.first_seen <= t
        return not_expired & seen

    def weights(self, t: float, grade_weights: Mapping[str, float], half_life_days: float) -> np.ndarray:
        """Evidence weight of every row at day ``t`` (zero where not live)."""
        table = grade_weight_table(grade_weights)
        age = np.clip(t - self.last_seen, 0.0, None)
        with np.errstate(invalid="ignore"):
            recency = np.exp2(-age / float(half_life_days)) if half_life_days > 0 else np.ones_like(age)
        w = table[self.grade] * recency
        return np.where(self.live(t), w, 0.0)


def grade_weight_table(grade_weights: Mapping[str, float]) -> np.ndarray:
    """Grade weights as an array aligned with :data:`GRADES`."""
    missing = [g for g in GRADES if g not in grade_weights]
    if missing:
        msg = f"policy [network.grade_weights] lacks grade(s) {', '.join(missing)}; give a weight for A to E"
        raise ValidationError(msg)
    return np.array([float(grade_weights[g]) for g in GRADES])


def _grade_codes(frame: pd.DataFrame, ids: np.ndarray, what: str) -> np.ndarray:
    if "evidence_grade" not in frame.columns:
        return np.full(len(frame), _MISSING_GRADE, dtype=np.int64)
    grades = frame["evidence_grade"]
    text = grades.astype("string").str.strip().str.upper()
    codes = np.full(len(frame), -1, dtype=np.int64)
    for i, g in enumerate(GRADES):
        codes[(text == g).fillna(False).to_numpy(dtype=bool)] = i
    missing = grades.isna().to_numpy()
    codes[missing] = _MISSING_GRADE
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        shown = ", ".join(f"{ids[i]} ({grades.iloc[i]!r})" for i in bad[:5])
        msg = f"{what}: evidence_grade must be one of A, B, C, D, E; bad row(s): {shown}"
        raise ValidationError(msg)
    return codes
