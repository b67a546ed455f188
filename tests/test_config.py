"""Settings and policy: unknown keys refused, defaults, versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_risk.config import Policy, Settings
from geo_risk.errors import ConfigError


def test_defaults_use_a_spatialite_file_under_the_data_dir(tmp_path):
    s = Settings.load(env={"GEO_RISK_DATA_DIR": str(tmp_path)})
    assert s.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'geo-risk.sqlite'}"
    assert s.area_of_interest is None
    assert s.cookie_secure is True


def test_unknown_env_key_is_rejected_naming_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown .*databse_url.*valid keys are: .*database_url"):
        Settings.load(env={"GEO_RISK_DATABSE_URL": "sqlite:///x"})


def test_test_variables_are_not_settings():
    s = Settings.load(env={"GEO_RISK_TEST_POSTGIS_URL": "postgresql+psycopg://x/y"})
    assert s.database_url == ""


def test_toml_file_then_env_override(tmp_path):
    cfg = tmp_path / "geo-risk.toml"
    cfg.write_text('database_url = "sqlite:///a.sqlite"\nlog_level = "debug"\n')
    s = Settings.load(cfg, env={"GEO_RISK_LOG_LEVEL": "warning"})
    assert s.database_url == "sqlite:///a.sqlite"
    assert s.log_level == "WARNING"
    bad = tmp_path / "bad.toml"
    bad.write_text('area_of_intrest = "x.geojson"\n')
    with pytest.raises(ConfigError, match="area_of_intrest"):
        Settings.load(bad, env={})


def test_school_holidays_setting_from_env_or_toml(tmp_path):
    assert Settings.load(env={}).school_holidays is None  # not supplied: every weekday counts
    assert Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAYS": ""}).school_holidays is None
    s = Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAYS": "holidays/2025-26.csv"})
    assert s.school_holidays == Path("holidays/2025-26.csv")
    cfg = tmp_path / "geo-risk.toml"
    cfg.write_text('school_holidays = "term-dates.csv"\n')
    assert Settings.load(cfg, env={}).school_holidays == Path("term-dates.csv")
    with pytest.raises(ConfigError, match=r"school_holiday\b.*valid keys are: .*school_holidays"):
        Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAY": "x.csv"})


def test_cookie_secure_parsing():
    assert Settings.load(env={"GEO_RISK_COOKIE_SECURE": "false"}).cookie_secure is False
    with pytest.raises(ConfigError, match="cookie_secure"):
        Settings.load(env={"GEO_RISK_COOKIE_SECURE": "maybe"})


def test_trusted_proxies_setting(tmp_path):
    assert Settings.load(env={}).trusted_proxies == 0  # by default X-Forwarded-For is ignored
    assert Settings.load(env={"GEO_RISK_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert Settings.load(env={"GEO_RISK_TRUSTED_PROXIES": ""}).trusted_proxies == 0
    cfg = tmp_path / "geo-risk.toml"
    cfg.write_text("trusted_proxies = 1\n")
    assert Settings.load(cfg, env={}).trusted_proxies == 1
    for bad in ("-1", "one", "1.5", True, "\u00b2"):  # a superscript two is a digit to str.isdigit
        with pytest.raises(ConfigError, match="trusted_proxies must be a whole number"):
            Settings.from_mapping({"trusted_proxies": bad})


def test_default_policy_is_versioned_and_stable():
    p = Policy.default()
    assert p.version
    assert p.digest == Policy.default().digest
    assert p.network.grade_weights["A"] > p.network.grade_weights["E"]
    assert p.surface.category_weights["Drugs"] < p.surface.category_weights["Violence and sexual offences"]


def test_policy_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ConfigError, match="valid keys are"):
        Policy.from_dict({"version": "x", "scoring": {"bnad_edges": [1, 2, 3]}})
    with pytest.raises(ConfigError, match="must be a number"):
        Policy.from_dict({"version": "x", "routing": {"alpha": "high"}})
    with pytest.raises(ConfigError, match="version"):
        Policy.from_dict({"scoring": {}})


def test_changing_a_value_changes_the_digest():
    a = Policy.from_dict({"version": "x"})
    b = Policy.from_dict({"version": "x", "routing": {"alpha": 9.0}})
    assert a.digest != b.digest


def test_policy_file_missing(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        Policy.load(tmp_path / "nope.toml")


def test_a_policy_file_with_three_mistakes_lists_all_three(tmp_path: Path):
    bad = tmp_path / "policy.toml"
    text = (Path(__file__).resolve().parent.parent / "geo_risk" / "policies" / "default.toml").read_text()
    text = text.replace("bandwidth_m = 25.0", "bandwith_m = 25.0", 1)  # a typo'd key
    text = text.replace("E = 0.2", "", 1)  # a grade without a weight
    text = text.replace("alpha = 4.0", "alpha = -4.0", 1)  # a negative number
    bad.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Policy.load(bad)
    msg = str(caught.value)
    assert "3 problem(s)" in msg
    assert "[surface]: unknown key(s) bandwith_m" in msg
    assert "[routing] alpha must not be negative" in msg
    assert "[network.grade_weights] must give a weight for each grade A, B, C, D, E" in msg
    assert "missing: E" in msg


@pytest.mark.parametrize(("section", "values", "expected"), [
    ("surface", {"category_weights": {"Violence and sexual ofences": 1.0}}, "unknown categories"),
    ("network", {"grade_weights": {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}}, "must not rise"),
    ("network", {"associate_link_types": ["friends_with"]}, "unknown link types friends_with"),
    ("scoring", {"band_edges": [50.0, 25.0, 75.0]}, "band_edges must rise"),
    ("scoring", {"bands": ["Low", "Medium", "High"]}, "bands must have 4 values"),
    ("routing", {"assisted_transport_band": "Severe"}, "assisted_transport_band 'Severe'"),
    ("briefing", {"serious_categories": ["Robbery", "Knife crime"]}, "unknown categories Knife crime"),
    ("briefing", {"confidence": 1.5}, "confidence must be between 0 and 1"),
    ("briefing", {"windows_days": [28, 7, 90]}, "windows_days must rise"),
    ("scoring", {"max_candidates": 2.5}, "max_candidates must be a whole number"),
])
def test_policy_values_are_checked_against_the_contract_and_each_other(section, values, expected):
    data = Policy.default().to_dict()
    data[section] = {**data[section], **values}
    with pytest.raises(ConfigError, match=expected):
        Policy.from_dict(data)


def test_bad_settings_are_listed_together():
    with pytest.raises(ConfigError) as caught:
        Settings.load(env={"GEO_RISK_COOKIE_SECURE": "maybe", "GEO_RISK_TRUSTED_PROXIES": "x",
                           "GEO_RISK_DATABSE_URL": "sqlite:///x"})
    msg = str(caught.value)
    assert "databse_url" in msg and "cookie_secure" in msg and "trusted_proxies" in msg


def test_a_bad_policy_file_stops_the_web_app_at_start_up(tmp_path: Path):
    from web import create_app

    bad = tmp_path / "policy.toml"
    bad.write_text('version = "x"\n[routing]\nalpha = -1.0\n[scoring]\nbands = ["Low"]\n')
    settings = Settings.load(env={"GEO_RISK_POLICY_FILE": str(bad), "GEO_RISK_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"2 problem\(s\).*bands must have 4 values.*alpha must not be negative"):
        create_app({"GEO_RISK_SETTINGS": settings, "TESTING": True})
