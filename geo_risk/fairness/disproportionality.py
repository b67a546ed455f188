"""Disproportionality: the relative rate index (RRI) with Katz confidence intervals.

For an outcome (young people *flagged* with a CCE or CSE concern, *referred* for a
placement or route check, or *assessed* High or worse) and a dimension (``ethnicity`` or
``sex``), the rate of group g is::

    rate_g = events_g / population_g

where ``events_g`` counts distinct young people of group g with the outcome and
``population_g`` is the group's population denominator, summed over the areas compared.
The relative rate index is ``RRI_g = rate_g / rate_ref`` against a reference group. Its
confidence interval is Katz's log-normal approximation::

    se = sqrt(1/a - 1/n1 + 1/c - 1/n0)
    [exp(ln RRI - z se), exp(ln RRI + z se)]

with ``a`` events in the group out of ``n1`` and ``c`` events in the reference out of
``n0``. An index is flagged ``significant`` when the interval's lower bound is above 1:
partners should look at why that group meets the outcome more often than its share of the
population. Where a group or the reference has no events the interval cannot be estimated
and is left empty.

Protected characteristics are used here, for monitoring, and nowhere in scoring.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from geo_risk.errors import ValidationError
from geo_risk.fairness.population import DIMENSIONS

log = logging.getLogger(__name__)

OUTCOMES = ("flagged", "referred", "assessed_high")
OUTCOME_LABELS = {
    "flagged": "flagged with a CCE or CSE concern",
    "referred": "referred for a placement or route check",
    "assessed_high": "assessed High or worse",
}
DEFAULT_HIGH_BANDS = ("High", "Very high")
ALL_AREAS = "all"


@dataclass(frozen=True)
class RateRatio:
    """One group's relative rate index for one outcome.

    Attributes
    ----------
    dimension, outcome, area
        What is compared, and where (``"all"`` for every area together).
    group, reference
        The group and the reference group.
    events, population, rate
        Young people of the group with the outcome, the group's denominator, and their
        ratio (``NaN`` when the denominator is 0).
    reference_events, reference_population, reference_rate
        The same for the reference group.
    rri
        ``rate / reference_rate`` (``NaN`` when the reference rate is 0 or undefined).
    ci_low, ci_high
        Katz interval at ``confidence`` (``NaN`` where it cannot be estimated).
    significant
        True when ``ci_low > 1``.
    note
        Why an interval is missing, or a caution; empty otherwise.
    """

    dimension: str
    outcome: str
    area: str
    group: str
    reference: str
    events: int
    population: int
    rate: float
    reference_events: int
    reference_population: int
    reference_rate: float
    rri: float
    ci_low: float
    ci_high: float
    confidence: float
    significant: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        def num(x: float, digits: int) -> float | None:
            return None if not math.isfinite(x) else round(float(x), digits)

        return {
            "dimension": self.dimension,
            "outcome": self.outcome,
            "area": self.area,
            "group": self.group,
            "reference": self.reference,
            "events": self.events,
            "population": self.population,
            "rate_per_1000": num(self.rate * 1000.0, 4),
            "reference_events": self.reference_events,
            "reference_population": self.reference_population,
            "reference_rate_per_1000": num(self.reference_rate * 1000.0, 4),
            "rri": num(self.rri, 4),
            "ci_low": num(self.ci_low, 4),
            "ci_high": num(self.ci_high, 4),
            "confidence": self.confidence,
            "significant": self.significant,
            "note": self.note,
        }


@dataclass(frozen=True)
class Disproportionality:
    """Relative rate indices for one dimension, every outcome asked for.

    Attributes
    ----------
    dimension, reference
        The dimension and the reference group.
    ratios
        One :class:`RateRatio` per outcome, area and group (reference included, RRI 1).
    young_people
        Young people counted (child, with a known group, in a compared area).
    excluded_no_area
        Young people left out because their home area is unknown or has no denominator.
    excluded_unknown_group
        Young people left out because their group is missing or not in the denominators.
    """

    dimension: str
    reference: str
    ratios: tuple[RateRatio, ...]
    young_people: int
    excluded_no_area: int
    excluded_unknown_group: int
    confidence: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """The ratios as a table, one row per outcome, area and group."""
        columns = list(RateRatio.__dataclass_fields__)
        if not self.ratios:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self.ratios], columns=columns)

    @property
    def flagged(self) -> tuple[RateRatio, ...]:
        """Ratios significantly above 1."""
        return tuple(r for r in self.ratios if r.significant)


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence`` (0.95 -> 1.95996...)."""
    if not 0.0 < confidence < 1.0:
        msg = f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence!r}"
        raise ValidationError(msg)
    return float(norm.ppf(0.5 + confidence / 2.0))


