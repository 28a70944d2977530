"""The small walls of issue 15: contradictory flags, one JSON shape, the time of day, the User-Agent,
and a dry run that says what seed_history will do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.fetch import USER_AGENT

from .conftest import ROOT, LocalServer, respond
from .test_service import PAGE, feed_xml

ENV = {"DATABASE_URL": "", "CLAIMBOT_CONFIG": "", "SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": ""}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    path = tmp_path / "config" / "bot.toml"
    path.write_text(path.read_text(encoding="utf-8")
                    .replace('database_url = "sqlite:///../data/claimbot.db"', f'database_url = "sqlite:///{tmp_path}/s.db"')
                    .replace("allow_private_addresses = false", "allow_private_addresses = true"), encoding="utf-8")
    return path


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=ENV, input=stdin)


def test_preview_and_send_together_are_refused(config: Path) -> None:
    result = cli("digest", "--preview", "--send", "--config", str(config))
    assert result.exit_code == 2 and "contradict" in result.output


def test_digest_and_dry_run_json_have_one_shape(config: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/s.db"
    text = ("OpenAI, SoftBank and Oracle announced the Stargate project on Tuesday. The companies said they "
            "will invest $500 billion over four years in AI data centers in the United States.")
    assert cli("replay", "-", "--db", db, "--config", str(config),
               stdin=json.dumps({"url": "https://a.example/1", "text": text})).exit_code == 0
    previewed = cli("digest", "--format", "json", "--config", str(config))
    assert previewed.exit_code == 0, previewed.output
    dry = cli("dry-run", "--format", "json", "--config", str(config))
    assert dry.exit_code == 0, dry.output
    for output in (previewed.stdout, dry.stdout):
        shape = json.loads(output)
        assert list(shape) == ["messages"]
        assert all(set(m) == {"text", "blocks", "thread_reply"} for m in shape["messages"])


def test_extract_keeps_the_time_of_day(tmp_path: Path) -> None:
    body = "딥시크가 새로운 추론 모델을 공개했다고 회사가 20일 밝혔다. 개발 비용은 600만 달러로 알려졌다. " * 3
    page = tmp_path / "page.html"
    page.write_text('<html><head><meta property="article:published_time" content="2025-01-20T13:00:00+09:00">'
                    f"<title>딥시크</title></head><body><article><p>{body}</p></article></body></html>",
                    encoding="utf-8")
    result = cli("extract", str(page), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == "2025-01-20T13:00:00+09:00"


def test_the_user_agent_carries_the_configured_contact(config: Path, http_server: LocalServer) -> None:
    assert "github.com/claimbot" not in USER_AGENT and "example" not in USER_AGENT
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1]))
    config.write_text(config.read_text(encoding="utf-8").replace('contact = ""', 'contact = "news-ops@ourco.test"')
                      + f'\n[[feeds]]\nurl = "{http_server.url("/rss")}"\nname = "Local"\n', encoding="utf-8")
    result = cli("check-config", "--feeds", "--config", str(config))
    assert result.exit_code == 0, result.output
    [(_, _, headers, _)] = http_server.requests
    assert headers["User-Agent"].startswith("claimbot/") and "contact: news-ops@ourco.test" in headers["User-Agent"]
    config.write_text(config.read_text(encoding="utf-8").replace('user_agent = ""', 'user_agent = "OurBot/2"'),
                      encoding="utf-8")
    cli("check-config", "--feeds", "--config", str(config))
    assert http_server.requests[-1][2]["User-Agent"] == "OurBot/2"


def test_dry_run_says_how_it_treats_seed_history_and_fails_on_failed_feeds(config: Path,
                                                                           http_server: LocalServer) -> None:
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1]))
    http_server.routes["/news/1"] = respond(200, PAGE.format(n=1), {"Content-Type": "text/html; charset=utf-8"})
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f'\n[[feeds]]\nurl = "{http_server.url("/rss")}"\nname = "Local"\n')
    result = cli("dry-run", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "seed_history = true for 1 of 1 feed(s)" in result.stderr and "posts nothing for them" in result.stderr
    assert "스타게이트" in result.stdout
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f'\n[[feeds]]\nurl = "{http_server.url("/gone")}"\nname = "Gone"\n')
    failed = cli("dry-run", "--config", str(config))
    assert failed.exit_code == 1
    assert "warning: feed Gone: fetch:" in failed.stderr and "1 of 2 feed(s) failed: Gone" in failed.stderr


def test_sending_to_a_wrong_channel_is_one_line_that_names_the_channel_not_a_bug(config: Path, tmp_path: Path) -> None:
    from .fake_slack import fake_slack_server

    text = ("OpenAI, SoftBank and Oracle announced the Stargate project on Tuesday. The companies said they "
            "will invest $500 billion over four years in AI data centers in the United States.")
    cli("replay", "-", "--db", f"sqlite:///{tmp_path}/s.db", "--config", str(config),
        stdin=json.dumps({"url": "https://a.example/1", "text": text}))
    config.write_text(config.read_text(encoding="utf-8").replace('channel = "#claimbot"', 'channel = "#claimbott"'),
                      encoding="utf-8")
    with fake_slack_server() as slack:
        result = CliRunner().invoke(main, ["digest", "--send", "--config", str(config)],
                                    env={**ENV, "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.base_url})
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "channel_not_found" in line and "#claimbott" in line and "bug" not in line
