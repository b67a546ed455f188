"""`geo-risk db upgrade` and `geo-risk status` through the real command line entry point."""

from __future__ import annotations

import subprocess
import sys


def _run(args, env):
    return subprocess.run([sys.executable, "-m", "geo_risk.cli", *args], capture_output=True, text=True, env=env,
                          check=False)


def test_upgrade_then_status_on_a_new_spatialite_file(tmp_path, monkeypatch):
    import os

    env = {**os.environ, "GEO_RISK_DATA_DIR": str(tmp_path)}
    env.pop("GEO_RISK_DATABASE_URL", None)
    out = _run(["status"], env)
    assert out.returncode == 0, out.stderr
    assert "run `geo-risk db upgrade`" in out.stdout
    out = _run(["db", "upgrade"], env)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "geo-risk.sqlite").exists()
    out = _run(["status"], env)
    assert out.returncode == 0, out.stderr
    assert "SpatiaLite" in out.stdout
    assert "schema:    none" not in out.stdout
    assert "incident" in out.stdout


def test_unknown_setting_is_a_clear_error_and_non_zero_exit(tmp_path):
    import os

    env = {**os.environ, "GEO_RISK_DATA_DIR": str(tmp_path), "GEO_RISK_DATABSE_URL": "x"}
    out = _run(["status"], env)
    assert out.returncode != 0
    assert "valid keys are" in out.stderr
    assert "Traceback" not in out.stderr


def test_every_command_has_help():
    from click.testing import CliRunner

    from geo_risk.cli import main

    def walk(cmd, path):
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    runner = CliRunner()
    paths = list(walk(main, []))
    assert len(paths) > 10
    for path in paths:
        out = runner.invoke(main, [*path, "--help"])
        assert out.exit_code == 0, (path, out.output)
        assert "Usage:" in out.output
