"""Evidence weight of links and places: grade weight x recency, zero when not live.

The weight of one piece of evidence at ``as_of`` is::

    grade_weight[grade] * 2 ** (-(as_of - last_seen) / half_life)

and zero when the evidence is not live at ``as_of``:

- ``status`` is ``expired``, or ``expires_at <= as_of``;
- it had not been seen yet (``first_seen > as_of``), or carries no date at all;
- **links only** (``require_grade_and_expiry``): it has no evidence grade, or no
  ``expires_at``. A link says that one person threatens, exploits or belongs with another;
  the data contract requires every link to carry its grade and an expiry date, and a link
  without them is not evidence the service may act on. It is treated as not live (weight 0)
  rather than guessed at: not as grade E, and not as "never expires". The data-quality
  report lists such links so that they are graded and given an expiry, or removed.

Places keep the gentler rule: a place without ``expires_at`` stays live until its status is
``expired`` (its weight still fades with ``place_half_life_days``), and a place without a
grade weighs as grade E. A place only ever counts through a live link to its owner, so an
ungraded or open-ended place cannot by itself make anyone an adversary.

A missing ``first_seen`` falls back to ``last_seen`` and vice versa. Evidence last seen
after ``as_of`` (but first seen before it) counts as seen at ``as_of``. The weight depends on
the grade only, never on ``source`` or ``source_type``: information from a parent or carer
or the young person stands with agency intelligence of the same grade.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_risk.errors import ValidationError
from geo_risk.network._time import column_days

log = logging.getLogger(__name__)

GRADES = ("A", "B", "C", "D", "E")
_MISSING_GRADE = len(GRADES) - 1  # index kept for an ungraded row; see ``ungraded`` for what it means


@dataclass(frozen=True, eq=False)
class EvidenceArrays:
    """Dates and grades of a table of links or places, as arrays."""

    ids: np.ndarray
    grade: np.ndarray  # int index into GRADES
    first_seen: np.ndarray  # float days since 1970-01-01, NaN if unknown
    last_seen: np.ndarray
    expires_at: np.ndarray
    expired: np.ndarray  # bool: status == 'expired'
    ungraded: np.ndarray  # bool: no evidence grade given (grade holds E's index there)
    unusable: np.ndarray  # bool: never live, whatever the date (a link without grade or expiry)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, id_column: str, what: str, *, require_grade_and_expiry: bool = False
    ) -> EvidenceArrays:
        """Read a links or places frame.

        With ``require_grade_and_expiry`` (links), a row without an evidence grade or without
        ``expires_at`` is never live (see the module docstring).
        """
        ids = frame[id_column].astype(str).to_numpy(dtype=object)
        grade, ungraded = _grade_codes(frame, ids, what)
        first = column_days(frame, "first_seen")
        last = column_days(frame, "last_seen")
        first, last = np.where(np.isnan(first), last, first), np.where(np.isnan(last), first, last)
        expires = column_days(frame, "expires_at")
        if "status" in frame.columns:
            expired = frame["status"].astype(str).str.strip().str.lower().eq("expired").to_numpy()
        else:
            expired = np.zeros(len(frame), dtype=bool)
        if require_grade_and_expiry:
            unusable = ungraded | np.isnan(expires)
            if unusable.any():
                log.warning(
                    "%s: %d row(s) without an evidence grade or expires_at never score; grade them and give an"
                    " expiry date", what, int(unusable.sum()),
                )
        else:
            unusable = np.zeros(len(frame), dtype=bool)
        return cls(ids, grade, first, last, expires, expired, ungraded, unusable)

    def live(self, t: float) -> np.ndarray:
        """Boolean mask of rows live at day ``t``."""
        with np.errstate(invalid="ignore"):
            not_expired = ~self.expired & ~(self.expires_at <= t)
            seen = self.first_seen <= t
        return not_expired & seen & ~self.unusable

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


def _grade_codes(frame: pd.DataFrame, ids: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Grade index per row (E's index where none is given) and the mask of ungraded rows."""
    if "evidence_grade" not in frame.columns:
        return np.full(len(frame), _MISSING_GRADE, dtype=np.int64), np.ones(len(frame), dtype=bool)
    grades = frame["evidence_grade"]
    text = grades.astype("string").str.strip().str.upper()
    codes = np.full(len(frame), -1, dtype=np.int64)
    for i, g in enumerate(GRADES):
        codes[(text == g).fillna(False).to_numpy(dtype=bool)] = i
    missing = (grades.isna() | text.eq("").fillna(False)).to_numpy(dtype=bool)
    codes[missing] = _MISSING_GRADE
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        shown = ", ".join(f"{ids[i]} ({grades.iloc[i]!r})" for i in bad[:5])
        msg = f"{what}: evidence_grade must be one of A, B, C, D, E; bad row(s): {shown}"
        raise ValidationError(msg)
    return codes, missing
