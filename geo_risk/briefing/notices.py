"""Post-incident notices for schools and analysts' tension overrides.

Both are plain frozen values: the store keeps them (notice table, acknowledgements,
overrides) and passes them in; nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo_risk.contract import notice_live
from geo_risk.errors import ValidationError


def _ts(value: Any, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        msg = f"{what} must be a date or datetime, got {value!r}"
        raise ValidationError(msg) from exc
    if ts is pd.NaT:
        msg = f"{what} is required"
        raise ValidationError(msg)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


@dataclass(frozen=True)
class Acknowledgement:
    """A school's acknowledgement of a notice."""

    urn: str
    acknowledged_at: pd.Timestamp
    by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "urn", str(self.urn))
        object.__setattr__(self, "acknowledged_at", _ts(self.acknowledged_at, "acknowledged_at"))


@dataclass(frozen=True)
class Notice:
    """A post-incident notice for the schools of an area, valid for a time window.

    Parameters
    ----------
    notice_id
        The store's id.
    title
        A short heading.
    what_happened
        What happened, in general terms (no names, no addresses).
    what_to_do
        What schools should do.
    contact
        Who to contact.
    valid_from, valid_to
        The notice is live for ``valid_from <= as_of < valid_to``.
    area
        Optional area (shapely geometry in EPSG:27700). A notice that names no school
        reaches the schools whose briefing area it touches.
    area_codes
        Optional area codes (LSOA, ward, ...). A notice that names no school reaches the
        schools whose briefing area touches one of them.
    school_urns
        The schools the notice is for: a notice that names schools reaches exactly these
        (:func:`geo_risk.contract.notice_reach`), whatever its area.
    acknowledgements
        Acknowledgements recorded so far.
    """

    notice_id: str
    title: str
    what_happened: str
    what_to_do: str
    contact: str
    valid_from: pd.Timestamp
    valid_to: pd.Timestamp
    area: BaseGeometry | None = None
    area_codes: tuple[str, ...] = ()
    school_urns: tuple[str, ...] = ()
    acknowledgements: tuple[Acknowledgement, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "notice_id", str(self.notice_id))
        object.__setattr__(self, "valid_from", _ts(self.valid_from, "valid_from"))
        object.__setattr__(self, "valid_to", _ts(self.valid_to, "valid_to"))
        object.__setattr__(self, "area_codes", tuple(str(c) for c in self.area_codes))
        object.__setattr__(self, "school_urns", tuple(str(u) for u in self.school_urns))
        object.__setattr__(self, "acknowledgements", tuple(self.acknowledgements))
        problems = []
        for name in ("title", "what_happened", "what_to_do", "contact"):
            if not str(getattr(self, name) or "").strip():
                problems.append(f"{name} is empty")
        if self.valid_to <= self.valid_from:
            problems.append("valid_to must be after valid_from")
        if self.area is None and not self.area_codes and not self.school_urns:
            problems.append("give an area, area codes or school URNs so that schools can see it")
        if self.area is not None and not isinstance(self.area, BaseGeometry):
            problems.append("area must be a shapely geometry in EPSG:27700")
        if problems:
            msg = f"notice {self.notice_id}: " + "; ".join(problems)
            raise ValidationError(msg)

    def is_live(self, as_of: pd.Timestamp) -> bool:
        """Whether the notice is valid at ``as_of`` (:func:`geo_risk.contract.notice_live`)."""
        return notice_live(self.valid_from, self.valid_to, as_of)

    def acknowledgement(self, urn: str) -> Acknowledgement | None:
        """The school's acknowledgement, if it has acknowledged the notice."""
        for ack in self.acknowledgements:
            if ack.urn == str(urn):
                return ack
        return None


@dataclass(frozen=True)
class TensionOverride:
    """An analyst's setting of a school's tension level, with a reason and an expiry."""

    urn: str
    level: str
    reason: str
    set_at: pd.Timestamp
    expires_at: pd.Timestamp
    set_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "urn", str(self.urn))
        object.__setattr__(self, "set_at", _ts(self.set_at, "set_at"))
        object.__setattr__(self, "expires_at", _ts(self.expires_at, "expires_at"))
        if not str(self.reason or "").strip():
            msg = f"a tension override for school {self.urn} needs a reason"
            raise ValidationError(msg)
        if self.expires_at <= self.set_at:
            msg = f"a tension override for school {self.urn} must expire after it is set"
            raise ValidationError(msg)

    def is_live(self, as_of: pd.Timestamp) -> bool:
        as_of = pd.Timestamp(as_of)
        return self.set_at <= as_of < self.expires_at


def live_override(overrides: Iterable[TensionOverride], urn: str, as_of: pd.Timestamp) -> TensionOverride | None:
    """The latest override for ``urn`` that is live at ``as_of``."""
    live = [o for o in overrides if o.urn == str(urn) and o.is_live(as_of)]
    return max(live, key=lambda o: o.set_at) if live else None
