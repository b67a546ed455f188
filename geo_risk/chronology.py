"""A young person's chronology: every record about them from every source, in date order.

The rapid review found that chronologies were not used to see how risks inside and outside
the family intersect, and that information from parents and carers was not valued as highly
as police intelligence. So a chronology here:

- gathers **every** record about the young person: incidents linked to them (their places of
  kind ``incident_location``, matched to the incident records at that spot and date), links,
  places, concerns and other entries (:class:`~geo_risk.store.models.ChronologyEntry`),
  referrals and assessments;
- tags each item **inside** the family (family links and links with family members, the
  home, incidents at the home, entries flagged ``inside_family``) or **outside** it
  (everything else: peers, peer groups, places in the community, placement and route checks);
- treats every ``source_type`` alike: a parent's or young person's entry is an item like any
  other, with its source shown the same way (the web page renders them with the same markup);
- can be filtered by source type and by the inside/outside tag.

:func:`build_chronology` is pure (frames in, a frozen :class:`Chronology` out).
:func:`load_chronology_inputs`, :func:`read_chronology` and :func:`add_entry` are the thin
database functions; :func:`read_chronology` writes the audit event of the read in the same
transaction (if it cannot be written, the read fails).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from geo_risk import audit
from geo_risk.contract import GRADES, SOURCE_TYPES, evidence_state
from geo_risk.errors import NotFound, ValidationError
from geo_risk.store.models import (
    Assessment,
    ChronologyEntry,
    Group,
    Incident,
    Link,
    Person,
    Place,
    Referral,
    User,
)
from geo_risk.wording import branding_problem

log = logging.getLogger(__name__)

ENTRY_KINDS = ("concern", "incident", "missing_episode", "disclosure", "note")
ITEM_KINDS = ("incident", "link", "place", *[k for k in ENTRY_KINDS if k != "incident"], "referral", "assessment")
FAMILY_TAGS = ("inside", "outside")
#: ``source_type`` of records geo-risk itself makes (referrals, assessments).
SYSTEM_SOURCE_TYPE = "geo_risk"
SYSTEM_SOURCE = "geo-risk"
SOURCE_TYPE_LABELS = {
    "police": "Police",
    "social_care": "Social care",
    "education": "Education",
    "health": "Health",
    "youth_justice": "Youth justice",
    "housing": "Housing",
    "voluntary_sector": "Voluntary sector",
    "parent_carer": "Parent or carer",
    "young_person": "Young person",
    "community": "Community",
    SYSTEM_SOURCE_TYPE: "geo-risk record",
}
MAX_SUMMARY = 2000

_LINK_PHRASES = {
    "in_conflict_with": "In conflict with {other}",
    "associates_with": "Associates with {other}",
    "family": "Family link with {other}",
    "member_of": "Member of {other}",
}
_PLACE_PHRASES = {
    "hangout": "Place where they spend time recorded",
    "exploitation_site": "Exploitation site recorded",
    "home": "Home recorded (the location is never shown)",
}


@dataclass(frozen=True)
class ChronologyItem:
    """One dated record in a chronology.

    Attributes
    ----------
    at
        When it happened (or was first seen); ``None`` when undated (listed last).
    kind
        One of :data:`ITEM_KINDS`.
    record
        What it is in the store, e.g. ``"link L12"``, ``"entry 7"``.
    summary
        A sentence for people.
    source, source_type
        Who told us (agency or person) and what kind of source.
    evidence_grade
        ``A``..``E`` or ``None``.
    family
        ``"inside"`` or ``"outside"`` the family.
    status
        For links and places, ``live``, or why it does not count: ``expired``, ``not started``
        (first seen after the chronology's date) or ``incomplete`` (no grade, source or
        expiry); ``None`` otherwise.
    date_precision
        ``"day"``, ``"month"`` (police.uk months) or ``"time"`` (a known time of day).
    """

    at: dt.datetime | None
    kind: str
    record: str
    summary: str
    source: str
    source_type: str
    evidence_grade: str | None
    family: str
    status: str | None = None
    date_precision: str = "day"

    @property
    def source_type_label(self) -> str:
        return SOURCE_TYPE_LABELS.get(self.source_type, self.source_type)

    @property
    def date_label(self) -> str:
        if self.at is None:
            return "undated"
        if self.date_precision == "month":
            return self.at.strftime("%Y-%m")
        if self.date_precision == "time":
            return self.at.strftime("%Y-%m-%d %H:%M")
        return self.at.strftime("%Y-%m-%d")

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": None if self.at is None else self.at.isoformat(),
            "date": self.date_label,
            "kind": self.kind,
            "record": self.record,
            "summary": self.summary,
            "source": self.source,
            "source_type": self.source_type,
            "evidence_grade": self.evidence_grade,
            "family": self.family,
            "status": self.status,
        }


@dataclass(frozen=True)
class Chronology:
    """A young person's chronology, oldest first (undated items last)."""

    child: str
    items: tuple[ChronologyItem, ...]
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def source_types(self) -> tuple[str, ...]:
        """Source types present, in the order of :data:`SOURCE_TYPES` (system records last)."""
        present = {i.source_type for i in self.items}
        order = [*SOURCE_TYPES, SYSTEM_SOURCE_TYPE]
        return tuple([s for s in order if s in present] + sorted(present - set(order)))

    def counts(self) -> dict[str, int]:
        """Items inside and outside the family."""
        return {tag: sum(1 for i in self.items if i.family == tag) for tag in FAMILY_TAGS}

    def filter(
        self,
        *,
        source_types: Iterable[str] | None = None,
        family: Iterable[str] | str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> Chronology:
        """Items of the given source types, family tags and kinds (``None``: all).

        Raises
        ------
        ValidationError
            For an unknown family tag or kind (an unknown source type simply matches nothing).
        """
        fam = (family,) if isinstance(family, str) else (tuple(family) if family is not None else None)
        if fam is not None:
            bad = [f for f in fam if f not in FAMILY_TAGS]
            if bad:
                msg = f"family filter must be 'inside' or 'outside', got {', '.join(map(repr, bad))}"
                raise ValidationError(msg)
        kinds_t = tuple(kinds) if kinds is not None else None
        if kinds_t is not None:
            bad = [k for k in kinds_t if k not in ITEM_KINDS]
            if bad:
                msg = f"unknown item kind(s) {', '.join(bad)}; use {', '.join(ITEM_KINDS)}"
                raise ValidationError(msg)
        st = tuple(source_types) if source_types is not None else None
        items = tuple(
            i for i in self.items
            if (st is None or i.source_type in st) and (fam is None or i.family in fam)
            and (kinds_t is None or i.kind in kinds_t)
        )
        filters = {k: v for k, v in (("source_types", st), ("family", fam), ("kinds", kinds_t)) if v is not None}
        return replace(self, items=items, filters=filters)

    def to_frame(self) -> pd.DataFrame:
        columns = ["at", "date", "kind", "record", "summary", "source", "source_type", "evidence_grade", "family",
                   "status"]
        return pd.DataFrame([i.to_dict() for i in self.items], columns=columns)


# --------------------------------------------------------------------------- pure assembly


def _dt(value: Any) -> dt.datetime | None:
    if value is None or value is pd.NaT:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def _s(value: Any, default: str = "") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return default
    return str(value)


def _grade(value: Any) -> str | None:
    g = _s(value).strip().upper()
    return g or None


def _rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    return frame.to_dict("records")


def _group_label(code: str, labels: Mapping[str, str]) -> str:
    return labels.get(code) or f"peer group {code}"


def _entity_label(kind: str, key: str, labels: Mapping[str, str]) -> str:
    return _group_label(key, labels) if kind == "group" else key


def _link_items(child: str, links: list[dict[str, Any]], group_labels: Mapping[str, str]) -> tuple[
        list[ChronologyItem], set[str]]:
    def is_child(kind: Any, key: Any) -> bool:
        return _s(kind, "person") == "person" and _s(key) == child

    own = [r for r in links if is_child(r.get("from_kind"), r.get("from_key"))
           or is_child(r.get("to_kind"), r.get("to_key"))]
    family_members = set()
    for r in own:
        if r.get("type") == "family":
            other = r["to_key"] if is_child(r.get("from_kind"), r.get("from_key")) else r["from_key"]
            family_members.add(_s(other))
    child_groups = {_s(r["to_key"]) for r in own if r.get("type") == "member_of"
                    and is_child(r.get("from_kind"), r.get("from_key"))}
    items: list[ChronologyItem] = []
    seen: set[str] = set()
    for r in own:
        outgoing = is_child(r.get("from_kind"), r.get("from_key"))
        other_kind = _s(r.get("to_kind" if outgoing else "from_kind"), "person")
        other_key = _s(r.get("to_key" if outgoing else "from_key"))
        other = _entity_label(other_kind, other_key, group_labels)
        kind = _s(r.get("type"))
        if kind == "exploits":
            text = f"Exploits {other}" if outgoing else f"Exploited by {other}"
        else:
            text = _LINK_PHRASES.get(kind, f"{kind.replace('_', ' ').capitalize()} {{other}}").format(other=other)
        inside = kind == "family" or (other_kind == "person" and other_key in family_members)
        items.append(_link_item(r, text, "inside" if inside else "outside"))
        seen.add(_s(r.get("link_id")))
    # Links of the young person's peer groups: the conflicts that reach them through a group.
    for r in links:
        lid = _s(r.get("link_id"))
        if lid in seen or r.get("type") == "member_of":
            continue
        ends = [(_s(r.get("from_kind")), _s(r.get("from_key"))), (_s(r.get("to_kind")), _s(r.get("to_key")))]
        mine = [k for kind, k in ends if kind == "group" and k in child_groups]
        if not mine:
            continue
        a = _entity_label(*ends[0], group_labels)
        b = _entity_label(*ends[1], group_labels)
        verb = _s(r.get("type")).replace("_", " ")
        text = f"Their peer group: {a} {verb} {b}"
        items.append(_link_item(r, text, "outside"))
        seen.add(lid)
    return items, family_members


def _link_item(r: Mapping[str, Any], text: str, family: str) -> ChronologyItem:
    first, last = _dt(r.get("first_seen")), _dt(r.get("last_seen"))
    if last is not None and first is not None and last.date() != first.date():
        text += f" (last seen {last:%Y-%m-%d})"
    status = _status(r)
    return ChronologyItem(
        at=first or last, kind="link", record=f"link {_s(r.get('link_id'))}", summary=text,
        source=_s(r.get("source"), "(unknown)"), source_type=_s(r.get("source_type"), "(unknown)"),
        evidence_grade=_grade(r.get("evidence_grade")), family=family, status=status,
    )


def _status(r: Mapping[str, Any], as_of: dt.datetime | None = None) -> str:
    """``live`` or ``expired``, or why the link or place does not count at ``as_of``
    (:data:`geo_risk.contract.EVIDENCE_STATES`); its stored status when no ``as_of`` is given."""
    if as_of is None:
        return _s(r.get("status"), "live").lower()
    return evidence_state(r, as_of).replace("_", " ")


def _match_incidents(
    places: list[dict[str, Any]], incidents: pd.DataFrame | None, radius_m: float
) -> dict[int, dict[str, Any]]:
    """For each incident-location place (by position in ``places``), the incident record at that spot and date."""
    if incidents is None or len(incidents) == 0 or not places:
        return {}
    ix = incidents
    if "x" not in ix.columns:
        ix = ix.assign(x=ix.geometry.x, y=ix.geometry.y)
    tree = cKDTree(ix[["x", "y"]].to_numpy(dtype=float))
    when = pd.to_datetime(ix["occurred_at"]).to_numpy(dtype="datetime64[ns]")
    has_time = ix["has_time"].fillna(False).astype(bool).to_numpy() if "has_time" in ix else np.ones(len(ix), bool)
    out: dict[int, dict[str, Any]] = {}
    for pos, p in enumerate(places):
        at = _dt(p.get("first_seen")) or _dt(p.get("last_seen"))
        if at is None:
            continue
        near = tree.query_ball_point([float(p["x"]), float(p["y"])], r=radius_m)
        best, best_gap = None, None
        for j in near:
            t = pd.Timestamp(when[j]).to_pydatetime()
            if has_time[j]:
                gap = abs((t - at).total_seconds())
                ok = gap <= 86400
            else:  # month-only rows (police.uk): same month
                gap = abs((t - at).total_seconds())
                ok = (t.year, t.month) == (at.year, at.month)
            if ok and (best_gap is None or gap < best_gap):
                best, best_gap = j, gap
        if best is not None:
            out[pos] = ix.iloc[best].to_dict()
    return out


def build_chronology(
    child: str,
    *,
    links: pd.DataFrame | None = None,
    places: pd.DataFrame | None = None,
    entries: pd.DataFrame | None = None,
    referrals: pd.DataFrame | None = None,
    assessments: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    as_of: Any = None,
    home_radius_m: float = 50.0,
    match_radius_m: float = 50.0,
) -> Chronology:
    """Assemble a young person's chronology from the records about them.

    Parameters
    ----------
    child
        The young person's pseudonym.
    links
        Data-contract links; those with the young person at either end are used, and the
        links of their peer groups (not memberships of others).
    places
        Places with ``place_id``, ``entity_kind``, ``entity_key``, ``kind``, evidence columns
        and ``x``/``y`` (EPSG:27700) or a point ``geometry``; the young person's own are used.
        ``incident_location`` places become incident items.
    entries
        Chronology entries: ``id``, ``occurred_at``, ``kind``, ``summary``, ``source``,
        ``source_type``, ``evidence_grade``, ``inside_family``.
    referrals
        ``id``, ``purpose``, ``created_at``, ``expires_at``, ``revoked_at``, ``username``.
    assessments
        ``id``, ``kind``, ``created_at``, ``policy_version``, ``result`` (dict), ``username``.
    incidents
        Incident records near the young person's incident locations (``incident_id``,
        ``category``, ``source``, ``occurred_at``, ``has_time``, ``precision``, ``x``/``y`` or
        ``geometry``), to say what happened there.
    groups
        ``code`` and ``label`` of peer groups.
    as_of
        When given, links and places whose ``expires_at`` has passed show as expired.
    home_radius_m
        An incident location within this distance of the young person's home is inside the family.
    match_radius_m
        Distance within which an incident record matches an incident location.
    """
    child = str(child)
    as_of_dt = _dt(as_of)
    labels = {} if groups is None or len(groups) == 0 else dict(zip(groups["code"].astype(str),
                                                                    groups["label"].astype(str), strict=True))
    link_rows = _rows(links)
    if as_of_dt is not None:
        for r in link_rows:
            r["status"] = _status(r, as_of_dt)
    items, _family = _link_items(child, link_rows, labels)

    own_places = []
    for r in _rows(places):
        if _s(r.get("entity_kind"), "person") == "person" and _s(r.get("entity_key")) == child:
            if "x" not in r and r.get("geometry") is not None:
                r["x"], r["y"] = r["geometry"].x, r["geometry"].y
            own_places.append(r)
    homes = np.array([[float(r["x"]), float(r["y"])] for r in own_places if r.get("kind") == "home"
                      and r.get("x") is not None]).reshape(-1, 2)
    incident_places = [r for r in own_places if r.get("kind") == "incident_location"]
    matched = _match_incidents(incident_places, incidents, match_radius_m)
    position = {id(r): k for k, r in enumerate(incident_places)}
    for r in own_places:
        kind = _s(r.get("kind"))
        first, last = _dt(r.get("first_seen")), _dt(r.get("last_seen"))
        status = _status(r, as_of_dt)
        pid = _s(r.get("place_id"))
        if kind == "incident_location":
            inc = matched.get(position[id(r)])
            at_home = bool(len(homes)) and float(np.min(np.hypot(homes[:, 0] - float(r["x"]),
                                                                 homes[:, 1] - float(r["y"])))) <= home_radius_m
            text = "Incident involving them"
            precision = "day"
            if inc is not None:
                text += f": {_s(inc.get('category'))} (incident {_s(inc.get('incident_id'))}"
                text += ", location on or near" if _s(inc.get("precision")) == "snap_point" else ""
                text += ")"
                if not bool(inc.get("has_time", True)):
                    precision = "month"
            if at_home:
                text += ", at or near their home"
            items.append(ChronologyItem(
                at=first or last, kind="incident", record=f"place {pid}", summary=text,
                source=_s(r.get("source"), "(unknown)"), source_type=_s(r.get("source_type"), "(unknown)"),
                evidence_grade=_grade(r.get("evidence_grade")), family="inside" if at_home else "outside",
                status=status, date_precision=precision,
            ))
            continue
        text = _PLACE_PHRASES.get(kind, f"{kind.replace('_', ' ').capitalize()} recorded")
        if last is not None and first is not None and last.date() != first.date():
            text += f" (last seen {last:%Y-%m-%d})"
        items.append(ChronologyItem(
            at=first or last, kind="place", record=f"place {pid}", summary=text,
            source=_s(r.get("source"), "(unknown)"), source_type=_s(r.get("source_type"), "(unknown)"),
            evidence_grade=_grade(r.get("evidence_grade")), family="inside" if kind == "home" else "outside",
            status=status,
        ))

    for r in _rows(entries):
        kind = _s(r.get("kind"), "note")
        at = _dt(r.get("occurred_at"))
        items.append(ChronologyItem(
            at=at, kind=kind if kind in ITEM_KINDS else "note", record=f"entry {_s(r.get('id'))}",
            summary=_s(r.get("summary")), source=_s(r.get("source"), "(unknown)"),
            source_type=_s(r.get("source_type"), "(unknown)"), evidence_grade=_grade(r.get("evidence_grade")),
            family="inside" if bool(r.get("inside_family")) else "outside",
            date_precision="time" if at is not None and (at.hour or at.minute) else "day",
        ))

    for r in _rows(referrals):
        purpose = _s(r.get("purpose"))
        what = {"placement": "a placement check", "route": "a route check"}.get(purpose, purpose)
        text = f"Referred for {what}"
        if _s(r.get("username")):
            text += f" to {_s(r.get('username'))}"
        expires = _dt(r.get("expires_at"))
        revoked = _dt(r.get("revoked_at"))
        if revoked is not None:
            text += f", revoked {revoked:%Y-%m-%d}"
        elif expires is not None:
            text += f", until {expires:%Y-%m-%d}"
        items.append(ChronologyItem(
            at=_dt(r.get("created_at")), kind="referral", record=f"referral {_s(r.get('id'))}", summary=text,
            source=SYSTEM_SOURCE, source_type=SYSTEM_SOURCE_TYPE, evidence_grade=None, family="outside",
        ))

    from geo_risk.fairness.disproportionality import worst_band

    for r in _rows(assessments):
        kind = _s(r.get("kind"))
        what = {"placement": "Placement check", "route": "Route check"}.get(kind, f"{kind.capitalize()} check")
        band = worst_band(r.get("result"), ("Low", "Medium", "High", "Very high"))
        text = what + (f": highest band {band}" if band else "")
        if _s(r.get("policy_version")):
            text += f" (policy {_s(r.get('policy_version'))})"
        if _s(r.get("username")):
            text += f", by {_s(r.get('username'))}"
        items.append(ChronologyItem(
            at=_dt(r.get("created_at")), kind="assessment", record=f"assessment {_s(r.get('id'))}", summary=text,
            source=SYSTEM_SOURCE, source_type=SYSTEM_SOURCE_TYPE, evidence_grade=None, family="outside",
        ))

    order = {k: i for i, k in enumerate(ITEM_KINDS)}
    far = dt.datetime.max
    items.sort(key=lambda i: (i.at is None, i.at or far, order.get(i.kind, 99), i.record))
    log.debug("chronology: %d items", len(items))
    return Chronology(child=child, items=tuple(items))


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class NewEntry:
    """A checked chronology entry, ready to store."""

    occurred_at: dt.datetime
    kind: str
    summary: str
    source: str
    source_type: str
    evidence_grade: str
    inside_family: bool


def validate_entry(values: Mapping[str, Any], *, now: dt.datetime) -> NewEntry:
    """Check an analyst's new entry; every problem is reported at once.

    ``values`` holds ``occurred_at`` (date or date-time, not in the future), ``kind``
    (:data:`ENTRY_KINDS`), ``summary``, ``source`` (who told us), ``source_type``
    (:data:`~geo_risk.contract.SOURCE_TYPES`), ``evidence_grade`` (A-E) and optional
    ``inside_family`` (bool or "on"/"true"/"1").
    """
    problems: list[str] = []
    occurred = _dt(values.get("occurred_at")) if _s(values.get("occurred_at")).strip() else None
    if occurred is None:
        problems.append("give the date it happened (YYYY-MM-DD)")
    elif occurred > now:
        problems.append(f"the date {occurred:%Y-%m-%d} is in the future")
    kind = _s(values.get("kind")).strip().lower()
    if kind not in ENTRY_KINDS:
        problems.append(f"kind must be one of {', '.join(ENTRY_KINDS)}")
    summary = _s(values.get("summary")).strip()
    if not summary:
        problems.append("write what happened in the summary")
    elif len(summary) > MAX_SUMMARY:
        problems.append(f"the summary is longer than {MAX_SUMMARY} characters")
    elif branding_problem(summary):
        problems.append(str(branding_problem(summary)))
    source = _s(values.get("source")).strip()
    if not source:
        problems.append("say who the information came from (source), e.g. 'Mother' or 'School DSL'")
    elif len(source) > 120:
        problems.append("the source is longer than 120 characters")
    source_type = _s(values.get("source_type")).strip().lower()
    if source_type not in SOURCE_TYPES:
        problems.append(f"source type must be one of {', '.join(SOURCE_TYPES)}")
    grade = _grade(values.get("evidence_grade"))
    if grade not in GRADES:
        problems.append("evidence grade must be one of A, B, C, D, E")
    flag = values.get("inside_family", False)
    inside = flag if isinstance(flag, bool) else _s(flag).strip().lower() in ("1", "true", "on", "yes")
    if problems:
        raise ValidationError("the entry was not added: " + "; ".join(problems))
    return NewEntry(occurred, kind, summary, source, source_type, grade, inside)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- repository


@dataclass(frozen=True, eq=False)
class ChronologyInputs:
    """The records :func:`build_chronology` needs for one young person."""

    links: pd.DataFrame
    places: pd.DataFrame
    entries: pd.DataFrame
    referrals: pd.DataFrame
    assessments: pd.DataFrame
    incidents: pd.DataFrame
    groups: pd.DataFrame


def _frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def require_person(session: Session, pseudonym: str) -> None:
    """:class:`NotFound` unless ``pseudonym`` is a person in the store."""
    if session.execute(select(Person.id).where(Person.pseudonym == str(pseudonym))).first() is None:
        msg = f"no young person with pseudonym {pseudonym!r}"
        raise NotFound(msg)


def load_chronology_inputs(session: Session, pseudonym: str, *, match_radius_m: float = 50.0) -> ChronologyInputs:
    """Read the records about one young person (a handful of keyed queries)."""
    child = str(pseudonym)
    link_cols = ("link_id", "from_kind", "from_key", "to_kind", "to_key", "type", "evidence_grade", "source",
                 "source_type", "first_seen", "last_seen", "review_by", "expires_at", "status")
    sel = [getattr(Link, c) for c in link_cols]
    own = or_(and_(Link.from_kind == "person", Link.from_key == child),
              and_(Link.to_kind == "person", Link.to_key == child))
    links = _frame(session.execute(select(*sel).where(own)).all(), link_cols)
    groups_of_child = sorted(set(links.loc[(links["type"] == "member_of") & (links["from_key"] == child),
                                           "to_key"].astype(str)))
    if groups_of_child:
        group_links = _frame(session.execute(select(*sel).where(or_(
            and_(Link.from_kind == "group", Link.from_key.in_(groups_of_child)),
            and_(Link.to_kind == "group", Link.to_key.in_(groups_of_child))))).all(), link_cols)
        links = pd.concat([links, group_links], ignore_index=True).drop_duplicates("link_id")
    codes = sorted(set(links.loc[links["from_kind"] == "group", "from_key"].astype(str))
                   | set(links.loc[links["to_kind"] == "group", "to_key"].astype(str)))
    groups = _frame(session.execute(select(Group.code, Group.label).where(Group.code.in_(codes))).all(),
                    ("code", "label")) if codes else pd.DataFrame(columns=["code", "label"])

    place_cols = ("place_id", "entity_kind", "entity_key", "kind", "evidence_grade", "source", "source_type",
                  "first_seen", "last_seen", "review_by", "expires_at", "status")
    places = _frame(session.execute(
        select(*(getattr(Place, c) for c in place_cols), func.ST_X(Place.geom), func.ST_Y(Place.geom))
        .where(Place.entity_kind == "person", Place.entity_key == child)).all(), (*place_cols, "x", "y"))

    entry_cols = ("id", "occurred_at", "kind", "summary", "source", "source_type", "evidence_grade", "inside_family")
    entries = _frame(session.execute(select(*(getattr(ChronologyEntry, c) for c in entry_cols))
                                     .where(ChronologyEntry.child_pseudonym == child)).all(), entry_cols)
    referrals = _frame(session.execute(
        select(Referral.id, Referral.purpose, Referral.created_at, Referral.expires_at, Referral.revoked_at,
               User.username).outerjoin(User, User.id == Referral.user_id)
        .where(Referral.child_pseudonym == child)).all(),
        ("id", "purpose", "created_at", "expires_at", "revoked_at", "username"))
    assessments = _frame(session.execute(
        select(Assessment.id, Assessment.kind, Assessment.created_at, Assessment.policy_version, Assessment.result,
               User.username).outerjoin(User, User.id == Assessment.user_id)
        .where(Assessment.child_pseudonym == child)).all(),
        ("id", "kind", "created_at", "policy_version", "result", "username"))

    inc_cols = ("incident_id", "category", "source", "source_type", "occurred_at", "has_time", "precision", "x", "y")
    parts = []
    for r in places[places["kind"] == "incident_location"].itertuples():
        at = _dt(r.first_seen) or _dt(r.last_seen)
        if at is None or r.x is None:
            continue
        t0 = dt.datetime(at.year, at.month, 1) - dt.timedelta(days=1)
        t1 = at + dt.timedelta(days=1)
        x, y = float(r.x), float(r.y)
        parts.append(_frame(session.execute(
            select(Incident.id, Incident.category, Incident.source, Incident.source_type, Incident.occurred_at,
                   Incident.has_time, Incident.precision, func.ST_X(Incident.geom), func.ST_Y(Incident.geom))
            .where(Incident.occurred_at >= t0, Incident.occurred_at <= t1,
                   func.ST_X(Incident.geom).between(x - match_radius_m, x + match_radius_m),
                   func.ST_Y(Incident.geom).between(y - match_radius_m, y + match_radius_m))).all(), inc_cols))
    incidents = (pd.concat(parts, ignore_index=True).drop_duplicates("incident_id") if parts
                 else pd.DataFrame(columns=list(inc_cols)))
    return ChronologyInputs(links=links, places=places, entries=entries, referrals=referrals,
                            assessments=assessments, incidents=incidents, groups=groups)


def read_chronology(
    session: Session,
    pseudonym: str,
    *,
    username: str,
    role: str,
    request_id: str,
    at: dt.datetime,
    purpose: str = "analysis",
    action: str = "chronology.view",
    as_of: dt.datetime | None = None,
) -> Chronology:
    """Read one young person's chronology and audit the read in the same transaction.

    Raises
    ------
    NotFound
        If there is no such person (nothing is audited here; the caller records refusals).
    DataSourceError
        If the audit event cannot be written: the read must then fail with the transaction.
    """
    require_person(session, pseudonym)
    inputs = load_chronology_inputs(session, pseudonym)
    chron = build_chronology(
        pseudonym, links=inputs.links, places=inputs.places, entries=inputs.entries, referrals=inputs.referrals,
        assessments=inputs.assessments, incidents=inputs.incidents, groups=inputs.groups,
        as_of=as_of if as_of is not None else at,
    )
    audit.record(session, username=username, role=role, purpose=purpose, pseudonym=str(pseudonym), action=action,
                 outcome="allowed", request_id=request_id, at=at)
    others = _children_named(session, chron, inputs.links, exclude=str(pseudonym))
    if others:  # the other children its links name: one event each, as the network page writes
        audit.record_many(session, username=username, role=role, purpose=purpose, pseudonyms=others,
                          action=f"{action}.linked", outcome="allowed", request_id=request_id, at=at)
    return chron


def _children_named(session: Session, chron: Chronology, links: pd.DataFrame, *, exclude: str) -> list[str]:
    """The other children a chronology's items name (an end of one of its links), sorted."""
    import re

    from geo_risk.store.models import Person

    keys: set[str] = set()
    if len(links):
        for end in ("from", "to"):
            people = links[links[f"{end}_kind"].astype(str) == "person"]
            keys.update(str(k) for k in people[f"{end}_key"])
    keys.discard(exclude)
    text = "\n".join(item.summary for item in chron.items)
    named = sorted(k for k in keys if k and re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text))
    if not named:
        return []
    return sorted(session.scalars(select(Person.pseudonym).where(Person.pseudonym.in_(named),
                                                                 Person.is_child.is_(True))))


def add_entry(session: Session, pseudonym: str, values: Mapping[str, Any], *, created_by: int | None,
              now: dt.datetime) -> ChronologyEntry:
    """Check and store an analyst's entry in the young person's chronology."""
    require_person(session, pseudonym)
    entry = validate_entry(values, now=now)
    row = ChronologyEntry(
        child_pseudonym=str(pseudonym), occurred_at=entry.occurred_at, kind=entry.kind, summary=entry.summary,
        evidence_grade=entry.evidence_grade, inside_family=entry.inside_family, source=entry.source,
        source_type=entry.source_type, recorded_at=now, created_by=created_by,
    )
    session.add(row)
    session.flush()
    log.info("chronology entry %s added (%s, %s)", row.id, entry.kind, entry.source_type)
    return row
