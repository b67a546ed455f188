"""The data contract: the values and rules every part of geo-risk shares.

Core (``network``, ``scoring``, ``routing``, ``briefing``), store, ingest, synth, fairness
and web import these names; none of them keeps its own copy. A test
(``tests/test_contract.py``) fails when a grade, link-type, place-kind or source-type list,
or a liveness rule, is written anywhere else.

Values
------
- :data:`LINK_TYPES`, :data:`ENTITY_KINDS`: the peer network (``exploits``, exploiter ->
  victim, and ``member_of``, person -> group, are directed; the others are symmetric).
- :data:`PLACE_KINDS` (a ``home`` is stored, never displayed, never scored).
- :data:`SOURCE_TYPES`: who told us. Parent/carer and young-person information has the same
  standing as agency intelligence: no rule here or elsewhere reads ``source_type`` to weigh
  or to decide liveness.
- :data:`GRADES`: evidence grades, best first (A: confirmed; E: unverified). The weight of
  each grade is a policy value (``[network.grade_weights]``), not a contract fact.
- :data:`STATUSES` of links and places.
- :data:`PERSON_FLAGS` and :data:`PROTECTED_CHARACTERISTICS` (stored for fairness
  monitoring only, never an input to any score).
- :data:`AGE_BANDS`: the age band a route referral records (it sets the statutory walking distance).
- :data:`POLICE_UK_CATEGORIES` (police.uk "Crime type") and the project's own categories
  :data:`INJURY_CATEGORY` and :data:`PARTNER_INCIDENT_CATEGORY`.

Evidence liveness: one rule for links and places
------------------------------------------------
A link or place is **live at** ``as_of`` when all of these hold:

1. it is **complete**: it carries an evidence grade (A-E), a source and an ``expires_at``
   date. A link or place says that one person threatens, exploits or belongs with another,
   or spends time somewhere; without its grade, its source or its expiry it is not evidence
   the service may act on, so it is treated as not live rather than guessed at (not as
   grade E, not as "never expires"). It stays in the store and in the review and
   data-quality tools, so that it is completed or removed;
2. it has **not expired**: its ``status`` is ``live`` (a missing status means live, the
   store's default) and ``expires_at`` is after ``as_of``;
3. it has **started**: it was first seen on or before ``as_of`` (``last_seen`` stands in for
   a missing ``first_seen``). A record with neither date has not started.

:func:`evidence_state` names which of these fails (``incomplete``, ``expired``,
``not_started``) or says ``live``; :func:`live_mask` is the same rule as a boolean mask over
a links or places frame; :class:`EvidenceDates` holds one frame's dates as arrays so that
the core asks the rule at many dates without re-reading the frame; :func:`is_live` is the
rule for one record (a mapping or a row object).

Notice reach
------------
A notice reaches exactly the schools it names (``school_urns``). A notice that names no
school is an area notice: it reaches the schools whose briefing area (a buffer of
``[briefing] buffer_m`` around the school, :func:`briefing_areas`) its ``area`` touches, or
touches one of its ``area_codes``. A school inside the buffers of two named schools is not
reached unless it is named itself. :func:`notice_reach` is that rule; :func:`notice_live`
is a notice's valid window (``valid_from <= as_of < valid_to``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import shapely

# --------------------------------------------------------------------------- values

LINK_TYPES = ("associates_with", "in_conflict_with", "exploits", "member_of", "family")
ENTITY_KINDS = ("person", "group")
PLACE_KINDS = ("hangout", "exploitation_site", "incident_location", "home")
SOURCE_TYPES = (
    "police",
    "social_care",
    "education",
    "health",
    "youth_justice",
    "housing",
    "voluntary_sector",
    "parent_carer",
    "young_person",
    "community",
)
GRADES = ("A", "B", "C", "D", "E")
STATUSES = ("live", "expired")
PERSON_FLAGS = ("cce_concern", "cse_concern", "looked_after")
PROTECTED_CHARACTERISTICS = ("sex", "ethnicity", "religion")

POLICE_UK_CATEGORIES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
#: Emergency-department assault injuries (Cardiff model), from ``geo-risk import injuries``.
INJURY_CATEGORY = "ED assault injury"
#: A partner agency's own incident record.
PARTNER_INCIDENT_CATEGORY = "Partner incident"
CATEGORIES = (*POLICE_UK_CATEGORIES, INJURY_CATEGORY, PARTNER_INCIDENT_CATEGORY)

#: A young person's age band on a route referral: it sets the statutory walking distance
#: (Education Act 1996 s.444(5): 2 miles under 8, 3 miles from 8; the distances are policy values).
AGE_BANDS = ("under_8", "8_and_over")
AGE_BAND_WORDS = MappingProxyType({"under_8": "under 8", "8_and_over": "8 or over"})

#: What :func:`evidence_state` returns, in the order the rule checks.
EVIDENCE_STATES = ("incomplete", "expired", "not_started", "live")

#: Outcomes of one placement candidate: banded as usual; banded, and the housing officer must consult
#: the analyst first (an adversary's or exploiter's home or regular place is near); or not assessed at
#: all (outside the area the data cover, banded :data:`CANNOT_ASSESS`).
PLACEMENT_OUTCOMES = ("assessed", "consult_analyst", "cannot_assess")
#: The band of a candidate the data do not cover.
CANNOT_ASSESS = "Cannot assess"

_INCOMPLETE, _EXPIRED, _NOT_STARTED, _LIVE = range(4)

_EPOCH = np.datetime64("1970-01-01T00:00:00", "ns")
_DAY = np.timedelta64(1, "D")


# --------------------------------------------------------------------------- evidence liveness


def _days(values: Any, n: int) -> np.ndarray:
    """Dates as float days since 1970-01-01 (NaN where missing), naive UTC."""
    if values is None:
        return np.full(n, np.nan)
    stamps = pd.to_datetime(pd.Series(values), errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return (stamps.to_numpy(dtype="datetime64[ns]") - _EPOCH) / _DAY


def day_number(as_of: Any) -> float:
    """``as_of`` as float days since 1970-01-01 (naive UTC; a date means its midnight)."""
    return float(_days([as_of], 1)[0])


def _text(values: Any, n: int) -> pd.Series:
    if values is None:
        return pd.Series([pd.NA] * n, dtype="string")
    return pd.Series(values).astype("string").str.strip()


def grade_codes(values: Any) -> np.ndarray:
    """Index into :data:`GRADES` of each value (upper- or lower-case), -1 where missing or unknown."""
    text = pd.Series(values).astype("string").str.strip().str.upper()
    codes = np.full(len(text), -1, dtype=np.int64)
    for i, g in enumerate(GRADES):
        codes[(text == g).fillna(False).to_numpy(dtype=bool)] = i
    return codes


def unknown_grades(values: Any) -> np.ndarray:
    """Mask of values that are given but are not a grade (missing values are not unknown)."""
    text = _text(values, len(values)).str.upper()
    given = (text.notna() & (text != "")).to_numpy(dtype=bool)
    return given & (grade_codes(values) < 0)


@dataclass(frozen=True, eq=False)
class EvidenceDates:
    """What the liveness rule reads of a links or places table, as arrays (one row each).

    Attributes
    ----------
    grade
        Index into :data:`GRADES`, -1 where no grade is given.
    first_seen, last_seen, expires_at
        Float days since 1970-01-01, NaN when unknown; ``first_seen`` and ``last_seen``
        stand in for each other when one is missing.
    complete
        Carries a grade, a source and an expiry (rule 1).
    withdrawn
        ``status`` is not ``live`` (rule 2).
    """

    grade: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    expires_at: np.ndarray
    complete: np.ndarray
    withdrawn: np.ndarray

    @classmethod
    def from_columns(cls, *, evidence_grade: Any, source: Any, first_seen: Any, last_seen: Any, expires_at: Any,
                     status: Any, n: int) -> EvidenceDates:
        """Build from column values (``None`` for a column that is absent)."""
        grade = grade_codes(evidence_grade) if evidence_grade is not None else np.full(n, -1, dtype=np.int64)
        first, last = _days(first_seen, n), _days(last_seen, n)
        first, last = np.where(np.isnan(first), last, first), np.where(np.isnan(last), first, last)
        expires = _days(expires_at, n)
        src = _text(source, n)
        has_source = (src.notna() & (src != "")).to_numpy(dtype=bool)
        if status is None:
            withdrawn = np.zeros(n, dtype=bool)
        else:
            st = _text(status, n).str.lower().fillna("").replace("", "live")
            withdrawn = (st != "live").to_numpy(dtype=bool)
        complete = (grade >= 0) & has_source & ~np.isnan(expires)
        return cls(grade, first, last, expires, complete, withdrawn)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> EvidenceDates:
        """Read a links or places frame (absent columns count as missing values)."""
        n = len(frame)

        def col(name: str) -> Any:
            return frame[name].to_numpy() if name in frame.columns else None

        return cls.from_columns(evidence_grade=col("evidence_grade"), source=col("source"),
                                first_seen=col("first_seen"), last_seen=col("last_seen"),
                                expires_at=col("expires_at"), status=col("status"), n=n)

    def __len__(self) -> int:
        return len(self.grade)

    def _rule(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The three conditions of the rule at day ``t``: complete, not expired, started."""
        with np.errstate(invalid="ignore"):
            not_expired = ~self.withdrawn & (self.expires_at > t)
            started = self.first_seen <= t
        return self.complete, not_expired, started

    def state_codes(self, t: float) -> np.ndarray:
        """Index into :data:`EVIDENCE_STATES` of every row at day ``t``."""
        complete, not_expired, started = self._rule(t)
        return np.select([~complete, ~not_expired, ~started], [_INCOMPLETE, _EXPIRED, _NOT_STARTED], _LIVE)

    def live(self, t: float) -> np.ndarray:
        """Boolean mask of rows live at day ``t``."""
        complete, not_expired, started = self._rule(t)
        return complete & not_expired & started

    def expired(self, t: float) -> np.ndarray:
        """Rows that have stopped counting at day ``t`` by their status or their expiry date."""
        with np.errstate(invalid="ignore"):
            return self.withdrawn | (self.expires_at <= t)


