"""Plain guidance per band and tension level: one sentence each, checked against the policy."""

from __future__ import annotations

import pytest

from geo_risk.config import Policy
from geo_risk.errors import ConfigError
from geo_risk.guidance import DEFAULT_GUIDANCE_FILE, load_guidance


def test_the_packaged_guidance_has_a_sentence_for_every_band_and_level():
    policy = Policy.default()
    g = load_guidance(None, policy)
    assert list(g.bands) == [*policy.scoring.bands, "Cannot assess"] and list(g.levels) == list(policy.briefing.levels)
    assert all(s.endswith(".") and len(s) <= 300 for s in [*g.bands.values(), *g.levels.values()])
    assert g.band("Unknown") == "" and g.level(None) == ""
    assert g.source == str(DEFAULT_GUIDANCE_FILE)


def test_an_authoritys_own_file_is_used_and_every_problem_is_named_at_once(tmp_path):
    policy = Policy.default()
    own = tmp_path / "guidance.toml"
    bands = "\n".join(f'"{b}" = "Our words for {b}."' for b in policy.scoring.bands)
    levels = "\n".join(f'"{lv}" = "Our words for {lv}."' for lv in policy.briefing.levels)
    own.write_text(f"[bands]\n{bands}\n[levels]\n{levels}\n")
    assert load_guidance(own, policy).band("High") == "Our words for High."
    own.write_text('[bands]\n"Low" = "Fine."\n"Severe" = "x"\n[levels]\n"Low" = ""\n[extra]\n')
    with pytest.raises(ConfigError) as caught:
        load_guidance(own, policy)
    text = str(caught.value)
    for words in ("unknown table(s) extra", "'Severe', which the policy does not have", "a sentence for 'Medium'",
                  "[levels] needs a sentence for 'Low'"):
        assert words in text, words
    with pytest.raises(ConfigError, match="does not exist; check GEO_RISK_GUIDANCE_FILE"):
        load_guidance(tmp_path / "missing.toml", policy)