def katz_interval(
    a: np.ndarray | int, n1: np.ndarray | int, c: np.ndarray | int, n0: np.ndarray | int, *, z: float = 1.959963984540054
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate ratio ``(a/n1)/(c/n0)`` and its Katz log-normal interval, vectorised.

    Returns
    -------
    rr, low, high
        Arrays; ``NaN`` where the ratio or its interval is undefined (a zero count or
        denominator).
    """
    a = np.asarray(a, dtype=float)
    n1 = np.asarray(n1, dtype=float)
    c = np.asarray(c, dtype=float)
    n0 = np.asarray(n0, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate1 = np.where(n1 > 0, a / n1, np.nan)
        rate0 = np.where(n0 > 0, c / n0, np.nan)
        rr = np.where(rate0 > 0, rate1 / rate0, np.nan)
        ok = (a > 0) & (c > 0) & (n1 > 0) & (n0 > 0) & (a <= n1) & (c <= n0)
        var = 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n0
        se = np.sqrt(np.where(ok, np.maximum(var, 0.0), np.nan))
        log_rr = np.log(np.where(ok, rr, np.nan))
        low = np.exp(log_rr - z * se)
        high = np.exp(log_rr + z * se)
    return rr, low, high


def relative_rate_index(
    counts: pd.DataFrame,
    *,
    reference: str,
    dimension: str = "",
    outcome: str = "",
    area: str = ALL_AREAS,
    confidence: float = 0.95,
) -> tuple[RateRatio, ...]:
    """RRI of every group against ``reference`` from a table of counts.

    Parameters
    ----------
    counts
        Columns ``group``, ``events`` and ``population``, one row per group.
    reference
        The reference group (must be a row of ``counts``).
    dimension, outcome, area
        Labels copied to the results.
    confidence
        Two-sided confidence level of the Katz interval.

    Returns
    -------
    tuple of RateRatio
        In the order of ``counts``.
    """
    for col in ("group", "events", "population"):
        if col not in counts.columns:
            msg = f"counts table lacks column {col!r}; it needs group, events and population"
            raise ValidationError(msg)
    groups = counts["group"].astype(str).to_numpy()
    if reference not in set(groups):
        msg = f"reference group {reference!r} is not among the groups: {', '.join(sorted(set(groups)))}"
        raise ValidationError(msg)
    events = counts["events"].to_numpy(dtype="int64")
    pop = counts["population"].to_numpy(dtype="int64")
    ref_i = int(np.flatnonzero(groups == reference)[0])
    c, n0 = int(events[ref_i]), int(pop[ref_i])
    z = z_value(confidence)
    rr, low, high = katz_interval(events, pop, c, n0, z=z)
    low[ref_i] = high[ref_i] = np.nan  # the reference against itself has no interval
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(pop > 0, events / np.maximum(pop, 1), np.nan)
    ref_rate = c / n0 if n0 > 0 else math.nan
    out = []
    for i, g in enumerate(groups):
        note = _note(int(events[i]), int(pop[i]), c, n0, is_reference=(i == ref_i))
        out.append(
            RateRatio(
                dimension=dimension, outcome=outcome, area=area, group=str(g), reference=reference,
                events=int(events[i]), population=int(pop[i]), rate=float(rates[i]),
                reference_events=c, reference_population=n0, reference_rate=float(ref_rate),
                rri=float(rr[i]), ci_low=float(low[i]), ci_high=float(high[i]), confidence=confidence,
                significant=bool(np.isfinite(low[i]) and low[i] > 1.0 and i != ref_i), note=note,
            )
        )
    return tuple(out)


def _note(a: int, n1: int, c: int, n0: int, *, is_reference: bool) -> str:
    if n1 <= 0 and a > 0:
        return "events but no population: check that group labels match the denominators"
    if n1 <= 0:
        return "no population in this group"
    if a > n1:
        return "more events than population: check the denominators"
    if n0 <= 0 or c == 0:
        return "no events in the reference group: the index cannot be estimated"
    if is_reference:
        return "reference group"
    if a == 0:
        return "no events in this group: the interval cannot be estimated"
    if a < 5:
        return "fewer than 5 events: read with caution"
    return ""


# --------------------------------------------------------------------------- outcomes


def worst_band(result: Any, bands: Sequence[str]) -> str | None:
    """The worst band named anywhere in an assessment result (JSON), by ``bands`` order."""
    rank = {b.casefold(): i for i, b in enumerate(bands)}
    best: int | None = None
    stack = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            band = item.get("band")
            if isinstance(band, str) and band.casefold() in rank:
                r = rank[band.casefold()]
                best = r if best is None or r > best else best
            stack.extend(v for k, v in item.items() if isinstance(v, (Mapping, list, tuple)))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None if best is None else bands[best]


def person_outcomes(
    people: pd.DataFrame,
    referrals: pd.DataFrame,
    assessments: pd.DataFrame,
    *,
    bands: Sequence[str] = ("Low", "Medium", "High", "Very high"),
    high_bands: Iterable[str] = DEFAULT_HIGH_BANDS,
) -> pd.DataFrame:
    """Which young people were flagged, referred and assessed High or worse.

    Parameters
    ----------
    people
        ``pseudonym``, ``cce_concern``, ``cse_concern`` (and any other columns, kept).
    referrals
        ``child_pseudonym`` (one row per referral).
    assessments
        ``child_pseudonym`` and ``result`` (the stored result JSON, as a dict).
    bands
        Band names from lowest to highest (the scoring policy's ``bands``).
    high_bands
        Bands that count as "High or worse".

    Returns
    -------
    pandas.DataFrame
        ``people`` with boolean columns ``flagged``, ``referred`` and ``assessed_high``.
    """
    out = people.copy()
    cce = out["cce_concern"].fillna(False).astype(bool) if "cce_concern" in out else False
    cse = out["cse_concern"].fillna(False).astype(bool) if "cse_concern" in out else False
    out["flagged"] = np.asarray(cce | cse, dtype=bool) if len(out) else np.zeros(0, dtype=bool)
    referred = set(referrals["child_pseudonym"].astype(str)) if len(referrals) else set()
    out["referred"] = out["pseudonym"].astype(str).isin(referred).to_numpy(dtype=bool)
    high = {b.casefold() for b in high_bands}
    assessed: set[str] = set()
    if len(assessments):
        for child, result in zip(assessments["child_pseudonym"], assessments["result"], strict=True):
            band = worst_band(result, bands)
            if band is not None and band.casefold() in high:
                assessed.add(str(child))
    out["assessed_high"] = out["pseudonym"].astype(str).isin(assessed).to_numpy(dtype=bool)
    return out


def disproportionality(
    outcomes: pd.DataFrame,
    population: pd.DataFrame,
    *,
    dimension: str,
    outcomes_wanted: Sequence[str] = OUTCOMES,
    reference: str | None = None,
    by_area: bool = False,
    children_only: bool = True,
    confidence: float = 0.95,
) -> Disproportionality:
    """Relative rate indices by ``dimension`` for each outcome.

    Parameters
    ----------
    outcomes
        From :func:`person_outcomes`: ``pseudonym``, ``is_child``, ``home_area_code``, the
        dimension column (``ethnicity`` or ``sex``) and the outcome columns.
    population
        Denominators (``area_code``, ``dimension``, ``group``, ``count``); only rows of
        ``dimension`` are used. Young people count when their home area has denominators.
    dimension
        ``ethnicity`` or ``sex``.
    outcomes_wanted
        Any of :data:`OUTCOMES`.
    reference
        The reference group; by default the group with the largest population.
    by_area
        Also compare within each area (rows with ``area`` set to the area code).
    children_only
        Count only people with ``is_child`` (the denominators are of children).
    confidence
        Two-sided level of the Katz intervals.
    """
    if dimension not in DIMENSIONS:
        msg = f"dimension must be one of {', '.join(DIMENSIONS)}, got {dimension!r}"
        raise ValidationError(msg)
    unknown = [o for o in outcomes_wanted if o not in OUTCOMES]
    if unknown:
        msg = f"unknown outcome(s) {', '.join(unknown)}; use {', '.join(OUTCOMES)}"
        raise ValidationError(msg)
    pop = population[population["dimension"] == dimension]
    if pop.empty:
        msg = f"no population denominators for {dimension}; import a CSV (see POPULATION_FORMAT.md)"
        raise ValidationError(msg)
    # Group labels are matched without regard to case or surrounding spaces.
    label_of = {}
    for g in pop["group"].astype(str):
        label_of.setdefault(g.strip().casefold(), g.strip())
    pop = pop.assign(group=pop["group"].astype(str).str.strip().str.casefold().map(label_of))
    pop_table = pop.groupby(["area_code", "group"], sort=True)["count"].sum()
    totals = pop_table.groupby(level="group").sum()
    if reference is None:
        reference = str(totals.sort_values(ascending=False, kind="stable").index[0])
    else:
        key = reference.strip().casefold()
        if key not in label_of:
            msg = f"reference group {reference!r} has no denominators; choose one of {', '.join(sorted(totals.index))}"
            raise ValidationError(msg)
        reference = label_of[key]

    people = outcomes
    if children_only and "is_child" in people.columns:
        people = people[people["is_child"].fillna(False).astype(bool)]
    areas = set(pop["area_code"].astype(str))
    area_col = people["home_area_code"] if "home_area_code" in people.columns else pd.Series(None, index=people.index)
    in_area = area_col.astype("string").isin(areas).fillna(False).to_numpy(dtype=bool)
    raw_group = people[dimension] if dimension in people.columns else pd.Series(None, index=people.index)
    group = raw_group.astype("string").str.strip().str.casefold().map(label_of)
    known = group.notna().to_numpy(dtype=bool)
    excluded_no_area = int((~in_area).sum())
    excluded_unknown = int((in_area & ~known).sum())
    counted = people[in_area & known].assign(_group=group[in_area & known].astype(str),
                                             _area=area_col[in_area & known].astype(str))
    notes = []
    if excluded_no_area:
        notes.append(f"{excluded_no_area} young people left out: home area unknown or without denominators")
    if excluded_unknown:
        notes.append(f"{excluded_unknown} young people left out: {dimension} not recorded or not in the denominators")

    ratios: list[RateRatio] = []
    all_groups = list(totals.index)
    for outcome in outcomes_wanted:
        hits = counted[counted[outcome].fillna(False).astype(bool)]
        ev_total = hits.groupby("_group").size().reindex(all_groups, fill_value=0)
        table = pd.DataFrame({"group": all_groups, "events": ev_total.to_numpy(), "population": totals.to_numpy()})
        ratios.extend(relative_rate_index(table, reference=reference, dimension=dimension, outcome=outcome,
                                          confidence=confidence))
        if by_area:
            ev_area = hits.groupby(["_area", "_group"]).size()
            for area in sorted(areas):
                pop_a = pop_table.loc[area] if area in pop_table.index.get_level_values(0) else pd.Series(dtype="int64")
                pop_a = pop_a.reindex(all_groups, fill_value=0)
                if reference not in pop_a.index or pop_a[reference] <= 0:
                    continue
                ev_a = ev_area.loc[area].reindex(all_groups, fill_value=0) if area in ev_area.index.get_level_values(0) \
                    else pd.Series(0, index=all_groups)
                table_a = pd.DataFrame({"group": all_groups, "events": ev_a.to_numpy(), "population": pop_a.to_numpy()})
                ratios.extend(relative_rate_index(table_a, reference=reference, dimension=dimension,
                                                  outcome=outcome, area=area, confidence=confidence))
    result = Disproportionality(
        dimension=dimension, reference=reference, ratios=tuple(ratios), young_people=len(counted),
        excluded_no_area=excluded_no_area, excluded_unknown_group=excluded_unknown, confidence=confidence,
        notes=tuple(notes),
    )
    log.info("disproportionality by %s: %d young people, %d significant", dimension, len(counted),
             len(result.flagged))
    return result