def live_mask(frame: pd.DataFrame | None, as_of: Any) -> np.ndarray:
    """Boolean mask of the rows of a links or places frame that are live at ``as_of``."""
    if frame is None or len(frame) == 0:
        return np.zeros(0, dtype=bool)
    return EvidenceDates.from_frame(frame).live(day_number(as_of))


def evidence_states(frame: pd.DataFrame, as_of: Any) -> np.ndarray:
    """:data:`EVIDENCE_STATES` name of every row of a links or places frame at ``as_of``."""
    if len(frame) == 0:
        return np.zeros(0, dtype=object)
    codes = EvidenceDates.from_frame(frame).state_codes(day_number(as_of))
    return np.asarray(EVIDENCE_STATES, dtype=object)[codes]


def expired_mask(frame: pd.DataFrame, as_of: Any) -> np.ndarray:
    """Rows that have stopped counting at ``as_of`` by their status or their expiry date."""
    if len(frame) == 0:
        return np.zeros(0, dtype=bool)
    return EvidenceDates.from_frame(frame).expired(day_number(as_of))


def due_to_expire(frame: pd.DataFrame, now: Any) -> np.ndarray:
    """Rows still marked ``live`` whose ``expires_at`` has passed at ``now`` (the automatic expiry)."""
    if len(frame) == 0:
        return np.zeros(0, dtype=bool)
    ev = EvidenceDates.from_frame(frame)
    with np.errstate(invalid="ignore"):
        return ~ev.withdrawn & (ev.expires_at <= day_number(now))


