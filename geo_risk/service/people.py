"""Reading young people's records: the list, and one young person's network, places and chronology.

Analysts only (and the CLI operator). Every young person a read shows gets one audit event in the
read's transaction: the young person asked for under ``action``, every other child the network
shows under ``action + ".linked"``. An id that names no young person is NotFound, audited as a
refused read. The page and the API call the same use case, so they audit the same people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_risk.errors import NotFound
from geo_risk.network.ego import ego_network
from geo_risk.service.access import Actor, as_id, record_reads, record_refusal, require_role
from geo_risk.service.snapshot import SnapshotData
from geo_risk.store.models import Assessment, ChronologyEntry, Person

PURPOSE = "analysis"
CHRONOLOGY_LIMIT = 500
DECISIONS_LIMIT = 50


@dataclass(frozen=True)
class ChronologyItem:
    occurred_at: dt.datetime
    kind: str
    summary: str
    evidence_grade: str | None
    source_type: str | None


@dataclass(frozen=True)
class DecisionSummary:
    id: int
    kind: str
    created_at: dt.datetime
    policy_version: str


@dataclass(frozen=True)
class YoungPersonListing:
    id: int
    pseudonym: str
    cce_concern: bool
    cse_concern: bool
    looked_after: bool


@dataclass(frozen=True)
class YoungPersonRecord:
    """One young person as an analyst reads them, at the snapshot's ``as_of``.

    ``network`` is their neighbourhood (:func:`geo_risk.network.ego.ego_network`): nodes are
    ``(kind, key)`` with ``label`` and ``hops``; edges carry ``type``, ``grade`` and ``live`` by the data
    contract's rule. ``linked`` are the other children it shows, each audited.
    """

    id: int
    pseudonym: str
    flags: Mapping[str, bool]
    chronology: tuple[ChronologyItem, ...]
    decisions: tuple[DecisionSummary, ...]
    network: nx.MultiGraph
    linked: tuple[str, ...]
    as_of: pd.Timestamp

    @property
    def keys(self) -> set[str]:
        """The keys of every person and peer group in :attr:`network`."""
        return {n[1] for n in self.network.nodes}


def children_among(session: Session, keys: Iterable[Any]) -> list[str]:
    """The pseudonyms in ``keys`` that belong to children, in the order given (group codes drop out)."""
    # k == k drops NaN keys (NaN is the one value not equal to itself); any other key is kept
    wanted = list(dict.fromkeys(str(k) for k in keys if k is not None and k == k))  # noqa: PLR0124
    found: set[str] = set()
    for i in range(0, len(wanted), 500):  # stay under the backends' bound-parameter limits
        found.update(session.scalars(
            select(Person.pseudonym).where(Person.pseudonym.in_(wanted[i:i + 500]), Person.is_child.is_(True))))
    return [k for k in wanted if k in found]


def list_young_people(session: Session, actor: Actor, *, action: str = "people.list",
                      limit: int = 2000) -> list[YoungPersonListing]:
    """The young people on record, by pseudonym; one audit event for each one listed."""
    require_role(actor, "analyst", what="list young people")
    rows = session.scalars(select(Person).where(Person.is_child.is_(True)).order_by(Person.pseudonym)
                           .limit(limit)).all()
    record_reads(session, actor, action=action, purpose=PURPOSE, pseudonyms=[p.pseudonym for p in rows])
    return [YoungPersonListing(p.id, p.pseudonym, bool(p.cce_concern), bool(p.cse_concern), bool(p.looked_after))
            for p in rows]


def read_young_person(session: Session, actor: Actor, data: SnapshotData, *, person_id: int | str,
                      action: str = "network.view") -> YoungPersonRecord:
    """Young person ``person_id``: flags, chronology, decision records and peer network at ``data.as_of``.

    Raises
    ------
    AccessDenied
        Not an analyst (or the CLI operator).
    NotFound
        No young person has this id (audited as a refused read).
    """
    require_role(actor, "analyst", what="read a young person's network or chronology")
    pid = as_id(person_id)
    person = session.get(Person, pid) if pid is not None else None
    if person is None or not person.is_child:
        record_refusal(session, actor, action=action, purpose=PURPOSE)
        raise NotFound("no such young person")
    pseudonym = person.pseudonym
    chronology = tuple(
        ChronologyItem(c.occurred_at, c.kind, c.summary, c.evidence_grade, c.source_type)
        for c in session.scalars(select(ChronologyEntry).where(ChronologyEntry.child_pseudonym == pseudonym)
                                 .order_by(ChronologyEntry.occurred_at.desc()).limit(CHRONOLOGY_LIMIT)))
    decisions = tuple(
        DecisionSummary(a.id, a.kind, a.created_at, a.policy_version)
        for a in session.scalars(select(Assessment).where(Assessment.child_pseudonym == pseudonym)
                                 .order_by(Assessment.id.desc()).limit(DECISIONS_LIMIT)))
    snap = data.snapshot
    network = ego_network(snap.links, snap.groups, pseudonym, data.as_of)
    others = sorted(str(n[1]) for n in network.nodes if n[0] == "person" and n[1] != pseudonym)
    linked = tuple(children_among(session, others))
    record_reads(session, actor, action=action, purpose=PURPOSE, pseudonyms=[pseudonym])
    if linked:
        record_reads(session, actor, action=f"{action}.linked", purpose=PURPOSE, pseudonyms=linked)
    flags = {"CCE concern": bool(person.cce_concern), "CSE concern": bool(person.cse_concern),
             "looked after": bool(person.looked_after)}
    return YoungPersonRecord(id=person.id, pseudonym=pseudonym, flags=flags, chronology=chronology,
                             decisions=decisions, network=network, linked=linked, as_of=pd.Timestamp(data.as_of))
