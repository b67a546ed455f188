"""Guidance beside results (issue 16): what each band and tension level means and what to do next."""

from __future__ import annotations

import html
import re

import pytest

from geo_risk.config import Settings
from geo_risk.errors import ConfigError
from geo_risk.guidance import load_guidance


def test_the_placement_result_says_what_each_band_shown_means(signed_in, info, app):
    g = app.config["GEO_RISK_GUIDANCE"]
    page = signed_in("hana").post(f"/housing/referrals/{info.referrals['hana']}/check",
                                  {"postcodes": "ZZ1 1AA\nZZ1 1AB\nZZ1 1AC"}).get_data(as_text=True)
    shown = set(re.findall(r'<tr data-band="([^"]+)"', page))
    box = html.unescape(page[page.index('id="band-guidance"'):])
    assert shown and all(g.band(b) in box for b in shown)
    assert not any(g.band(b) in box for b in set(g.bands) - shown)


def test_the_route_result_and_the_briefing_carry_guidance(signed_in, info, app):
    g = app.config["GEO_RISK_GUIDANCE"]
    page = html.unescape(signed_in("tariq").post(f"/transport/referrals/{info.referrals['tariq']}/check",
                                                 {"home_postcode": "ZZ1 1AA", "school_urn": "100001"})
                         .get_data(as_text=True))
    assert 'id="band-guidance"' in page
    briefing = html.unescape(signed_in("sami").get("/schools/100001").get_data(as_text=True))
    level = re.search(r'id="tension-level">([^<]+)<', briefing).group(1)
    assert f"What to do:</strong> {g.level(level)}" in briefing


def test_a_guidance_file_missing_a_band_stops_the_app(seeded, tmp_path):
    from web import create_app

    bad = tmp_path / "g.toml"
    bad.write_text('[bands]\n"Low" = "Fine."\n')
    with pytest.raises(ConfigError, match="needs a sentence for 'Medium'"):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "GEO_RISK_ENGINE": seeded[0],
                    "GEO_RISK_SETTINGS": Settings(cookie_secure=False, guidance_file=bad)})
    assert load_guidance(None, Settings().load_policy()).bands