def due_to_expire_clause(table: Any, now: Any) -> Any:
    """:func:`due_to_expire` as a SQL condition over the store's ``Link`` or ``Place`` model
    (it may let through a row :func:`due_to_expire` then refuses, never the reverse)."""
    return (table.expires_at <= now) & (table.status.is_(None) | (table.status != "expired"))


def status_at(expires_at: Any, as_of: Any) -> np.ndarray:
    """The ``status`` a record with this expiry carries at ``as_of``: ``expired`` once it has passed."""
    days = _days(np.asarray(expires_at).reshape(-1), np.size(expires_at))
    with np.errstate(invalid="ignore"):
        passed = days <= day_number(as_of)
    return np.where(passed, "expired", "live").astype(object)


def first_seen_within(dates: EvidenceDates, as_of: Any, days: float) -> np.ndarray:
    """Mask of records first seen in the ``days`` days up to ``as_of`` (``(as_of - days, as_of]``).

    A time window on the first sighting (for example the placement check's retaliation window
    after a new incident), not liveness: pair it with :func:`live_mask` or its relatives.
    """
    t = (pd.Timestamp(as_of).tz_localize(None).to_datetime64() - _EPOCH) / _DAY
    first = dates.first_seen
    with np.errstate(invalid="ignore"):
        return np.isfinite(first) & (first <= t) & (first > t - float(days))


