"""Fairness and evidence oversight: disproportionality monitoring and evidence reviews.

- :mod:`geo_risk.fairness.disproportionality`: relative rate index by ethnicity and sex
  with Katz confidence intervals (protected characteristics are used here and nowhere in
  scoring);
- :mod:`geo_risk.fairness.population`: the population-denominator CSV
  (``POPULATION_FORMAT.md``);
- :mod:`geo_risk.fairness.reviews`: the review queue and checked review decisions;
- :mod:`geo_risk.fairness.repository`: the thin database functions behind them.
"""

from geo_risk.fairness.disproportionality import (
    OUTCOMES,
    Disproportionality,
    RateRatio,
    disproportionality,
    katz_interval,
    person_outcomes,
    relative_rate_index,
)
from geo_risk.fairness.population import DIMENSIONS, parse_population, read_population_csv
from geo_risk.fairness.reviews import (
    ReviewChange,
    due_by_source,
    plan_auto_expiry,
    plan_confirm,
    plan_downgrade,
    plan_expire,
    review_queue,
)

__all__ = [
    "DIMENSIONS",
    "OUTCOMES",
    "Disproportionality",
    "RateRatio",
    "ReviewChange",
    "disproportionality",
    "due_by_source",
    "katz_interval",
    "parse_population",
    "person_outcomes",
    "plan_auto_expiry",
    "plan_confirm",
    "plan_downgrade",
    "plan_expire",
    "read_population_csv",
    "relative_rate_index",
    "review_queue",
]
