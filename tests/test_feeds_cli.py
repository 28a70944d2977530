"""Feeds managed from the CLI: bot.toml edited in place with its comments, OPML both ways, and a
running service that sees the change."""

from __future__ import annotations

import io
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.cli.common import service_options
from bot.config import load_settings

from .conftest import ROOT, LocalServer, respond
from .test_service import PAGE, feed_xml, make_service

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>my reader</title></head><body>
  <outline text="Tech">
    <outline type="rss" text="Alpha" title="Alpha News" xmlUrl="https://alpha.example/rss.xml"/>
    <outline type="rss" text="Beta" xmlUrl="https://beta.example/feed"/>
  </outline>
  <outline type="rss" text="Already" xmlUrl="https://gamma.example/rss"/>
</body></opml>
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    path = tmp_path / "config" / "bot.toml"
    text = path.read_text(encoding="utf-8").replace('database_url = "sqlite:///../data/claimbot.db"',
                                                    f'database_url = "sqlite:///{tmp_path}/feeds.db"')
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": "", "CLAIMBOT_CONFIG": ""})


def comments(path: Path) -> list[str]:
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.lstrip().startswith("#") or " # " in ln]


def feeds_of(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8")).get("feeds", [])


def test_add_and_remove_keep_every_comment(config: Path) -> None:
    before = comments(config)
    result = cli("feeds", "add", "https://gamma.example/rss", "--name", "Gamma", "--interval", "600",
                 "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "added Gamma" in result.output and "SIGHUP" not in result.output and "HUP" in result.output
    assert feeds_of(config) == [{"url": "https://gamma.example/rss", "name": "Gamma", "interval_seconds": 600}]
    assert comments(config) == before
    result = cli("feeds", "remove", "Gamma", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert feeds_of(config) == [] and comments(config) == before
    assert cli("check-config", "--config", str(config)).exit_code == 0


def test_adding_a_bad_or_duplicate_url_changes_nothing(config: Path) -> None:
    assert cli("feeds", "add", "https://gamma.example/rss", "--config", str(config)).exit_code == 0
    before = config.read_bytes()
    duplicate = cli("feeds", "add", "https://GAMMA.example/rss/", "--config", str(config))
    assert duplicate.exit_code == 1 and "already in" in duplicate.output
    bad = cli("feeds", "add", "gamma.example/other", "--config", str(config))
    assert bad.exit_code == 1 and "no scheme" in bad.output
    assert config.read_bytes() == before


def test_removing_an_unknown_feed_lists_the_known_ones(config: Path) -> None:
    cli("feeds", "add", "https://gamma.example/rss", "--name", "Gamma", "--config", str(config))
    result = cli("feeds", "remove", "Delta", "--config", str(config))
    assert result.exit_code == 1 and "no such feed" in result.output and "Gamma" in result.output


def test_opml_import_skips_known_feeds_and_export_round_trips(config: Path, tmp_path: Path) -> None:
    cli("feeds", "add", "https://gamma.example/rss", "--name", "Gamma", "--config", str(config))
    before = comments(config)
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML, encoding="utf-8")
    result = cli("feeds", "import", str(opml), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "imported 2 feed(s)" in result.output and "skipped 1" in result.output
    assert [(f["url"], f.get("name")) for f in feeds_of(config)] == [
        ("https://gamma.example/rss", "Gamma"), ("https://alpha.example/rss.xml", "Alpha News"),
        ("https://beta.example/feed", "Beta")]
    assert comments(config) == before
    exported = cli("feeds", "export", "--config", str(config))
    assert exported.exit_code == 0
    again = tmp_path / "again.opml"
    again.write_text(exported.output, encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(config.parent, other)
    (other / "bot.toml").write_text((ROOT / "config" / "bot.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("feeds", "import", str(again), "--config", str(other / "bot.toml")).exit_code == 0
    assert feeds_of(other / "bot.toml") == feeds_of(config)


@pytest.mark.parametrize(("content", "piece"), [
    ("<opml><body></body></opml>", "holds no feeds"),
    ("<rss></rss>", "not OPML"),
    ("<opml><body><outline xmlUrl=", "not valid XML"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml/>', "entities"),
    ('<opml><body><outline xmlUrl="ftp://x.example/f"/></body></opml>', "not supported"),
])
def test_bad_opml_is_one_line_and_changes_nothing(config: Path, tmp_path: Path, content: str, piece: str) -> None:
    before = config.read_bytes()
    opml = tmp_path / "bad.opml"
    opml.write_text(content, encoding="utf-8")
    result = cli("feeds", "import", str(opml), "--config", str(config))
    assert result.exit_code == 1 and piece in result.output and "Traceback" not in result.output
    assert config.read_bytes() == before


def test_feeds_lists_health_by_name(config: Path) -> None:
    cli("feeds", "add", "https://gamma.example/rss", "--name", "Gamma", "--config", str(config))
    for args in (["feeds", "--config", str(config)], ["feeds", "list", "--config", str(config)]):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Gamma\n  url: https://gamma.example/rss\n  status: ok")


def test_topics_list_names_every_topic(config: Path) -> None:
    result = cli("topics", "list", "--config", str(config))
    assert result.exit_code == 0, result.output
    ids = tomllib.loads((config.parent / "topics.toml").read_text(encoding="utf-8"))["topics"]
    for topic_id in ids:
        assert f"\n{topic_id}  " in "\n" + result.output
    assert "DeepSeek" in result.output


def test_a_running_service_polls_a_feed_added_from_the_cli(config: Path, http_server: LocalServer,
                                                            tmp_path: Path) -> None:
    """The service re-reads bot.toml when its file changes, at the start of the next poll cycle."""
    for n in (1, 2):
        http_server.routes[f"/news/{n}"] = respond(200, PAGE.format(n=n), {"Content-Type": "text/html; charset=utf-8"})
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1]))
    http_server.routes["/second"] = respond(200, feed_xml(http_server.base, [2]))
    text = config.read_text(encoding="utf-8").replace("allow_private_addresses = false", "allow_private_addresses = true")
    config.write_text(text, encoding="utf-8")
    cli("feeds", "add", http_server.url("/rss"), "--name", "First", "--config", str(config))
    service = make_service(tmp_path, http_server, io.StringIO())
    service.reload(service_options(load_settings(config)))
    service.watch(config, lambda: service_options(load_settings(config)))
    assert [r.feed_url for r in service.poll_due()] == [http_server.url("/rss")]
    result = cli("feeds", "add", http_server.url("/second"), "--name", "Second", "--config", str(config))
    assert result.exit_code == 0, result.output
    polled = service.poll_due()
    assert [r.feed_url for r in polled] == [http_server.url("/second")]
    assert service.options.feed_names[http_server.url("/second")] == "Second"
    cli("feeds", "remove", "First", "--config", str(config))
    service.poll_due()
    with service.store.transaction() as repo:
        assert [f.url for f in repo.feed_states()] == [http_server.url("/second")]


def test_a_running_claimbot_run_process_polls_a_feed_added_meanwhile(config: Path, http_server: LocalServer) -> None:
    """End to end: the real `claimbot run`, `claimbot feeds add` from another process, no signal sent."""
    import json
    import os
    import queue
    import signal
    import subprocess
    import sys
    import threading

    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, []))
    http_server.routes["/second"] = respond(200, feed_xml(http_server.base, []))
    text = (config.read_text(encoding="utf-8").replace("allow_private_addresses = false", "allow_private_addresses = true")
            .replace("health_port = 8080", "health_port = 0").replace("poll_seconds = 900", "poll_seconds = 3600")
            .replace("config_watch_seconds = 30", "config_watch_seconds = 1"))
    config.write_text(text, encoding="utf-8")
    assert cli("feeds", "add", http_server.url("/rss"), "--name", "First", "--config", str(config)).exit_code == 0
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--console", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "CLAIMBOT_CONFIG": "", "DATABASE_URL": ""})
    events: queue.Queue[dict] = queue.Queue()
    threading.Thread(target=lambda: [events.put(json.loads(ln)) for ln in proc.stdout or []], daemon=True).start()

    def wait_for(pred) -> dict:  # type: ignore[no-untyped-def]
        while True:
            line = events.get(timeout=60)  # a safety net for a hung process, not a timing assertion
            if pred(line):
                return line

    try:
        wait_for(lambda ln: ln["event"] == "poll" and ln["feed"] == "First")
        assert cli("feeds", "add", http_server.url("/second"), "--name", "Second", "--config", str(config)).exit_code == 0
        reloaded = wait_for(lambda ln: ln["event"] == "reloaded")
        assert reloaded["message"] == "config reloaded: added Second"
        polled = wait_for(lambda ln: ln["event"] == "poll")
        assert polled["feed"] == "Second" and polled["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_the_installed_defaults_are_never_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.config

    installed = tmp_path / "site-packages" / "bot" / "defaults" / "config"
    shutil.copytree(ROOT / "config", installed)
    before = (installed / "bot.toml").read_bytes()
    monkeypatch.setattr(bot.config, "packaged_config", lambda: installed / "bot.toml")
    monkeypatch.chdir(tmp_path)
    result = cli("feeds", "add", "https://news.example/rss")
    assert result.exit_code == 1
    assert "defaults installed with claimbot" in result.output and "cp " in result.output
    assert (installed / "bot.toml").read_bytes() == before
