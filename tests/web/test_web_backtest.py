"""The analyst's back-testing page evaluates the area forecast, not the kernel surface (issue 19)."""

from __future__ import annotations

import re

import shapely


def test_backtest_page_shows_the_forecast_against_baselines_and_ceilings(app, signed_in):
    from geo_risk.surface.evaluate import backtest
    from geo_risk.surface.forecast import forecast_scorer

    resp = signed_in("ana").get("/analyst/backtest")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    methods = re.findall(r'<tr data-method="(\w+)">', html)
    assert set(methods) == {"model", "previous_month", "all_prior", "plain_kde", "long_run", "perfect"}
    assert "area forecast (model)" in html and "ceiling: long-run rate" in html and "PEI" in html
    # the model's row is the area forecast's back-test on the same snapshot
    with app.app_context():
        from web.extensions import data

        d = data()
        rows = d.backtest_table()
        sp = d.policy.surface
        expected = backtest(d.snapshot.incidents, shapely.union_all(d.snapshot.areas.geometry.values),
                            model=forecast_scorer(sp), cell_m=float(sp.support_m or 250.0),
                            targets=sp.forecast_targets, n_boot=0)
    model = {r["coverage"]: r["pai"] for r in rows if r["method"] == "model"}
    want = expected.summary.set_index(["method", "coverage"])["pai"]
    assert model == {c: want[("model", c)] for c in model}
    assert f"{model[0.05]:.2f}" in html
