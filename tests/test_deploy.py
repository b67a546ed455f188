"""The deployment files: docker-compose.yml validates and wires PostGIS and the app."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_config_passes():
    cmd = _compose_command()
    if cmd is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    out = subprocess.run([*cmd, "config"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "postgis/postgis" in out.stdout
    assert "gunicorn" in out.stdout
    assert out.stdout.count("healthcheck") == 2


def test_ci_script_sets_the_postgis_url_and_runs_the_readme_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    assert "GEO_RISK_TEST_POSTGIS_URL" in ci
    assert "make test" in ci and "make test" in readme
    assert "make demo" in readme
