"""Brief a school (or every school), and acknowledge a notice.

The one path ``geo-risk brief`` and the school pages take: authorise, read the notices and tension
overrides live at the moment, build the briefing of the day on the shared snapshot (counts up to
00:00 of ``as_of``'s day; notices and overrides as they are at ``as_of`` itself, so a notice posted
this morning shows and counts today), audit, and return it for the caller's tier. The same notices
reach a school's level and its page: those the briefing engine matches to the school's area.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_risk.errors import AccessDenied, NotFound
from geo_risk.service.access import Actor, record_read, record_refusal
from geo_risk.service.snapshot import SnapshotData, day_of

log = logging.getLogger(__name__)

PURPOSE = "briefing"
TIERS = ("school", "analyst")


@dataclass(frozen=True)
class SchoolBriefing:
    """The outcome of :func:`brief_school` / :func:`brief_schools` for one school.

    Attributes
    ----------
    urn, tier
        The school and the tier the briefing is for.
    briefing
        The engine's :class:`~geo_risk.briefing.Briefing` (for rendering it for ``tier``).
    notices
        The live notices that reach the school, each with ``acknowledged``: by the acting
        school user (for a school user), else by anyone at the school.
    key
        What the briefing depends on besides the snapshot (a cache key).
    """

    urn: str
    tier: str
    briefing: Any
    notices: list[dict[str, Any]]
    key: str

    @functools.cached_property
    def result(self) -> dict[str, Any]:
        """``briefing.to_dict(tier)``: what ``tier`` may see."""
        return self.briefing.to_dict(self.tier)

    @property
    def level(self) -> str:
        return self.briefing.tension.level

    def to_json(self) -> str:
        return self.briefing.to_json(self.tier)


def _tier_for(session: Session, actor: Actor, urns: Iterable[str], tier: str | None, action: str | None) -> str:
    if actor.role == "school":
        if tier not in (None, "school"):
            msg = "a school user sees the school tier only"
            raise AccessDenied(msg)
        if any(u not in actor.school_urns for u in urns):
            if action:
                record_refusal(session, actor, action=action, purpose=PURPOSE)
            raise NotFound("no such school")
        return "school"
    if actor.role == "analyst" or actor.is_operator:
        chosen = tier or ("analyst" if actor.role == "analyst" else "school")
        if chosen not in TIERS:
            msg = f"tier must be one of {', '.join(TIERS)}, got {chosen!r}"
            raise ValueError(msg)
        return chosen
    msg = f"the {actor.role} role may not read school briefings"
    raise AccessDenied(msg)


def live_notices(session: Session, live_at: dt.datetime) -> list:
    """The notices live at ``live_at`` (engine :class:`~geo_risk.briefing.Notice`, with the schools they
    name and their acknowledgements)."""
    from geo_risk.store.notices import load_notices

    return load_notices(session, live_at=live_at)


def tension_overrides(session: Session) -> list:
    """The analysts' tension overrides (engine :class:`~geo_risk.briefing.TensionOverride`); the engine
    takes the latest one live at the briefing's moment."""
    from geo_risk.briefing import TensionOverride
    from geo_risk.store import models

    o = models.TensionOverride
    rows = session.execute(select(o).order_by(o.set_at, o.id))
    return [TensionOverride(urn=r.school_urn, level=r.level, reason=r.reason, set_at=r.set_at, expires_at=r.expires_at,
                            set_by=str(r.set_by) if r.set_by is not None else None) for r in rows.scalars()]


def _key(urns: str | tuple[str, ...], tier: str, day: dt.datetime, notices, overrides) -> str:
    mine = tuple((n.notice_id, str(n.valid_from), str(n.valid_to), tuple(sorted(a.urn for a in n.acknowledgements)))
                 for n in notices)
    theirs = tuple((o.urn, o.level, str(o.set_at), str(o.expires_at), o.reason) for o in overrides)
    return repr((urns, tier, day.isoformat(), mine, theirs))


