"""A young person's neighbourhood in the peer network, as analysts see it drawn and listed."""

from __future__ import annotations

import networkx as nx
import pandas as pd

from geo_risk.contract import live_mask


def ego_network(links: pd.DataFrame, groups: pd.DataFrame, pseudonym: str, as_of, *, radius: int = 2,
                max_nodes: int = 60) -> nx.MultiGraph:
    """The young person's neighbourhood over links, each marked live or not by the data contract's rule."""
    g = nx.MultiGraph()
    if not len(links):
        g.add_node(("person", pseudonym))
        return g
    as_of = pd.Timestamp(as_of)
    live = live_mask(links, as_of)
    for row, is_live in zip(links.itertuples(index=False), live, strict=True):
        a, b = (row.from_kind, row.from_key), (row.to_kind, row.to_key)
        g.add_edge(a, b, key=row.link_id, type=row.type, grade=row.evidence_grade, live=bool(is_live),
                   source=a)
    me = ("person", pseudonym)
    if me not in g:
        g.add_node(me)
        return g
    keep = nx.single_source_shortest_path_length(g, me, cutoff=radius)
    nodes = sorted(keep, key=lambda n: (keep[n], n))[:max_nodes]
    sub = g.subgraph(nodes).copy()
    labels = dict(zip(groups["code"], groups["label"], strict=False)) if len(groups) else {}
    for node in sub.nodes:
        sub.nodes[node]["label"] = labels.get(node[1], node[1]) if node[0] == "group" else node[1]
        sub.nodes[node]["hops"] = keep[node]
    return sub
