"""Settings and policy: unknown keys refused, defaults, versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_risk.config import Policy, Settings
from geo_risk.errors import ValidationError


def test_defaults_use_a_spatialite_file_under_the_data_dir(tmp_path):
    s = Settings.load(env={"GEO_RISK_DATA_DIR": str(tmp_path)})
    assert s.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'geo-risk.sqlite'}"
    assert s.area_of_interest is None
    assert s.cookie_secure is True


def test_unknown_env_key_is_rejected_naming_valid_ones():
    with pytest.raises(ValidationError, match=r"unknown .*databse_url.*valid keys are: .*database_url"):
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
    with pytest.raises(ValidationError, match="area_of_intrest"):
        Settings.load(bad, env={})


def test_school_holidays_setting_from_env_or_toml(tmp_path):
    assert Settings.load(env={}).school_holidays is None  # not supplied: every weekday counts
    assert Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAYS": ""}).school_holidays is None
    s = Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAYS": "holidays/2025-26.csv"})
    assert s.school_holidays == Path("holidays/2025-26.csv")
    cfg = tmp_path / "geo-risk.toml"
    cfg.write_text('school_holidays = "term-dates.csv"\n')
    assert Settings.load(cfg, env={}).school_holidays == Path("term-dates.csv")
    with pytest.raises(ValidationError, match=r"school_holiday\b.*valid keys are: .*school_holidays"):
        Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAY": "x.csv"})


def test_cookie_secure_parsing():
    assert Settings.load(env={"GEO_RISK_COOKIE_SECURE": "false"}).cookie_secure is False
    with pytest.raises(ValidationError, match="cookie_secure"):
        Settings.load(env={"GEO_RISK_COOKIE_SECURE": "maybe"})


def test_trusted_proxies_setting(tmp_path):
    assert Settings.load(env={}).trusted_proxies == 0  # by default X-Forwarded-For is ignored
    assert Settings.load(env={"GEO_RISK_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert Settings.load(env={"GEO_RISK_TRUSTED_PROXIES": ""}).trusted_proxies == 0
    cfg = tmp_path / "geo-risk.toml"
    cfg.write_text("trusted_proxies = 1\n")
    assert Settings.load(cfg, env={}).trusted_proxies == 1
    for bad in ("-1", "one", "1.5", True, "\u00b2"):  # a superscript two is a digit to str.isdigit
        with pytest.raises(ValidationError, match="trusted_proxies must be a whole number"):
            Settings.from_mapping({"trusted_proxies": bad})


def test_default_policy_is_versioned_and_stable():
    p = Policy.default()
    assert p.version
    assert p.digest == Policy.default().digest
    assert p.network.grade_weights["A"] > p.network.grade_weights["E"]
    assert p.surface.category_weights["Drugs"] < p.surface.category_weights["Violence and sexual offences"]


def test_policy_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValidationError, match="valid keys are"):
        Policy.from_dict({"version": "x", "scoring": {"bnad_edges": [1, 2, 3]}})
    with pytest.raises(ValidationError, match="must be a number"):
        Policy.from_dict({"version": "x", "routing": {"alpha": "high"}})
    with pytest.raises(ValidationError, match="version"):
        Policy.from_dict({"scoring": {}})


def test_changing_a_value_changes_the_digest():
    a = Policy.from_dict({"version": "x"})
    b = Policy.from_dict({"version": "x", "routing": {"alpha": 9.0}})
    assert a.digest != b.digest


def test_policy_file_missing(tmp_path: Path):
    with pytest.raises(ValidationError, match="does not exist"):
        Policy.load(tmp_path / "nope.toml")
