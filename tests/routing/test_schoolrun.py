"""School-run weighting of timed incidents (issue 5)."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo_risk.errors import ValidationError
from geo_risk.routing import add_time_weight

ROWS = [
    # occurred_at (naive UTC), has_time, expected weight
    ("2025-01-15 08:00", True, 2.0),   # Wednesday, winter: 08:00 at the school gate
    ("2025-01-15 10:00", True, 1.0),   # between windows
    ("2025-01-15 15:30", True, 2.0),   # afternoon window
    ("2025-01-18 08:00", True, 1.0),   # Saturday
    ("2025-06-18 07:00", True, 2.0),   # summer: 07:00 UTC is 08:00 BST
    ("2025-06-18 09:00", True, 1.0),   # summer: 09:00 UTC is 10:00 BST
    ("2025-06-18 16:30", True, 1.0),   # summer: 17:30 BST, after the window
    ("2025-01-01 00:00", False, 1.0),  # police.uk month-only row
    ("2025-01-15 08:00", False, 1.0),  # untimed, even if the clock happens to fall in a window
]


def _incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "incident_id": range(len(ROWS)),
            "category": "ED assault injury",
            "occurred_at": pd.to_datetime([r[0] for r in ROWS]),
            "has_time": [r[1] for r in ROWS],
            "geometry": [Point(450_000, 200_000)] * len(ROWS),
        },
        crs="EPSG:27700",
    )


def test_time_weight_in_school_windows_on_weekdays_only(policy):
    out = add_time_weight(_incidents(), policy.routing)
    heavier = policy.routing.school_window_weight
    assert out["time_weight"].tolist() == [heavier if r[2] > 1 else 1.0 for r in ROWS]
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == "EPSG:27700"


def test_input_frame_is_not_changed(policy):
    frame = _incidents()
    add_time_weight(frame, policy.routing)
    assert "time_weight" not in frame.columns


def test_malformed_windows_are_refused_with_the_fix(policy):
    rp = dataclasses.replace(policy.routing, school_windows=("07:30-09:15", "9am-10am", "17:00-16:00"))
    with pytest.raises(ValidationError, match=r"'9am-10am', '17:00-16:00'.*HH:MM-HH:MM"):
        add_time_weight(_incidents(), rp)


def test_missing_columns_are_refused(policy):
    with pytest.raises(ValidationError, match="has_time"):
        add_time_weight(_incidents().drop(columns=["has_time"]), policy.routing)
