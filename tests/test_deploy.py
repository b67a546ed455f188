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
    out = _compose_config(_ENV)
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


# --------------------------------------------------------------------------- issue 14, items 4 and 8

_ENV = {"GEO_RISK_DB_PASSWORD": "owner-pass-for-config", "GEO_RISK_APP_DB_PASSWORD": "app-pass-for-config",
        "GEO_RISK_SECRET_KEY": "s" * 64, "GEO_RISK_AUDIT_KEY": "a" * 64}


def _compose_config(env: dict[str, str]):
    import os

    cmd = _compose_command()
    if cmd is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GEO_RISK_")}
    return subprocess.run([*cmd, "config"], cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                          env={**clean, **env})


@pytest.mark.parametrize("missing", sorted(_ENV))
def test_compose_refuses_to_start_without_each_secret(missing):
    out = _compose_config({k: v for k, v in _ENV.items() if k != missing})
    assert out.returncode != 0
    assert missing in out.stderr


def _compose_yaml() -> dict:
    import yaml

    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_the_app_runs_as_a_role_that_owns_no_table_and_never_holds_the_owner_password():
    services = _compose_yaml()["services"]
    app_env = services["app"]["environment"]
    assert app_env["GEO_RISK_DATABASE_URL"].startswith("postgresql+psycopg://georisk_app:${GEO_RISK_APP_DB_PASSWORD")
    assert "GEO_RISK_DB_PASSWORD" not in str(app_env)
    assert "db grant-app georisk_app" in services["migrate"]["command"]
    assert services["app"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert ":-" not in services["db"]["environment"]["POSTGRES_PASSWORD"]  # no default password


def test_gunicorn_access_log_never_writes_query_strings_or_referrers():
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    import web.gunicorn_conf as conf

    cfg = Config()
    logger = Logger(cfg)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/housing/referrals/3", "QUERY_STRING": "postcode=ZZ1+1AA",
               "RAW_URI": "/housing/referrals/3?postcode=ZZ1+1AA", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.0.0.9", "HTTP_REFERER": "https://x.example/?pseudonym=YP-0001"}
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])], method="GET",
                          uri=environ["RAW_URI"], path="/housing/referrals/3", query="postcode=ZZ1+1AA",
                          version=(1, 1))
    resp = SimpleNamespace(status="200 OK", sent=123, headers=[], response_length=123)
    atoms = logger.atoms(resp, req, environ, dt.timedelta(milliseconds=5))
    # what gunicorn's Logger.access writes: the configured format filled with these atoms
    assert "ZZ1" in cfg.access_log_format % atoms  # gunicorn's default format does write the query string
    line = conf.access_log_format % atoms
    assert "/housing/referrals/3" in line and "200" in line
    assert "ZZ1" not in line and "postcode" not in line and "YP-0001" not in line


def test_compose_runs_gunicorn_with_the_quiet_access_log():
    command = _compose_yaml()["services"]["app"]["command"]
    assert "python:web.gunicorn_conf" in command and "--access-logfile" not in " ".join(command)


def test_the_dask_profile_runs_a_scheduler_and_two_workers_sharing_the_batch_folder():
    services = _compose_yaml()["services"]
    dask = {name: s for name, s in services.items() if "dask" in s.get("profiles", [])}
    assert sorted(dask) == ["dask-scheduler", "dask-worker-1", "dask-worker-2"]
    assert dask["dask-scheduler"]["command"][:2] == ["dask", "scheduler"]
    for worker in ("dask-worker-1", "dask-worker-2"):
        assert "tcp://dask-scheduler:8786" in dask[worker]["command"]
        assert "batchwork:/var/lib/geo-risk/batch" in dask[worker]["volumes"]
    # the default stack (docker compose up) is unchanged: nothing else sits in a profile
    assert all("profiles" not in s for name, s in services.items() if name not in dask)
