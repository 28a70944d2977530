"""The Docker files, checked statically: there is no Docker engine on these machines."""

from __future__ import annotations

import re

import yaml

from .conftest import ROOT


def test_compose_runs_claimbot_with_postgres_16_volume_secrets_and_restarts() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert "pgdata" in compose["volumes"] and any("pgdata:" in v for v in services["db"]["volumes"])
    assert services["claimbot"]["env_file"] and services["claimbot"]["restart"] == "unless-stopped"
    assert services["db"]["restart"] == "unless-stopped"
    assert services["claimbot"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert (ROOT / "docker" / services["claimbot"]["build"]["dockerfile"].removeprefix("docker/")).exists()


def test_dockerfile_is_slim_non_root_health_checked_and_runs_the_plain_command() -> None:
    text = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["claimbot"]' in text and '"run"' in text
    for copied in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert (ROOT / copied).exists(), copied
