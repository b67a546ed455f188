"""Risk along the walk: edge risk densities and sampled route exposure.

Routing takes the risk for one young person as a callable
``risk_fn(xy) -> risk`` over an ``(n, 2)`` array of EPSG:27700 points. The
value is a **risk density per metre walked** on the scoring engine's 0-1 scale
(``100 * risk`` reads like a 0-100 location score and is banded with
``policy.scoring.band_edges``). How it is computed (area intensity, conflict
and exploitation exposure) is the business of :mod:`geo_risk.routing.adapters`;
the functions here only read it along edges and routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString

from geo_risk.errors import ValidationError
from geo_risk.routing.graph import WalkGraph

RiskFn = Callable[[np.ndarray], np.ndarray]


def evaluate_risk(risk_fn: RiskFn, xy: np.ndarray) -> np.ndarray:
    """Call ``risk_fn`` on points and check what it returns.

    Parameters
    ----------
    risk_fn
        Risk density per metre at each point.
    xy
        Points, shape ``(n, 2)``, EPSG:27700.

    Returns
    -------
    numpy.ndarray
        One finite, non-negative value per point.

    Raises
    ------
    ValidationError
        If the result has the wrong shape, is negative or is not finite.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if xy.shape[0] == 0:
        return np.zeros(0)
    values = np.asarray(risk_fn(xy), dtype=float)
    if values.shape != (xy.shape[0],):
        msg = f"risk_fn must return one value per point, shape ({xy.shape[0]},), got {values.shape}"
        raise ValidationError(msg)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        msg = "risk_fn returned negative or non-finite values; risk densities must be finite and >= 0"
        raise ValidationError(msg)
    return values


def edge_risk(
    graph: WalkGraph, risk_fn: RiskFn, edges: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and peak risk density of edges, read at the graph's sample points.

    Every edge is sampled every ``graph.sample_step_m`` metres, both ends
    included, so a hotspot in the middle of a long edge counts. The mean is a
    trapezoid-rule average along the edge.

    Parameters
    ----------
    graph
        The walk graph.
    risk_fn
        Risk density per metre at points.
    edges
        Optional boolean mask over edges, or edge indices; only these are
        evaluated (the others get 0).

    Returns
    -------
    mean, peak
        Arrays of shape ``(n_edges,)``.
    """
    if edges is None:
        idx = np.arange(graph.sample_edge.size)
    else:
        edges = np.asarray(edges)
        chosen = np.flatnonzero(edges) if edges.dtype == bool else edges.astype(np.int64)
        idx = graph.sample_index(chosen)
    s_edge = graph.sample_edge[idx]
    s_w = graph.sample_weight[idx]
    # a node shared by several edges is read once
    points, inverse = np.unique(graph.sample_point[idx], return_inverse=True)
    values = evaluate_risk(risk_fn, graph.point_xy[points])[inverse.ravel()]
    mean = np.bincount(s_edge, weights=values * s_w, minlength=graph.n_edges)
    peak = np.zeros(graph.n_edges)
    np.maximum.at(peak, s_edge, values)
    return mean, peak


@dataclass(frozen=True)
class LineSamples:
    """Points along a line at (near) even spacing, with trapezoid weights.

    Attributes
    ----------
    xy
        Sample points, shape ``(n, 2)``.
    position_m
        Distance of each sample from the line's start.
    weight_m
        Metres of line each sample stands for (trapezoid rule); they sum to the length.
    """

    xy: np.ndarray
    position_m: np.ndarray
    weight_m: np.ndarray


def sample_line(line: LineString, step_m: float) -> LineSamples:
    """Sample a line every ``step_m`` metres or less, both ends included."""
    length = float(line.length)
    intervals = max(1, int(np.ceil(length / step_m - 1e-9)))
    pos = np.linspace(0.0, length, intervals + 1)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, pos))
    weight = np.full(pos.size, length / intervals)
    weight[[0, -1]] *= 0.5
    return LineSamples(xy=xy, position_m=pos, weight_m=weight)


def window_peak(values: np.ndarray, position_m: np.ndarray, window_m: float) -> tuple[float, float]:
    """Highest mean of ``values`` over any stretch of ``window_m`` metres.

    Parameters
    ----------
    values
        Risk at evenly spaced samples along a route.
    position_m
        The samples' distances from the route's start.
    window_m
        Length of the stretch; a route shorter than it is one stretch.

    Returns
    -------
    peak, start_m
        The highest windowed mean and where that stretch starts.
    """
    n = values.size
    if n == 0:
        return 0.0, 0.0
    if n == 1:
        return float(values[0]), 0.0
    spacing = float(position_m[1] - position_m[0]) or 1.0
    k = int(min(n, max(1, round(window_m / spacing) + 1)))
    csum = np.concatenate([[0.0], np.cumsum(values)])
    means = (csum[k:] - csum[:-k]) / k
    # a running sum's rounding can put a stretch's mean below its lowest sample (a stretch lifted to
    # exactly a band's edge would read as the band below): a mean is never below its minimum
    means = np.maximum(means, np.lib.stride_tricks.sliding_window_view(values, k).min(axis=1))
    i = int(np.argmax(means))
    return float(means[i]), float(position_m[i])
