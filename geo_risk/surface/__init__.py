"""Area intensity: time-decayed kernel density of incidents, point queries, grids, back-testing.

``IntensitySurface(policy.surface).fit(incidents, as_of)`` is the estimator; see
:mod:`geo_risk.surface.intensity`. Back-testing (hit rate, PAI) is in
:mod:`geo_risk.surface.evaluate`.
"""

from geo_risk.surface.grid import IntensityGrid
from geo_risk.surface.intensity import IntensitySurface, KernelTerm, policy_terms

__all__ = ["IntensityGrid", "IntensitySurface", "KernelTerm", "policy_terms"]
