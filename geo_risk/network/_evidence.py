"""Evidence weight of links and places: grade weight x recency, zero when not live.

The weight of one piece of evidence at ``as_of`` is::

    grade_weight[grade] * 2 ** (-(as_of - last_seen) / half_life)

and zero when the evidence is not live at ``as_of`` by the data contract's one rule for
links and places (:mod:`geo_risk.contract`): it must carry a grade, a source and an expiry,
must not have expired, and must have been first seen by ``as_of``. Evidence last seen after
``as_of`` (but first seen before it) counts as seen at ``as_of``. The weight depends on the
grade only, never on ``source`` or ``source_type``: information from a parent or carer or
the young person stands with agency intelligence of the same grade.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_risk.contract import GRADES, EvidenceDates, unknown_grades
from geo_risk.errors import ConfigError, ValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class EvidenceArrays:
    """Ids, grades and dates of a table of links or places, as arrays."""

    ids: np.ndarray
    dates: EvidenceDates

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, id_column: str, what: str) -> EvidenceArrays:
        """Read a links or places frame.

        Raises
        ------
        ValidationError
            If an evidence grade is given that is not one of A to E.
        """
        ids = frame[id_column].astype(str).to_numpy(dtype=object)
        if "evidence_grade" in frame.columns:
            bad = np.flatnonzero(unknown_grades(frame["evidence_grade"].to_numpy()))
            if bad.size:
                shown = ", ".join(f"{ids[i]} ({frame['evidence_grade'].iloc[i]!r})" for i in bad[:5])
                msg = f"{what}: evidence_grade must be one of {', '.join(GRADES)}; bad row(s): {shown}"
                raise ValidationError(msg)
        dates = EvidenceDates.from_frame(frame)
        incomplete = int((~dates.complete).sum())
        if incomplete:
            log.warning("%s: %d row(s) without an evidence grade, source or expires_at never score; complete them",
                        what, incomplete)
        return cls(ids, dates)

    @property
    def grade(self) -> np.ndarray:
        """Index into :data:`~geo_risk.contract.GRADES` (-1 where no grade is given)."""
        return self.dates.grade

    @property
    def first_seen(self) -> np.ndarray:
        return self.dates.first_seen

    @property
    def last_seen(self) -> np.ndarray:
        return self.dates.last_seen

    @property
    def expires_at(self) -> np.ndarray:
        return self.dates.expires_at

    @property
    def expired(self) -> np.ndarray:
        """Rows whose status is not ``live``."""
        return self.dates.withdrawn

    def live(self, t: float) -> np.ndarray:
        """Boolean mask of rows live at day ``t`` (:meth:`geo_risk.contract.EvidenceDates.live`)."""
        return self.dates.live(t)

    def weights(self, t: float, grade_weights: Mapping[str, float], half_life_days: float) -> np.ndarray:
        """Evidence weight of every row at day ``t`` (zero where not live)."""
        table = grade_weight_table(grade_weights)
        age = np.clip(t - self.last_seen, 0.0, None)
        with np.errstate(invalid="ignore"):
            recency = np.exp2(-age / float(half_life_days)) if half_life_days > 0 else np.ones_like(age)
        w = table[np.clip(self.grade, 0, None)] * recency
        return np.where(self.live(t), w, 0.0)


def grade_weight_table(grade_weights: Mapping[str, float]) -> np.ndarray:
    """Grade weights as an array aligned with :data:`GRADES`."""
    missing = [g for g in GRADES if g not in grade_weights]
    if missing:
        msg = f"policy [network.grade_weights] lacks grade(s) {', '.join(missing)}; give a weight for A to E"
        raise ConfigError(msg)
    return np.array([float(grade_weights[g]) for g in GRADES])
