"""check-config refuses what would fail later, naming the key, and proves Slack and the feeds work."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

from .conftest import ROOT, LocalServer, respond
from .fake_slack import FakeSlack

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
       b"<item><title>a</title><link>http://127.0.0.1/a</link></item>"
       b"<item><title>b</title><link>http://127.0.0.1/b</link></item></channel></rss>")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The shipped config files in a folder of their own, with a private database."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    text = (folder / "bot.toml").read_text(encoding="utf-8")
    (folder / "bot.toml").write_text(text.replace('database_url = "sqlite:///../data/claimbot.db"',
                                                  f'database_url = "sqlite:///{tmp_path}/check.db"'), encoding="utf-8")
    return folder


def check(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    base = {"SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": "", "DATABASE_URL": "", "CLAIMBOT_CONFIG": ""}
    return CliRunner().invoke(main, ["check-config", "--config", str(config), *args], env={**base, **(env or {})})


def edit(config_dir: Path, old: str, new: str) -> Path:
    path = config_dir / "bot.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def add_to(config_dir: Path, extra: str) -> Path:
    path = config_dir / "bot.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


def assert_refused(result: Result, *pieces: str) -> None:
    assert result.exit_code == 1, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and result.output.rstrip().endswith(errors[0]), result.output  # one line, and last
    line = errors[0]
    assert "Traceback" not in result.output and "bug" not in line, line
    for piece in pieces:
        assert piece in line, line


def test_the_shipped_files_pass(config_dir: Path) -> None:
    result = check(config_dir / "bot.toml")
    assert result.exit_code == 0, result.output
    assert "reachable" in result.output and "lexicon" in result.output


@pytest.mark.parametrize(("feeds", "pieces"), [
    ('[[feeds]]\nurl = "example.com/rss.xml"\n', ["feed #1", "no scheme", "https://example.com/rss.xml"]),
    ('[[feeds]]\nurl = "http://exa mple.com/rss"\n', ["feed #1", "space"]),
    ('[[feeds]]\nurl = "http://"\n', ["feed #1", "no host"]),
    ('[[feeds]]\nurl = "ftp://example.com/rss.xml"\n', ["feed #1", "'ftp' is not supported"]),
    ('[[feeds]]\nurl = "javascript:alert(1)"\n', ["feed #1", "'javascript' is not supported"]),
    ('[[feeds]]\nurl = "https://a.example/rss"\n[[feeds]]\nurl = "https://A.example/rss/"\n',
     ["feeds", "feed #2 has the same url as feed #1"]),
    ('[[feeds]]\nurl = "https://a.example/rss"\nname = ""\n', ["feed #1", "name", "empty"]),
])
def test_feed_urls_that_cannot_work_are_refused(config_dir: Path, feeds: str, pieces: list[str]) -> None:
    assert_refused(check(add_to(config_dir, feeds)), "bot.toml", *pieces)


@pytest.mark.parametrize(("old", "new", "pieces"), [
    ('digest_cron = "0 9,18 * * *"', 'digest_cron = "0 9,18 * * *"\ndigest_every_seconds = 60',
     ["digest_cron and digest_every_seconds are both set"]),
    ('digest_cron = "0 9,18 * * *"', 'digest_cron = "0 9 31 2 *"', ["schedule.digest_cron", "never fires"]),
    ('prune_cron = "30 3 * * *"', 'prune_cron = "0 0 30 2 *"', ["schedule.prune_cron", "never fires"]),
    ('channel = "#claimbot"', 'channel = ""', ["slack.channel", "not a channel"]),
    ('channel = "#claimbot"', 'channel = "#Claim Bot"', ["slack.channel"]),
    ("fetch_timeout_seconds = 20", "fetch_timeout_seconds = inf", ["limits.fetch_timeout_seconds", "finite"]),
    ("fetch_timeout_seconds = 20", "fetch_timeout_seconds = nan", ["limits.fetch_timeout_seconds"]),
])
def test_settings_that_fail_later_are_refused_naming_the_key(config_dir: Path, old: str, new: str,
                                                               pieces: list[str]) -> None:
    assert_refused(check(edit(config_dir, old, new)), "bot.toml", *pieces)


def test_digest_every_seconds_alone_is_fine(config_dir: Path) -> None:
    result = check(edit(config_dir, 'digest_cron = "0 9,18 * * *"', "digest_every_seconds = 300"))
    assert result.exit_code == 0, result.output
    assert "digest every 300s" in result.output


def test_a_missing_lexicon_is_refused_and_an_explicit_none_is_not(config_dir: Path) -> None:
    (config_dir / "lexicon.toml").unlink()
    assert_refused(check(config_dir / "bot.toml"), "lexicon.toml", "file not found", "lexicon_file")
    result = check(edit(config_dir, 'lexicon_file = "lexicon.toml"', 'lexicon_file = ""'))
    assert result.exit_code == 0, result.output


def test_a_missing_topics_file_names_the_key_not_the_config_option(config_dir: Path) -> None:
    (config_dir / "topics.toml").unlink()
    result = check(config_dir / "bot.toml")
    assert_refused(result, "topics.toml", "file not found", "topics_file")
    assert "pass --config" not in result.output


def test_an_empty_alias_is_refused(config_dir: Path) -> None:
    topics = config_dir / "topics.toml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text.replace('en = ["DeepSeek"', 'en = ["", "DeepSeek"', 1), encoding="utf-8")
    assert 'en = ["", "DeepSeek"' in topics.read_text(encoding="utf-8")
    assert_refused(check(config_dir / "bot.toml"), "topics.toml", "topic 'deepseek'", "empty alias")


def test_a_byte_order_mark_is_accepted(config_dir: Path) -> None:
    path = config_dir / "bot.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = check(path)
    assert result.exit_code == 0, result.output


# --- --slack -----------------------------------------------------------------------------

def slack_env(slack: FakeSlack) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.base_url}


def test_slack_check_passes_for_a_channel_the_bot_is_in(config_dir: Path, slack: FakeSlack) -> None:
    result = check(config_dir / "bot.toml", "--slack", env=slack_env(slack))
    assert result.exit_code == 0, result.output
    assert "#claimbot (C124) exists and the bot is a member" in result.output


def test_a_misspelt_channel_is_refused_before_the_first_digest(config_dir: Path, slack: FakeSlack) -> None:
    result = check(edit(config_dir, 'channel = "#claimbot"', 'channel = "#claimbott"'), "--slack",
                   env=slack_env(slack))
    assert_refused(result, "slack.channel", "'#claimbott'", "no such channel")


def test_a_channel_id_is_checked_with_conversations_info(config_dir: Path, slack: FakeSlack) -> None:
    result = check(edit(config_dir, 'channel = "#claimbot"', 'channel = "C999999"'), "--slack", env=slack_env(slack))
    assert_refused(result, "slack.channel", "'C999999'", "no such channel")
    result = check(edit(config_dir, 'channel = "C999999"', 'channel = "C123"'), "--slack", env=slack_env(slack))
    assert_refused(result, "slack.channel")  # C123 is an id shape the config refuses: too short
    ok = check(edit(config_dir, 'channel = "C123"', 'channel = "C1240000"'), "--slack", env=slack_env(slack))
    assert_refused(ok, "no such channel")
    slack.channels["claims"] = "C1240000"
    assert check(config_dir / "bot.toml", "--slack", env=slack_env(slack)).exit_code == 0
    assert any(method == "conversations.info" for method, _ in slack.calls)


def test_a_channel_without_the_bot_is_refused_with_the_invite_command(config_dir: Path, slack: FakeSlack) -> None:
    slack.members = {"C123"}
    result = check(config_dir / "bot.toml", "--slack", env=slack_env(slack))
    assert_refused(result, "slack.channel", "not a member of #claimbot", "/invite @claimbot")


def test_a_bad_token_is_one_line(config_dir: Path, slack: FakeSlack) -> None:
    result = check(config_dir / "bot.toml", "--slack", env={**slack_env(slack), "SLACK_BOT_TOKEN": "xoxb-wrong"})
    assert_refused(result, "SLACK_BOT_TOKEN", "rejected by Slack (invalid_auth)")
    assert "The server responded with" not in result.output


def test_a_missing_scope_is_named(config_dir: Path, slack: FakeSlack) -> None:
    slack.missing_scope["conversations.list"] = "channels:read"
    result = check(config_dir / "bot.toml", "--slack", env=slack_env(slack))
    assert_refused(result, "SLACK_BOT_TOKEN", "channels:read")


# --- --feeds -------------------------------------------------------------------------------

def test_feeds_are_fetched_once_and_tabled(config_dir: Path, http_server: LocalServer) -> None:
    http_server.routes["/rss"] = respond(200, RSS, {"Content-Type": "application/rss+xml"})
    feeds = (f'[[feeds]]\nurl = "{http_server.url("/rss")}"\nname = "Local news"\n'
             f'[[feeds]]\nurl = "{http_server.url("/gone")}"\nname = "Gone"\n')
    edit(config_dir, "allow_private_addresses = false", "allow_private_addresses = true")
    result = check(add_to(config_dir, feeds), "--feeds")
    assert result.exit_code == 1, result.output
    rows = {line.split()[0] + " " + line.split()[1]: line for line in result.output.splitlines()
            if line.startswith(("Local", "Gone"))}
    assert " ok " in rows["Local news"] and " 2 " in rows["Local news"]
    assert "FAILED" in rows["Gone FAILED"] and "HTTP 404" in rows["Gone FAILED"]
    assert "1 of 2 feed(s) failed: Gone" in result.output
    assert [path for _, path, _, _ in http_server.requests].count("/rss") == 1


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/rss", "http://localhost/rss", "http://10.1.2.3/rss",
                                 "http://[::1]/rss", "http://169.254.169.254/latest"])
def test_feeds_on_private_addresses_are_refused_naming_the_setting(config_dir: Path, url: str) -> None:
    result = check(add_to(config_dir, f'[[feeds]]\nurl = "{url}"\nname = "Intranet"\n'))
    assert_refused(result, "feed #1 (Intranet)", "limits.allow_private_addresses")


def test_feeds_the_private_address_guard_refuses_fail_the_feed_check(config_dir: Path, http_server: LocalServer,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that resolves to a private address: only fetching finds out."""
    import socket

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real("127.0.0.1" if host == "intranet.test"
                                                                         else host, *a, **k))
    result = check(add_to(config_dir, '[[feeds]]\nurl = "http://intranet.test/rss"\nname = "Intranet"\n'), "--feeds")
    assert result.exit_code == 1
    assert "non-public address" in result.output and "allow_private_addresses" in result.output