def _field(record: Any, name: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def evidence_state(record: Any, as_of: Any) -> str:
    """:data:`EVIDENCE_STATES` name of one link or place (a mapping or a row object) at ``as_of``."""
    ev = EvidenceDates.from_columns(
        evidence_grade=[_field(record, "evidence_grade")], source=[_field(record, "source")],
        first_seen=[_field(record, "first_seen")], last_seen=[_field(record, "last_seen")],
        expires_at=[_field(record, "expires_at")], status=[_field(record, "status")], n=1,
    )
    return EVIDENCE_STATES[int(ev.state_codes(day_number(as_of))[0])]


def is_live(record: Any, as_of: Any) -> bool:
    """Whether one link or place (a mapping or a row object) is live at ``as_of``."""
    return evidence_state(record, as_of) == "live"


def date_order_problems(first_seen: Any, last_seen: Any, expires_at: Any) -> dict[str, np.ndarray]:
    """Rows whose dates contradict each other: ``first_seen`` after ``last_seen``, or
    ``expires_at`` before ``first_seen``. Missing dates contradict nothing."""
    n = len(first_seen)
    first, last, expires = _days(first_seen, n), _days(last_seen, n), _days(expires_at, n)
    with np.errstate(invalid="ignore"):
        return {"first_after_last": first > last, "expires_before_first": expires < first}


# --------------------------------------------------------------------------- notices


def notice_live(valid_from: Any, valid_to: Any, as_of: Any) -> bool:
    """Whether a notice is in its valid window at ``as_of``: ``valid_from <= as_of < valid_to``."""
    start, end, at = (pd.Timestamp(v) for v in (valid_from, valid_to, as_of))
    return bool(start <= at < end)


def briefing_areas(school_xy: np.ndarray, buffer_m: float) -> np.ndarray:
    """Each school's briefing area: a circle of ``buffer_m`` around it (EPSG:27700)."""
    xy = np.asarray(school_xy, dtype=float).reshape(-1, 2)
    return shapely.buffer(shapely.points(xy), float(buffer_m), quad_segs=16)


def area_codes_touched(areas: pd.DataFrame | None, buffers: np.ndarray) -> list[set[str]]:
    """Every area code (any level) each briefing area touches."""
    out: list[set[str]] = [set() for _ in range(len(buffers))]
    if areas is None or len(areas) == 0 or len(buffers) == 0:
        return out
    tree = shapely.STRtree(np.asarray(areas.geometry))
    b_idx, a_idx = tree.query(buffers, predicate="intersects")
    codes = areas["code"].astype(str).to_numpy()
    for b, a in zip(b_idx, a_idx, strict=True):
        out[int(b)].add(codes[a])
    return out


def notice_reach(
    notices: Sequence[Any],
    urns: Sequence[str],
    buffers: np.ndarray,
    codes_by_school: Sequence[Collection[str]] | None = None,
) -> list[list[int]]:
    """For each school, the positions in ``notices`` of the notices that reach it.

    Parameters
    ----------
    notices
        Objects with ``school_urns``, ``area`` (a shapely geometry in EPSG:27700 or
        ``None``) and ``area_codes`` (e.g. :class:`geo_risk.briefing.Notice`).
    urns
        The schools' URNs.
    buffers
        Each school's briefing area (:func:`briefing_areas`), aligned with ``urns``.
    codes_by_school
        Area codes each briefing area touches (:func:`area_codes_touched`); needed only for
        notices given by area code.
    """
    urns = [str(u) for u in urns]
    position = {u: s for s, u in enumerate(urns)}
    hits: list[list[int]] = [[] for _ in urns]
    for k, notice in enumerate(notices):
        named = [str(u) for u in (getattr(notice, "school_urns", ()) or ())]
        if named:
            reached: Iterable[int] = sorted({position[u] for u in named if u in position})
        else:
            found = np.zeros(len(urns), dtype=bool)
            area = getattr(notice, "area", None)
            if area is not None and len(urns):
                found |= shapely.intersects(np.asarray(buffers), area)
            codes = {str(c) for c in (getattr(notice, "area_codes", ()) or ())}
            if codes and codes_by_school is not None:
                found |= np.array([bool(codes & set(c)) for c in codes_by_school], dtype=bool)
            reached = np.flatnonzero(found).tolist()
        for s in reached:
            hits[s].append(k)
    return hits
