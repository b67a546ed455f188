"""Shared CSV text helpers of the importers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_risk.ingest._files import strip_text


@pytest.mark.parametrize("values", [
    [" 2025-01 ", "2025-01", "2025-01\t"] * 600 + ["x "],          # few distinct values: stripped once each
    [f" id{i} " for i in range(1_800)],                            # identifiers: stripped one by one
    ["a "] * 1_500 + [None, np.nan, 5, "\u00a0b\u00a0", ""],         # missing, non-text and unicode spaces
    ["a ", None],                                                  # small columns
])
def test_strip_text_is_str_strip(values) -> None:
    s = pd.Series(values, dtype=object, name="col", index=range(10, 10 + len(values)))
    got = strip_text(s)
    pd.testing.assert_series_equal(got, s.str.strip().astype(object), check_dtype=False)
    assert got.index.equals(s.index) and got.name == "col"
