"""Where the config comes from (--config, $CLAIMBOT_CONFIG, ./config/bot.toml, the installed defaults),
and secrets from *_FILE variables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Secrets, find_config, load_settings, packaged_config
from bot.errors import ConfigError

from .conftest import ROOT


def copy_config(folder: Path) -> Path:
    shutil.copytree(ROOT / "config", folder)
    return folder / "bot.toml"


def test_the_option_wins_over_the_variable_and_the_working_directory(tmp_path: Path) -> None:
    given, env_path = copy_config(tmp_path / "a"), copy_config(tmp_path / "b")
    copy_config(tmp_path / "cwd" / "config")
    found = find_config(given, {"CLAIMBOT_CONFIG": str(env_path)}, cwd=tmp_path / "cwd")
    assert (found.path, found.how) == (given, "--config")


def test_the_variable_wins_over_the_working_directory(tmp_path: Path) -> None:
    env_path = copy_config(tmp_path / "b")
    copy_config(tmp_path / "cwd" / "config")
    found = find_config(None, {"CLAIMBOT_CONFIG": str(env_path)}, cwd=tmp_path / "cwd")
    assert (found.path, found.how) == (env_path, "$CLAIMBOT_CONFIG")


def test_the_working_directory_then_the_installed_defaults(tmp_path: Path) -> None:
    local = copy_config(tmp_path / "cwd" / "config")
    assert find_config(None, {}, cwd=tmp_path / "cwd").path == local
    fallback = find_config(None, {}, cwd=tmp_path / "empty")
    assert (fallback.path, fallback.how) == (packaged_config(), "installed defaults")


def test_an_explicit_path_that_does_not_exist_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(None, env={"CLAIMBOT_CONFIG": str(tmp_path / "nope.toml")})
    assert "nope.toml" in str(exc.value) and "$CLAIMBOT_CONFIG" in str(exc.value)


def test_the_error_lists_what_was_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.config as config

    monkeypatch.setattr(config, "packaged_config", lambda: tmp_path / "site" / "bot.toml")
    with pytest.raises(ConfigError) as exc:
        find_config(None, {}, cwd=tmp_path)
    message = str(exc.value)
    assert "--config (not given)" in message and "$CLAIMBOT_CONFIG (not set)" in message
    assert str(tmp_path / "config" / "bot.toml") in message and str(tmp_path / "site" / "bot.toml") in message


def test_the_installed_defaults_keep_their_database_in_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, env={})
    assert settings.source == "installed defaults"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'claimbot.db'}"


# --- secrets --------------------------------------------------------------------------------

def test_secrets_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("xoxb-from-file\n", encoding="utf-8")
    (tmp_path / "url").write_text("postgresql+psycopg://claimbot:pw@db:5432/claimbot\n", encoding="utf-8")
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN_FILE": str(tmp_path / "token"),
                                "DATABASE_URL_FILE": str(tmp_path / "url")})
    assert secrets.slack_bot_token == "xoxb-from-file"
    assert secrets.database_url == "postgresql+psycopg://claimbot:pw@db:5432/claimbot"


def test_a_password_file_completes_the_database_url(tmp_path: Path) -> None:
    (tmp_path / "db_password").write_text("s3cr/t@x\n", encoding="utf-8")
    secrets = Secrets.from_env({"DATABASE_URL": "postgresql+psycopg://claimbot@db:5432/claimbot",
                                "DATABASE_PASSWORD_FILE": str(tmp_path / "db_password")})
    from sqlalchemy.engine import make_url

    url = make_url(secrets.database_url or "")
    assert url.password == "s3cr/t@x" and url.username == "claimbot" and url.host == "db"


@pytest.mark.parametrize(("env", "piece"), [
    ({"SLACK_BOT_TOKEN_FILE": "/nonexistent/token"}, "SLACK_BOT_TOKEN_FILE=/nonexistent/token: cannot be read"),
    ({"SLACK_BOT_TOKEN": "x", "SLACK_BOT_TOKEN_FILE": "/etc/hostname"}, "both SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE"),
    ({"DATABASE_PASSWORD": "pw"}, "DATABASE_URL is not"),
])
def test_secret_mistakes_are_one_line(env: dict[str, str], piece: str) -> None:
    with pytest.raises(ConfigError) as exc:
        Secrets.from_env(env)
    assert piece in str(exc.value) and "\n" not in str(exc.value)
