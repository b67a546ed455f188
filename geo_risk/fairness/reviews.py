"""Evidence reviews: what is due, and the changes an analyst (or the clock) makes.

Links and places carry ``review_by`` and ``expires_at``. Scores use only live evidence
(the data contract's rule, :mod:`geo_risk.contract`), so evidence nobody looks at fades out
on its own.

- :func:`review_queue` lists evidence past its review date (``state`` ``due``) and evidence
  that has expired recently (``state`` ``expired``), so analysts see what stopped counting
  and can bring it back with new evidence.
- :func:`plan_confirm`, :func:`plan_downgrade`, :func:`plan_expire` and
  :func:`plan_auto_expiry` turn a decision into a :class:`ReviewChange`: the column
  updates to make and the :class:`~geo_risk.store.models.EvidenceReview` row to write (who,
  why, old and new grade). They check the decision and never touch the database;
  :mod:`geo_risk.fairness.repository` applies them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo_risk.contract import GRADES, due_to_expire, expired_mask
from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

TARGET_KINDS = ("link", "place")
QUEUE_STATES = ("due", "expired")
QUEUE_COLUMNS = (
    "target_kind", "target_id", "state", "what", "subject", "evidence_grade", "source", "source_type",
    "first_seen", "last_seen", "review_by", "expires_at", "status", "days_overdue",
)


@dataclass(frozen=True)
class ReviewChange:
    """A decision about one link or place: what to change and what to record.

    Attributes
    ----------
    target_kind, target_id
        ``link`` or ``place``, and its ``link_id`` / ``place_id``.
    action
        ``confirm``, ``downgrade``, ``expire`` or ``auto_expire``.
    old_grade, new_grade
        Evidence grade before and after.
    reason
        Why, in the analyst's words (or the automatic-expiry sentence).
    user_id
        Who (``None`` for the automatic expiry run).
    at
        When (naive UTC).
    updates
        Column -> new value on the link or place.
    """

    target_kind: str
    target_id: str
    action: str
    old_grade: str | None
    new_grade: str | None
    reason: str
    user_id: int | None
    at: dt.datetime
    updates: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target_kind": self.target_kind,
            "target_id": self.target_id,
            "action": self.action,
            "old_grade": self.old_grade,
            "new_grade": self.new_grade,
            "reason": self.reason,
            "user_id": self.user_id,
            "at": self.at.isoformat(),
            "updates": {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in self.updates.items()},
        }


def _ts(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _naive(value: Any, name: str) -> dt.datetime:
    if value is None or (not isinstance(value, (dt.datetime, dt.date, pd.Timestamp, str))):
        msg = f"{name} must be a date, e.g. 2026-11-01"
        raise ValidationError(msg)
    try:
        ts = _ts(value)
    except (ValueError, TypeError) as exc:
        msg = f"{name} {value!r} is not a date; use YYYY-MM-DD"
        raise ValidationError(msg) from exc
    if ts is pd.NaT:
        msg = f"{name} must be a date, e.g. 2026-11-01"
        raise ValidationError(msg)
    return ts.to_pydatetime()


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    values = pd.to_datetime(frame[col], errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _queue_part(frame: pd.DataFrame, kind: str, as_of: pd.Timestamp, window: pd.Timedelta) -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=list(QUEUE_COLUMNS))
    review_by = _dates(frame, "review_by")
    expires = _dates(frame, "expires_at")
    expired = expired_mask(frame, as_of)
    due = ~expired & (review_by <= as_of).fillna(False).to_numpy(dtype=bool)
    # Expired evidence stays listed for ``window`` after its expiry date (always, when it
    # carries no date).
    recent = expired & (expires.isna() | (expires > as_of - window)).to_numpy(dtype=bool)
    keep = due | recent
    part = frame.loc[keep]
    if kind == "link":
        ids = part["link_id"].astype(str)
        what = part["type"].astype(str)
        subject = part["from_key"].astype(str) + " - " + part["to_key"].astype(str)
    else:
        ids = part["place_id"].astype(str)
        what = part["kind"].astype(str)
        subject = part["entity_key"].astype(str)
    rb = review_by[keep]
    out = pd.DataFrame(
        {
            "target_kind": kind,
            "target_id": ids.to_numpy(),
            "state": np.where(expired[keep], "expired", "due"),
            "what": what.to_numpy(),
            "subject": subject.to_numpy(),
            "evidence_grade": part["evidence_grade"].to_numpy() if "evidence_grade" in part else None,
            "source": part["source"].to_numpy() if "source" in part else None,
            "source_type": part["source_type"].to_numpy() if "source_type" in part else None,
            "first_seen": _dates(part, "first_seen").to_numpy(),
            "last_seen": _dates(part, "last_seen").to_numpy(),
            "review_by": rb.to_numpy(),
            "expires_at": expires[keep].to_numpy(),
            "status": np.where(expired[keep], "expired", "live"),
            "days_overdue": ((as_of - rb) / pd.Timedelta(days=1)).fillna(0).clip(lower=0).round().astype("int64").to_numpy(),
        }
    )
    return out


def review_queue(
    links: pd.DataFrame | None,
    places: pd.DataFrame | None,
    as_of: Any,
    *,
    expired_window_days: float = 90.0,
) -> pd.DataFrame:
    """Evidence due for review at ``as_of``, most overdue first.

    Parameters
    ----------
    links, places
        Data-contract links and places (``places`` may be a GeoDataFrame; geometry is dropped).
    as_of
        The date of the review.
    expired_window_days
        Expired evidence stays listed (state ``expired``) for this many days after its
        ``expires_at`` (always, when it was expired by hand with no expiry date).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUEUE_COLUMNS`: ``state`` is ``due`` (live, past ``review_by``) or
        ``expired`` (no longer scores).
    """
    as_of = _ts(_naive(as_of, "as_of"))
    window = pd.Timedelta(days=float(expired_window_days))
    parts = [
        _queue_part(pd.DataFrame(links) if links is not None else None, "link", as_of, window),
        _queue_part(pd.DataFrame(places.drop(columns="geometry", errors="ignore")) if places is not None else None,
                    "place", as_of, window),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(QUEUE_COLUMNS))
    queue = pd.concat(parts, ignore_index=True)
    queue["_state_order"] = (queue["state"] != "due").astype(int)
    queue = queue.sort_values(["_state_order", "days_overdue", "target_kind", "target_id"],
                              ascending=[True, False, True, True], kind="stable")
    return queue.drop(columns="_state_order").reset_index(drop=True)[list(QUEUE_COLUMNS)]


def due_by_source(queue: pd.DataFrame) -> pd.DataFrame:
    """Counts of the review queue by source: ``source``, ``source_type``, ``due``, ``expired``, ``total``."""
    columns = ["source", "source_type", "due", "expired", "total"]
    if queue.empty:
        return pd.DataFrame(columns=columns)
    q = queue.assign(source=queue["source"].fillna("(none)"), source_type=queue["source_type"].fillna("(none)"))
    table = q.pivot_table(index=["source", "source_type"], columns="state", values="target_id", aggfunc="count",
                          fill_value=0)
    table = table.reindex(columns=list(QUEUE_STATES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    table.columns.name = None
    table = table.sort_values(["due", "total", "source"], ascending=[False, False, True], kind="stable")
    return table[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- decisions


def _check_target(current: Mapping[str, Any]) -> tuple[str, str]:
    kind = current.get("target_kind")
    if kind not in TARGET_KINDS:
        msg = f"target_kind must be 'link' or 'place', got {kind!r}"
        raise ValidationError(msg)
    target_id = current.get("target_id")
    if not target_id:
        msg = "target_id is required (the link_id or place_id)"
        raise ValidationError(msg)
    return str(kind), str(target_id)


def _check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < 3:
        msg = "a reason is required: say why, in a few words (it is recorded with your name)"
        raise ValidationError(msg)
    return text


def _grade(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip().upper()
    return text or None


def _check_grade(value: Any, name: str) -> str:
    g = _grade(value)
    if g not in GRADES:
        msg = f"{name} must be one of {', '.join(GRADES)}, got {value!r}"
        raise ValidationError(msg)
    return g


def _opt_dt(value: Any) -> dt.datetime | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return _naive(value, "date")


def plan_confirm(
    current: Mapping[str, Any],
    *,
    last_seen: Any,
    review_by: Any,
    reason: str,
    user_id: int | None,
    at: Any,
    expires_at: Any = None,
    evidence_grade: str | None = None,
) -> ReviewChange:
    """Confirm evidence with new evidence: it was seen again, so it stays (or becomes) live.

    Parameters
    ----------
    current
        ``target_kind``, ``target_id``, ``evidence_grade``, ``last_seen``, ``expires_at``.
    last_seen
        When the new evidence was seen: not before the old ``last_seen`` and not after ``at``.
    review_by
        The next review date, after ``at``.
    expires_at
        A new expiry after ``at``; required when the evidence has already expired.
    evidence_grade
        The grade the new evidence supports (default: unchanged).
    """
    kind, target_id = _check_target(current)
    reason = _check_reason(reason)
    at = _naive(at, "at")
    problems = []
    seen = _naive(last_seen, "last_seen")
    old_seen = _opt_dt(current.get("last_seen"))
    if seen > at:
        problems.append(f"last_seen {seen:%Y-%m-%d} is in the future; give the date the new evidence was seen")
    if old_seen is not None and seen < old_seen:
        problems.append(f"last_seen {seen:%Y-%m-%d} is before the recorded {old_seen:%Y-%m-%d}; "
                        "confirming needs newer evidence")
    review = _naive(review_by, "review_by")
    if review <= at:
        problems.append(f"review_by {review:%Y-%m-%d} must be after today ({at:%Y-%m-%d})")
    old_expires = _opt_dt(current.get("expires_at"))
    new_expires = _opt_dt(expires_at)
    if new_expires is not None and new_expires <= at:
        problems.append(f"expires_at {new_expires:%Y-%m-%d} must be after today ({at:%Y-%m-%d})")
    if new_expires is None and (old_expires is None and kind == "link"):
        problems.append("this link has no expiry date; give expires_at")
    if new_expires is None and old_expires is not None and old_expires <= at:
        problems.append(f"this evidence expired on {old_expires:%Y-%m-%d}; give a new expires_at to bring it back")
    old_grade = _grade(current.get("evidence_grade"))
    new_grade = old_grade if evidence_grade in (None, "") else _check_grade(evidence_grade, "evidence_grade")
    if new_grade is None:
        problems.append("this evidence has no grade; give evidence_grade (A to E) when confirming it")
    if problems:
        raise ValidationError("cannot confirm: " + "; ".join(problems))
    updates: dict[str, Any] = {"last_seen": seen, "review_by": review, "status": "live", "evidence_grade": new_grade}
    if new_expires is not None:
        updates["expires_at"] = new_expires
    return ReviewChange(kind, target_id, "confirm", old_grade, new_grade, reason, user_id, at, updates)


def plan_downgrade(
    current: Mapping[str, Any], *, new_grade: str, reason: str, user_id: int | None, at: Any
) -> ReviewChange:
    """Lower the evidence grade (A is highest, E lowest)."""
    kind, target_id = _check_target(current)
    reason = _check_reason(reason)
    at = _naive(at, "at")
    new = _check_grade(new_grade, "new grade")
    old = _grade(current.get("evidence_grade"))
    if old is None:
        msg = "this evidence has no grade to lower; confirm it with a grade instead"
        raise ValidationError(msg)
    if GRADES.index(new) <= GRADES.index(old):
        msg = f"a downgrade must lower the grade: {old} -> {new} is not lower (E is the lowest)"
        raise ValidationError(msg)
    return ReviewChange(kind, target_id, "downgrade", old, new, reason, user_id, at, {"evidence_grade": new})


def plan_expire(current: Mapping[str, Any], *, reason: str, user_id: int | None, at: Any) -> ReviewChange:
    """Expire evidence now: it stops counting in every score from ``at``."""
    kind, target_id = _check_target(current)
    reason = _check_reason(reason)
    at = _naive(at, "at")
    if str(current.get("status", "live")).lower() == "expired":
        msg = f"{kind} {target_id} has already expired"
        raise ValidationError(msg)
    updates: dict[str, Any] = {"status": "expired"}
    old_expires = _opt_dt(current.get("expires_at"))
    if old_expires is None or old_expires > at:
        updates["expires_at"] = at
    grade = _grade(current.get("evidence_grade"))
    return ReviewChange(kind, target_id, "expire", grade, grade, reason, user_id, at, updates)


def plan_auto_expiry(links: pd.DataFrame | None, places: pd.DataFrame | None, now: Any) -> tuple[ReviewChange, ...]:
    """Changes that mark as ``expired`` every live link or place whose ``expires_at <= now``."""
    now = _naive(now, "now")
    now_ts = pd.Timestamp(now)
    changes: list[ReviewChange] = []
    for kind, frame, id_col in (("link", links, "link_id"), ("place", places, "place_id")):
        if frame is None or len(frame) == 0:
            continue
        expires = _dates(frame, "expires_at")
        mask = due_to_expire(frame, now_ts)
        for i in np.flatnonzero(mask):
            row = frame.iloc[i]
            grade = _grade(row.get("evidence_grade"))
            when = expires.iloc[i]
            changes.append(
                ReviewChange(
                    kind, str(row[id_col]), "auto_expire", grade, grade,
                    f"automatic expiry: expires_at {when:%Y-%m-%d} has passed", None, now, {"status": "expired"},
                )
            )
    return tuple(changes)
