"""Who threatens a young person, and how strongly: adversaries and exploiters at ``as_of``.

For child *c*, with ``w(link)`` the evidence weight of a link at ``as_of`` (grade weight x
recency, zero when expired or not yet seen; see :mod:`geo_risk.network._evidence`):

- **direct**: ``c in_conflict_with X`` -> X at ``w(conflict)``;
- **group**: for each group G with ``c member_of G``: ``G in_conflict_with X`` -> X at
  ``group_conflict_factor * w(membership) * w(conflict)``; and for each other member M of G,
  ``M in_conflict_with X`` -> X at ``group_conflict_factor * w(c in G) * w(M in G) * w(conflict)``;
- **associate**: for each close associate A (``associate_link_types``, by default
  ``associates_with``): ``A in_conflict_with X`` -> X at
  ``associate_conflict_factor * w(association) * w(conflict)``.

An entity reached by several paths keeps its strongest one (paths are not added up, so
one rivalry reported three ways does not count three times). The child and the child's own
groups are never their own adversaries. **Exploiters** are the sources of ``exploits`` links
to *c*, at ``w(exploits)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo_risk.config import NetworkPolicy
from geo_risk.errors import NotFound
from geo_risk.network._time import as_timestamp
from geo_risk.network.graph import Node, PeerNetwork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Adversary:
    """A person or group in conflict with the young person, directly or through others.

    Attributes
    ----------
    entity_kind
        ``"person"`` or ``"group"``.
    key
        Pseudonym or group code.
    weight
        Strength of the threat in 0..1 (factor x product of the path's link weights).
    route
        ``"direct"``, ``"group"`` or ``"associate"``.
    path
        Link ids from the young person to the adversary, in order.
    """

    entity_kind: str
    key: str
    weight: float
    route: str
    path: tuple[str, ...]

    @property
    def node(self) -> Node:
        return (self.entity_kind, self.key)


@dataclass(frozen=True)
class Exploiter:
    """A person or group with a live ``exploits`` link to the young person."""

    entity_kind: str
    key: str
    weight: float
    path: tuple[str, ...]

    @property
    def node(self) -> Node:
        return (self.entity_kind, self.key)


@dataclass(frozen=True)
class Exposure:
    """The young person's adversaries and exploiters at ``as_of``, strongest first.

    ``links`` holds the ids of every live link on the returned paths (sorted): the network
    evidence the result rests on.
    """

    child: str
    as_of: pd.Timestamp
    adversaries: tuple[Adversary, ...]
    exploiters: tuple[Exploiter, ...]
    groups: tuple[str, ...]
    links: tuple[str, ...]


def find_exposure(network: PeerNetwork, child: str, as_of: Any, policy: NetworkPolicy) -> Exposure:
    """Adversaries and exploiters of ``child`` at ``as_of``.

    Parameters
    ----------
    network
        The snapshot's peer graph (:func:`geo_risk.network.build_network`).
    child
        The young person's pseudonym.
    as_of
        The date the question is asked for; links are weighed and filtered at this date.
    policy
        The ``[network]`` policy section.

    Returns
    -------
    Exposure

    Raises
    ------
    NotFound
        If the pseudonym is not a person in the snapshot.
    """
    as_of = as_timestamp(as_of)
    node: Node = ("person", str(child))
    graph = network.graph
    if node not in graph:
        msg = f"no person with pseudonym {child!r} in the snapshot; check the pseudonym (e.g. 'YP-0042')"
        raise NotFound(msg)
    weights = network.link_weights(as_of, policy).tolist()
    associate_types = frozenset(policy.associate_link_types)
    incident = network.incident

    def edges(n: Node):
        """Live links of ``n``: ``(neighbour, link_id, type, n is the from end, weight)``."""
        for nbr, link_id, row, kind, outgoing in incident.get(n, ()):
            w = weights[row]
            if w > 0.0:
                yield nbr, link_id, kind, outgoing, w

    groups: dict[Node, tuple[float, str]] = {}
    associates: dict[Node, tuple[float, str]] = {}
    exploiters: dict[Node, tuple[float, tuple[str, ...]]] = {}
    direct: list[tuple[Node, float, str]] = []
    for nbr, link_id, kind, outgoing, w in edges(node):
        if kind == "member_of" and outgoing and nbr != node:
            _keep_best(groups, nbr, w, link_id)
        elif kind == "in_conflict_with":
            direct.append((nbr, w, link_id))
        elif kind == "exploits" and not outgoing:
            _keep_best(exploiters, nbr, w, (link_id,))
        if kind in associate_types and nbr != node:
            _keep_best(associates, nbr, w, link_id)

    excluded = {node, *groups}
    best: dict[Node, tuple[float, tuple[str, ...], str]] = {}

    def offer(target: Node, w: float, route: str, path: tuple[str, ...]) -> None:
        if target in excluded or w <= 0.0:
            return
        current = best.get(target)
        if current is None or w > current[0] or (w == current[0] and path < current[1]):
            best[target] = (w, path, route)

    for nbr, w, link_id in direct:
        offer(nbr, w, "direct", (link_id,))
    g_factor = float(policy.group_conflict_factor)
    for group, (w_member, member_link) in sorted(groups.items()):
        for nbr, link_id, kind, outgoing, w in edges(group):
            if kind == "in_conflict_with":
                offer(nbr, g_factor * w_member * w, "group", (member_link, link_id))
            elif kind == "member_of" and not outgoing and nbr != node:
                for rival, conflict_id, kind2, _, w2 in edges(nbr):
                    if kind2 == "in_conflict_with":
                        offer(rival, g_factor * w_member * w * w2, "group", (member_link, link_id, conflict_id))
    a_factor = float(policy.associate_conflict_factor)
    for associate, (w_assoc, assoc_link) in sorted(associates.items()):
        for nbr, link_id, kind, _, w in edges(associate):
            if kind == "in_conflict_with":
                offer(nbr, a_factor * w_assoc * w, "associate", (assoc_link, link_id))

    adversaries = tuple(
        sorted(
            (Adversary(k[0], k[1], w, route, path) for k, (w, path, route) in best.items()),
            key=lambda a: (-a.weight, a.entity_kind, a.key),
        )
    )
    exploit = tuple(
        sorted(
            (Exploiter(k[0], k[1], w, path) for k, (w, path) in exploiters.items()),
            key=lambda e: (-e.weight, e.entity_kind, e.key),
        )
    )
    link_ids = sorted({lid for a in adversaries for lid in a.path} | {lid for e in exploit for lid in e.path})
    log.debug("exposure: %d adversaries, %d exploiters", len(adversaries), len(exploit))
    return Exposure(
        child=str(child),
        as_of=as_of,
        adversaries=adversaries,
        exploiters=exploit,
        groups=tuple(sorted(g[1] for g in groups)),
        links=tuple(link_ids),
    )


def _keep_best(store: dict, key: Node, w: float, value: Any) -> None:
    current = store.get(key)
    if current is None or w > current[0] or (w == current[0] and value < current[1]):
        store[key] = (w, value)
