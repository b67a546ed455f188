"""The peer graph: people and peer groups joined by typed, evidenced links.

Nodes are ``(entity_kind, key)`` pairs, e.g. ``("person", "YP-0042")`` or
``("group", "G07")``. Each link is one edge of a :class:`networkx.MultiGraph`
keyed by its ``link_id``; the edge keeps the link's direction (``source`` node)
because ``exploits`` (exploiter -> victim) and ``member_of`` (person -> group)
are directed while ``associates_with``, ``in_conflict_with`` and ``family`` are
symmetric.

Only pseudonyms, the ``is_child`` flag and group labels reach the graph:
protected characteristics (sex, ethnicity, religion) are never read.

A link without an evidence grade, a source or ``expires_at`` stays in the graph (so the
data-quality and review tools can see it) but is never live: its weight is 0 at every date
(the liveness rule of :mod:`geo_risk.contract`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from geo_risk.config import NetworkPolicy
from geo_risk.contract import ENTITY_KINDS, LINK_TYPES
from geo_risk.errors import ValidationError
from geo_risk.network._evidence import EvidenceArrays
from geo_risk.network._time import as_timestamp, timestamp_days

log = logging.getLogger(__name__)

LINK_COLUMNS = ("link_id", "from_kind", "to_kind", "from_key", "to_key", "type")

Node = tuple[str, str]
Incidence = tuple[Node, str, int, str, bool]


@dataclass(frozen=True, eq=False)
class PeerNetwork:
    """The peer graph of one data snapshot, with its links' evidence as arrays.

    Build it once per snapshot with :func:`build_network`; per-child questions
    (:func:`geo_risk.network.find_exposure`) then cost a few dictionary look-ups.

    Attributes
    ----------
    graph
        ``MultiGraph`` with nodes ``(kind, key)``; edge key ``link_id``; edge data
        ``row`` (index into the arrays), ``type`` and ``source`` (the ``from`` node).
    evidence
        Grades and dates of every link, aligned with ``row``.
    link_type
        Link type of every row.
    row_of
        Row of each ``link_id``.
    incident
        For each node, its links as ``(neighbour, link_id, row, type, outgoing)`` with
        ``outgoing`` true when the node is the link's ``from`` end: the same facts as
        ``graph``, in plain tuples for fast per-child traversal.
    """

    graph: nx.MultiGraph
    evidence: EvidenceArrays
    link_type: np.ndarray
    row_of: Mapping[str, int]
    incident: Mapping[Node, tuple[Incidence, ...]]

    def link_weights(self, as_of: Any, policy: NetworkPolicy) -> np.ndarray:
        """Evidence weight of every link at ``as_of`` (zero for links that are not live)."""
        t = timestamp_days(as_timestamp(as_of))
        return self.evidence.weights(t, policy.grade_weights, policy.link_half_life_days)


def build_network(people: pd.DataFrame, groups: pd.DataFrame, links: pd.DataFrame) -> PeerNetwork:
    """Build the peer graph from the snapshot's people, groups and links.

    Parameters
    ----------
    people
        Data-contract ``people`` frame; only ``pseudonym`` and ``is_child`` are read.
    groups
        Data-contract ``groups`` frame (``code``, ``label``).
    links
        Data-contract ``links`` frame.

    Returns
    -------
    PeerNetwork

    Raises
    ------
    ValidationError
        If columns are missing, or links have an unknown type or entity kind, or a
        duplicate ``link_id`` (all problems are reported at once).
    """
    _require_columns(people, ("pseudonym",), "people")
    _require_columns(groups, ("code",), "groups")
    _require_columns(links, LINK_COLUMNS, "links")
    links = links.reset_index(drop=True)
    problems = _link_problems(links)
    if problems:
        msg = "links: " + "; ".join(problems) + "; fix these rows and load the snapshot again"
        raise ValidationError(msg)

    graph = nx.MultiGraph()
    is_child = people["is_child"].astype(bool) if "is_child" in people.columns else pd.Series(False, people.index)
    graph.add_nodes_from(
        (("person", str(p)), {"is_child": bool(c)}) for p, c in zip(people["pseudonym"], is_child, strict=True)
    )
    labels = groups["label"] if "label" in groups.columns else groups["code"]
    graph.add_nodes_from(
        (("group", str(g)), {"label": str(lab)}) for g, lab in zip(groups["code"], labels, strict=True)
    )

    sources = list(zip(links["from_kind"].astype(str), links["from_key"].astype(str), strict=True))
    targets = list(zip(links["to_kind"].astype(str), links["to_key"].astype(str), strict=True))
    types = links["type"].astype(str).to_numpy(dtype=object)
    ids = links["link_id"].astype(str).to_numpy(dtype=object)
    unknown_nodes = {n for n in (*sources, *targets) if n not in graph}
    if unknown_nodes:
        log.warning("%d linked entities are not in people/groups; added as bare nodes", len(unknown_nodes))
    graph.add_edges_from(
        (u, v, k, {"row": i, "type": t, "source": u})
        for i, (u, v, k, t) in enumerate(zip(sources, targets, ids, types, strict=True))
    )
    evidence = EvidenceArrays.from_frame(links, "link_id", "links")
    log.debug("peer graph: %d nodes, %d links", graph.number_of_nodes(), graph.number_of_edges())
    row_of = {str(k): i for i, k in enumerate(ids)}
    incident: dict[Node, list[Incidence]] = {}
    for i, (u, v, k, t) in enumerate(zip(sources, targets, ids, types, strict=True)):
        incident.setdefault(u, []).append((v, str(k), i, str(t), True))
        incident.setdefault(v, []).append((u, str(k), i, str(t), False))
    return PeerNetwork(
        graph=graph,
        evidence=evidence,
        link_type=types,
        row_of=row_of,
        incident={n: tuple(edges) for n, edges in incident.items()},
    )


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} lacks column(s) {', '.join(missing)}; see the data contract in the README"
        raise ValidationError(msg)


def _link_problems(links: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    ids = links["link_id"].astype(str)

    def rows(mask: pd.Series) -> str:
        bad = ids[mask.to_numpy()].tolist()
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        return ", ".join(bad[:5]) + more

    bad_type = ~links["type"].isin(LINK_TYPES)
    if bad_type.any():
        problems.append(f"type must be one of {', '.join(LINK_TYPES)} (rows {rows(bad_type)})")
    for side in ("from_kind", "to_kind"):
        bad_kind = ~links[side].isin(ENTITY_KINDS)
        if bad_kind.any():
            problems.append(f"{side} must be 'person' or 'group' (rows {rows(bad_kind)})")
    bad_member = links["type"].eq("member_of") & ~(links["from_kind"].eq("person") & links["to_kind"].eq("group"))
    if bad_member.any():
        problems.append(f"member_of must link a person to a group (rows {rows(bad_member)})")
    dup = ids.duplicated(keep=False)
    if dup.any():
        problems.append(f"link_id must be unique (rows {rows(dup)})")
    return problems
