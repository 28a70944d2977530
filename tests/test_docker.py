"""The Docker files, checked statically: there is no Docker engine on these machines.

The build context is computed as Docker computes it (.dockerignore patterns, the last
match wins, a matched folder takes everything under it), and every Dockerfile step
is checked against that list.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _pattern(raw: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(raw):
        if raw.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif raw.startswith("**", i):
            out, i = out + ".*", i + 2
        elif raw[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif raw[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(raw[i]), i + 1
    return re.compile(out + r"\Z")


def dockerignore(root: Path) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (root / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        rules.append((keep, _pattern(line.lstrip("!").strip("/"))))
    return rules


def build_context(root: Path) -> list[str]:
    """The files `docker build` would send from ``root``."""
    rules = dockerignore(root)

    def excluded(rel: str) -> bool:
        parts = rel.split("/")
        candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]  # the path and its parents
        verdict = False
        for keep, pattern in rules:
            if any(pattern.match(c) for c in candidates):
                verdict = not keep
        return verdict

    prune = not any(keep for keep, _ in rules)  # without ! rules an excluded folder is never entered
    sent = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        if prune:
            dirs[:] = [d for d in dirs if not excluded(prefix + d)]
        sent += [prefix + f for f in files if not excluded(prefix + f)]
    return sorted(sent)


@pytest.fixture(scope="module")
def context() -> list[str]:
    return build_context(ROOT)


def test_build_context_leaves_out_secrets_the_venv_and_local_state(tmp_path: Path) -> None:
    for name in ("bot/x.py", "config/bot.toml", "seeds/000.txt", "pyproject.toml", ".env", ".env.local",
                 ".secrets/db_password", ".venv/lib/big.so", "bot/__pycache__/x.pyc", "data/claimbot.db",
                 ".git/HEAD", "tests/test_x.py", "docker/Dockerfile"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / ".dockerignore").write_text((ROOT / ".dockerignore").read_text(encoding="utf-8"), encoding="utf-8")
    assert build_context(tmp_path) == ["bot/x.py", "config/bot.toml", "docker/Dockerfile", "pyproject.toml",
                                       "seeds/000.txt"]


def test_the_real_build_context_is_small_and_complete(context: list[str]) -> None:
    assert not [p for p in context if p.startswith((".venv/", ".git/", ".secrets/", "tests/")) or p == ".env"]
    size = sum((ROOT / p).stat().st_size for p in context)
    assert size < 5_000_000, f"build context {size:,} bytes"
    for needed in ("pyproject.toml", "setup.py", "README.md", "bot/__init__.py", "config/bot.toml",
                   "config/topics.toml", "config/lexicon.toml"):
        assert needed in context, needed
    assert any(p.startswith("seeds/") and p.endswith(".txt") for p in context)


def dockerfile() -> str:
    return (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")


def test_every_copy_in_the_dockerfile_is_in_the_build_context(context: list[str]) -> None:
    copied = re.findall(r"^COPY (?!--from)(.+?)\s+\S+$", dockerfile(), re.M)
    sources = [s for line in copied for s in line.split()]
    assert sources
    for source in sources:
        assert source in context or any(p.startswith(source.rstrip("/") + "/") for p in context), source


def test_the_build_stage_puts_config_and_seeds_into_the_wheel() -> None:
    build = re.split(r"^FROM ", dockerfile(), flags=re.M)[1]  # the first stage
    for needed in ("setup.py", "config", "seeds", "bot"):
        assert re.search(rf"^COPY .*\b{needed}\b", build, re.M), needed
    assert "pip wheel" in build


def test_dockerfile_is_slim_non_root_health_checked_on_the_configured_port() -> None:
    text = dockerfile()
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    [check] = re.findall(r"^HEALTHCHECK .*$", text, re.M)
    assert 'CMD ["python", "-m", "bot.healthcheck"]' in check and "8080" not in check
    assert re.search(r"^ENV .*CLAIMBOT_CONFIG=/app/config/bot\.toml", text, re.M)
    assert 'ENTRYPOINT ["claimbot"]' in text and '"run"' in text


def test_compose_runs_claimbot_with_postgres_16_volume_secrets_and_restarts() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert "pgdata" in compose["volumes"] and any("pgdata:" in v for v in services["db"]["volumes"])
    assert services["claimbot"]["restart"] == "unless-stopped" and services["db"]["restart"] == "unless-stopped"
    assert services["claimbot"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert (ROOT / "docker" / services["claimbot"]["build"]["dockerfile"].removeprefix("docker/")).exists()


def test_compose_passes_secrets_as_files_never_as_plain_values() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["claimbot"]
    env = bot["environment"]
    assert env["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert env["SLACK_BOT_TOKEN_FILE"] == "/run/secrets/slack_bot_token"
    assert "@" in env["DATABASE_URL"] and ":" not in env["DATABASE_URL"].split("//")[1].split("@")[0]  # no password
    assert set(bot["secrets"]) == {"db_password", "slack_bot_token"} <= set(compose["secrets"])
    assert all(not entry["required"] for entry in bot["env_file"])  # .env is optional


def test_secrets_and_local_files_are_git_ignored() -> None:
    paths = [".env", ".env.production", ".secrets/db_password", ".venv/bin/python"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.stdout.split() == paths
    kept = subprocess.run(["git", "check-ignore", "--no-index", "docker/env.example"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert kept.stdout.strip() == ""


def test_the_readme_documents_compose_end_to_end() -> None:
    for step in ("openssl rand -hex 16 > .secrets/db_password", ".secrets/slack_bot_token",
                 "docker compose -f docker/compose.yaml up", "docker compose -f docker/compose.yaml kill -s HUP claimbot",
                 "docker compose -f docker/compose.yaml exec claimbot claimbot feeds",
                 "docker compose -f docker/compose.yaml exec claimbot claimbot check-config --slack --feeds",
                 "docker compose -f docker/compose.yaml logs"):
        assert step in README, step
