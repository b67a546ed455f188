"""Peer network: the graph of people, peer groups and links; who threatens a young person; activity spaces.

Build once per data snapshot::

    network = build_network(people, groups, links)
    places = PlaceIndex.from_frame(places_gdf)

then, per young person and date::

    exposure = find_exposure(network, "YP-0042", as_of, policy.network)

Everything here is pure: data in, frozen results out; ``as_of`` is always explicit.
"""

from geo_risk.network.activity import (
    ExposureField,
    FieldValues,
    PlaceIndex,
    activity_field,
    group_members,
    site_field,
)
from geo_risk.network.exposure import Adversary, Exploiter, Exposure, find_exposure
from geo_risk.network.graph import PeerNetwork, build_network

__all__ = [
    "Adversary",
    "Exploiter",
    "Exposure",
    "ExposureField",
    "FieldValues",
    "PeerNetwork",
    "PlaceIndex",
    "activity_field",
    "build_network",
    "find_exposure",
    "group_members",
    "site_field",
]