def test_an_unreachable_feed_fails_the_check(config_dir: Path) -> None:
    edit(config_dir, "allow_private_addresses = false", "allow_private_addresses = true")
    result = check(add_to(config_dir, '[[feeds]]\nurl = "http://127.0.0.1:9/rss"\nname = "Down"\n'), "--feeds")
    assert result.exit_code == 1
    assert "Down" in result.output and "connection failed" in result.output


def test_slack_out_of_reach_is_one_line(config_dir: Path) -> None:
    result = check(config_dir / "bot.toml", "--slack",
                   env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    assert_refused(result, "slack: Slack could not be reached for auth.test", "SLACK_API_URL")


def test_a_topic_channel_is_checked_too_and_named_by_its_topic(config_dir: Path, slack: FakeSlack) -> None:
    topics = config_dir / "topics.toml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text.replace("[topics.stargate]\n", '[topics.stargate]\nchannel = "#stargate-news"\n', 1),
                      encoding="utf-8")
    result = check(config_dir / "bot.toml", "--slack", env=slack_env(slack))
    assert_refused(result, "[topics.stargate] channel", "'#stargate-news'", "no such channel")
    slack.channels["stargate-news"] = "C555555"
    ok = check(config_dir / "bot.toml", "--slack", env=slack_env(slack))
    assert ok.exit_code == 0, ok.output
    assert "channel #stargate-news (C555555) for stargate: exists and the bot is a member" in ok.output
