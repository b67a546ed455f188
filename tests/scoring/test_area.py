"""The area the data cover, and the addresses a place's area level is ranked among (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from geo_risk.scoring.area import address_reference, data_coverage

X0, Y0 = 358_000.0, 173_000.0


def test_coverage_is_near_the_incidents_inside_the_areas_and_the_area_of_interest():
    incidents = np.array([[X0, Y0], [X0 + 2000, Y0], [X0, Y0 + 2000], [X0 + 2000, Y0 + 2000]])
    hull_only = data_coverage(incidents, buffer_m=500)
    probe = np.array([[X0 + 1000, Y0 + 1000], [X0 - 400, Y0], [X0 - 600, Y0], [X0 + 9000, Y0]])
    assert hull_only.contains(probe).tolist() == [True, True, False, False]
    areas = data_coverage(incidents, areas=[box(X0, Y0, X0 + 2000, Y0 + 2000)], buffer_m=500)
    assert areas.contains(probe).tolist() == [True, False, False, False]
    aoi = data_coverage(incidents, buffer_m=500, area_of_interest=box(X0, Y0, X0 + 1000, Y0 + 2000))
    assert aoi.contains(np.array([[X0 + 500, Y0 + 500], [X0 + 1500, Y0 + 500]])).tolist() == [True, False]
    assert "area of interest" in aoi.description


def test_no_incidents_cover_nothing():
    empty = data_coverage(np.zeros((0, 2)), buffer_m=500)
    assert empty.contains(np.array([[X0, Y0]])).tolist() == [False]
    assert "no incidents" in empty.description


class _Surface:
    """An area model whose intensity is the easting's distance from X0 (a test stand-in)."""

    class policy:
        cell_m = 12.5

    def intensity_at(self, xy):
        return np.asarray(xy, dtype=float).reshape(-1, 2)[:, 0] - X0

    def percentile_at(self, xy):
        return np.full(len(np.asarray(xy).reshape(-1, 2)), 99.0)

    def percentile_of(self, values):
        return np.full(len(values), 99.0)

    fingerprint = "test-surface"


def test_places_are_ranked_among_the_addresses_inside_the_coverage():
    addresses = np.column_stack([X0 + np.arange(100.0), np.full(100, Y0)])
    far_away = np.array([[X0 + 50_000, Y0]])  # outside the coverage: not part of the reference
    coverage = data_coverage(addresses, buffer_m=500)
    ref = address_reference(_Surface(), np.vstack([addresses, far_away]), coverage)
    assert ref.by_address and len(ref.values) == 100
    assert ref.description == "the residential addresses (postcode centres) in the area covered"
    pct = ref.percentile_at(np.array([[X0 - 1, Y0], [X0 + 49.5, Y0], [X0 + 49, Y0], [X0 + 500, Y0]]))
    np.testing.assert_allclose(pct, [0.0, 50.0, 49.5, 100.0])  # mid-rank: ties count half


def test_with_no_postcodes_the_reference_is_the_grid_and_says_so():
    ref = address_reference(_Surface(), np.zeros((0, 2)), None)
    assert not ref.by_address
    assert "no postcode list is loaded" in ref.description and "12.5 m" in ref.description
    assert ref.percentile_at(np.array([[X0, Y0]])).tolist() == [pytest.approx(99.0)]
