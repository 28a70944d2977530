"""claimbot as the image installs it: the built wheel (not editable) in a fresh virtualenv, run from
an empty folder. The default config path used to point into site-packages.

The wheel is built with the build backend itself (no network, no build isolation) from a copy of
the files an sdist holds; the fresh venv borrows the project venv's installed dependencies through
a plain path entry (its .pth files, and so the editable install, are not processed), and the wheel
is installed into it with --no-deps. So nothing is downloaded and the test takes seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.installed
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "bot", "config", "seeds")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-W", "always", "-c",
         f"import setuptools.build_meta as b; print(b.build_wheel({str(out)!r}))"],
        cwd=src, capture_output=True, text=True, timeout=120, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    # The deprecation setuptools printed three times per install for `license = { text = ... }`.
    assert "license" not in build.stderr.lower() or "deprecat" not in build.stderr.lower(), build.stderr[-3000:]
    return out / build.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=60)
    purelib = Path(subprocess.run([str(home / "bin" / "python"), "-c",
                                   "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # Dependencies from the project venv: a plain path entry appended after the venv's own site-packages.
    borrowed = [p for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()} if Path(p).is_dir()]
    (purelib / "_claimbot_test_deps.pth").write_text("\n".join(borrowed) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(home / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=120,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return home


def claimbot(venv: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("CLAIMBOT_CONFIG", "DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "PYTHONPATH")}
    return subprocess.run([str(venv / "bin" / "claimbot"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**clean, **(env or {})}, check=False)


def test_the_wheel_carries_the_default_config_and_the_seeds(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("bot/defaults/config/bot.toml", "bot/defaults/config/topics.toml",
                   "bot/defaults/config/lexicon.toml", "bot/store/migrations/env.py"):
        assert needed in names, needed
    assert len([n for n in names if n.startswith("bot/defaults/seeds/") and n.endswith(".txt")]) == \
        len(list((ROOT / "seeds").glob("*.txt")))
    assert not [n for n in names if n.startswith("tests/") or "/__pycache__/" in n]
    metadata = next(n for n in names if n.endswith("/METADATA"))
    assert "License-Expression: MIT" in zipfile.ZipFile(wheel).read(metadata).decode()


def test_installed_claimbot_runs_from_an_empty_folder_with_claimbot_config(venv: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where  # the wheel, not the source checkout
    config = tmp_path / "etc" / "claimbot"
    shutil.copytree(ROOT / "config", config)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"CLAIMBOT_CONFIG": str(config / "bot.toml")}

    checked = claimbot(venv, empty, "check-config", env=env)
    assert checked.returncode == 0, checked.stderr
    assert f"{config / 'bot.toml'} (from $CLAIMBOT_CONFIG): ok" in checked.stdout

    dry = claimbot(venv, empty, "dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    seeds = len(list((ROOT / "seeds").glob("*.txt")))
    footer = dry.stdout.strip().splitlines()[-1]
    assert re.search(rf"(?:\b{seeds} new articles|articles read {seeds}\b)", footer), footer  # every seed read
    assert "•" in dry.stdout and "/site-packages/bot/defaults/seeds/" in dry.stdout  # the packaged seeds

    listed = claimbot(venv, empty, "feeds", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "no feeds configured" in listed.stdout
    added = claimbot(venv, empty, "feeds", "add", "https://news.example/rss.xml", "--name", "Example", env=env)
    assert added.returncode == 0, added.stderr
    assert "Example\n  url: https://news.example/rss.xml" in claimbot(venv, empty, "feeds", env=env).stdout
    assert sorted(p.name for p in empty.iterdir()) == []  # the database sits beside the config, not here
    # The Docker HEALTHCHECK's command works from the wheel and follows the configured port.
    toml = (config / "bot.toml").read_text(encoding="utf-8").replace("health_port = 8080", "health_port = 1")
    (config / "bot.toml").write_text(toml, encoding="utf-8")
    health = subprocess.run([str(venv / "bin" / "python"), "-m", "bot.healthcheck"], cwd=empty, capture_output=True,
                            text=True, timeout=60, env={**os.environ, **env}, check=False)
    assert health.returncode == 1 and "http://127.0.0.1:1/healthz: no answer" in health.stderr, health.stderr
    assert (tmp_path / "etc" / "data" / "claimbot.db").exists()


def test_installed_claimbot_without_any_config_uses_the_installed_defaults(venv: Path, tmp_path: Path) -> None:
    result = claimbot(venv, tmp_path, "check-config")
    assert result.returncode == 0, result.stderr
    assert "(from installed defaults): ok" in result.stdout and "site-packages" in result.stdout
    assert (tmp_path / "data" / "claimbot.db").exists()  # in the working folder, never in site-packages
    assert "deepseek" in claimbot(venv, tmp_path, "topics", "list").stdout
