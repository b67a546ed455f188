"""The core keeps no state between calls (no module-level caches such as a digest cache)."""

from __future__ import annotations

import gc
import importlib
import pkgutil
import weakref
from datetime import datetime

import numpy as np
import pytest

import geo_risk.network
import geo_risk.routing
import geo_risk.scoring
from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.scoring import ScoringSnapshot, assess_location
from tests.scoring._world import AS_OF, X0, Y0, conflict

CORE = (geo_risk.network, geo_risk.scoring, geo_risk.routing)


def _modules():
    for package in CORE:
        yield package
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            yield importlib.import_module(info.name)


@pytest.mark.parametrize("module", list(_modules()), ids=lambda m: m.__name__)
def test_no_module_level_mutable_containers(module):
    """A module-level dict/list/set in the core is hidden state (or a constant one edit away from it)."""
    mutable = {
        name
        for name, value in vars(module).items()
        if not name.startswith("__") and type(value) in (dict, list, set, bytearray)
    }
    assert mutable == set()


def _fresh_policy() -> Policy:
    return Policy.from_dict(Policy.default().to_dict())


def test_scoring_keeps_no_reference_to_a_policy_after_the_call(world):
    policy = _fresh_policy()
    ref = weakref.ref(policy)
    frames = world(links=[conflict("L1", "YP-1", "YP-2", evidence_grade="A")])
    a = assess_location("YP-1", (X0, Y0), AS_OF, policy, area_percentile=5.0, **frames)
    context = ScoringSnapshot.from_frames(**frames).context("YP-1", AS_OF, policy)
    assert context.policy_digest == policy.digest  # computed once, kept on the context
    assert a.band == "Very high"
    del policy, context
    gc.collect()
    assert ref() is None  # nothing in the core held on to it


def test_routing_keeps_no_reference_to_a_policy_after_the_call():
    from geo_risk.routing import assess_route, build_walk_graph
    from tests.routing.helpers import X0 as RX
    from tests.routing.helpers import Y0 as RY
    from tests.routing.helpers import grid_streets

    policy = _fresh_policy()
    ref = weakref.ref(policy)
    graph = build_walk_graph(grid_streets(4), sample_step_m=policy.routing.sample_step_m)
    result = assess_route("YP-1", EastNorth(RX, RY + 100), EastNorth(RX + 300, RY + 100), datetime(2026, 11, 1),
                          policy, graph=graph, risk_fn=lambda xy: np.full(len(xy), 0.02))
    assert result.policy_digest == policy.digest
    del policy
    gc.collect()
    assert ref() is None


def test_surface_warning_only_for_a_surface_from_another_day(caplog):
    """Checks are made as of now while surfaces are fitted once a day: same day is silent."""
    import logging
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from geo_risk.scoring.context import ScoringContext

    surface = SimpleNamespace(as_of_=pd.Timestamp("2026-11-26"), percentile_at=lambda xy: np.zeros(len(xy)))
    snapshot = SimpleNamespace(surface=surface, surface_fingerprint="f")
    xy = np.zeros((2, 2))
    for as_of, warned in ((pd.Timestamp("2026-11-26 14:05"), False), (pd.Timestamp("2026-11-27 09:00"), True)):
        ctx = object.__new__(ScoringContext)
        object.__setattr__(ctx, "snapshot", snapshot)
        object.__setattr__(ctx, "as_of", as_of)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="geo_risk.scoring.context"):
            ctx._area_percentiles(xy, None)
        assert any("fitted at" in r.getMessage() for r in caplog.records) is warned
