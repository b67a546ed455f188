"""The promises hold for other seeds too, not just the one the other tests use."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse import csgraph

from geo_risk.synth import draw_city
from geo_risk.synth._spec import SIZES

SPEC = SIZES["small"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_for_other_seeds(seed: int) -> None:
    c = draw_city(seed=seed, size="small")
    s, w = c.streets, c.world
    walk = s.walkable
    n = len(s.xy)
    # one walk network, dead ends, few crossings
    g = sparse.coo_matrix((np.ones(int(walk.sum())), (s.u[walk], s.v[walk])), shape=(n, n)).tocsr()
    used = np.zeros(n, dtype=bool)
    used[s.u[walk]] = used[s.v[walk]] = True
    _, labels = csgraph.connected_components(g, directed=False)
    assert np.bincount(labels[used]).max() >= 0.97 * used.sum()
    deg = np.bincount(np.r_[s.u[walk], s.v[walk]], minlength=n)
    assert (deg[used] == 1).mean() > 0.05
    side = w.river_side(s.xy[:, 0], s.xy[:, 1])
    assert (walk & (side[s.u] != side[s.v])).sum() == SPEC.bridges
    # the network and the quirks come out at the requested sizes
    lk = c.peers.links
    gg = (lk["type"] == "in_conflict_with") & (lk["from_kind"] == "group") & (lk["to_kind"] == "group")
    assert (gg & (lk["status"] == "live")).sum() == SPEC.rivalries
    assert len(lk["link_id"]) == SPEC.links
    assert len(c.no_location) == SPEC.no_location_rows and len(c.duplicated) == SPEC.duplicate_rows
    purposes = [k.purpose for k in c.cases]
    assert purposes.count("placement") == SPEC.placement_cases
    assert purposes.count("route") == SPEC.route_cases
    # incidents concentrate
    xy = c.snaps.xy[c.incidents.snap]
    x0, y0, x1, y1 = c.areas.lad_geom.bounds
    nx = int(np.ceil((x1 - x0) / 250))
    cells = ((xy[:, 1] - y0) // 250).astype(int) * nx + ((xy[:, 0] - x0) // 250).astype(int)
    counts = np.sort(np.bincount(cells, minlength=nx * int(np.ceil((y1 - y0) / 250))))[::-1]
    assert counts[: int(np.ceil(0.05 * len(counts)))].sum() / counts.sum() > 0.30