def _notice_rows(briefing, actor: Actor, urn: str) -> list[dict[str, Any]]:
    out = []
    for view in briefing.notices:
        n = view.notice
        if actor.role == "school":
            acked = any(a.urn == urn and a.by == str(actor.user_id) for a in n.acknowledgements)
        else:
            acked = view.acknowledged_at is not None
        out.append({"id": int(n.notice_id) if str(n.notice_id).isdigit() else n.notice_id, "title": n.title,
                    "what_happened": n.what_happened, "what_to_do": n.what_to_do, "contact": n.contact,
                    "valid_from": n.valid_from, "valid_to": n.valid_to, "acknowledged": acked})
    return out


def brief_schools(
    session: Session,
    actor: Actor,
    data: SnapshotData,
    *,
    as_of: dt.datetime,
    urns: Sequence[str] | None = None,
    tier: str | None = None,
    previous: Mapping[str, Any] | None = None,
    action: str | None = None,
) -> dict[str, SchoolBriefing]:
    """Briefings of ``urns`` (default: every school) for the day of ``as_of``, for the actor's tier.

    Counts run up to 00:00 of ``as_of``'s day; notices and overrides are those live at ``as_of``.
    ``previous`` (URN -> a previous briefing) makes each say what changed. With ``action``, the read
    is audited (one event, no young person named).

    Raises
    ------
    NotFound
        A school not in the data, or not one of a school user's (the refusal is audited).
    AccessDenied
        A role that may not read briefings.
    """
    from geo_risk.briefing import brief_all

    snap = data.snapshot
    schools = snap.schools
    wanted = [str(u) for u in urns] if urns is not None else schools["urn"].astype(str).tolist()
    chosen = _tier_for(session, actor, wanted, tier, action)
    for urn in wanted:
        snap.school(urn)  # NotFound with a clear message
    day = day_of(as_of)
    notices = live_notices(session, as_of)
    overrides = tension_overrides(session)
    if action:
        record_read(session, actor, action=action, purpose=PURPOSE, pseudonym=None)
    selected = schools if urns is None else schools[schools["urn"].astype(str).isin(set(wanted))]

    def build(which) -> dict[str, Any]:
        return brief_all(which, snap.incidents, snap.areas, as_of=day, live_at=as_of, policy=data.policy,
                         links=snap.links, places=snap.places, groups=snap.groups, notices=notices,
                         overrides=overrides, previous=previous)

    key = _key("*" if urns is None else tuple(wanted), chosen, day, notices, overrides)
    built = build(selected) if previous else data.memo(f"briefings:{key}", lambda: build(selected))
    out = {}
    for urn, b in built.items():
        out[urn] = SchoolBriefing(urn=urn, tier=chosen, briefing=b, notices=_notice_rows(b, actor, urn), key=f"{urn}:{key}")
    return out


def brief_school(session: Session, actor: Actor, data: SnapshotData, *, urn: str, as_of: dt.datetime,
                 tier: str | None = None, action: str | None = "briefing.view") -> SchoolBriefing:
    """The briefing of one school; see :func:`brief_schools`. Built once per snapshot, day, notices
    and overrides, and kept with the snapshot."""
    return brief_schools(session, actor, data, as_of=as_of, urns=[urn], tier=tier, action=action)[str(urn)]


def acknowledge_notice(session: Session, actor: Actor, data: SnapshotData, *, urn: str, notice_id: int | str,
                       as_of: dt.datetime) -> None:
    """A school user acknowledges, for school ``urn``, a live notice that reaches it.

    Raises
    ------
    NotFound
        The school is not theirs, or the notice is not live or does not reach the school
        (the same rule that puts it on the briefing).
    """
    from geo_risk.service.access import as_id
    from geo_risk.store import models

    if actor.role != "school":
        msg = "only school users acknowledge notices"
        raise AccessDenied(msg)
    if str(urn) not in actor.school_urns:
        record_refusal(session, actor, action="notice.acknowledge", purpose=PURPOSE)
        raise NotFound("no such school")
    b = brief_school(session, actor, data, urn=urn, as_of=as_of, action=None)
    nid = as_id(notice_id)
    if nid is None or nid not in {n["id"] for n in b.notices}:
        raise NotFound("no such notice")
    a = models.NoticeAck
    exists = session.execute(select(a.id).where(a.notice_id == nid, a.user_id == actor.user_id,
                                                a.school_urn == str(urn))).first()
    if exists is None:
        session.add(a(notice_id=nid, user_id=actor.user_id, school_urn=str(urn), acknowledged_at=actor.now))
        session.flush()
