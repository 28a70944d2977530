"""Logs an operator can use: levels that mean something, feed names, no library chatter, reloads
that say what changed, and a first poll that says why nothing was posted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.fetch import Fetcher, FetchOptions
from bot.logs import CHATTY, configure_logging

from .conftest import LocalServer, respond
from .test_service import PAGE, feed_xml, make_due, make_service


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in CHATTY})
    stream = io.StringIO()
    configure_logging(stream=stream)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(ln) for ln in stream.getvalue().splitlines()]


def test_library_chatter_is_quiet_unless_verbose(log_stream: io.StringIO, http_server: LocalServer) -> None:
    http_server.routes["/x"] = respond(200, b"hello")
    fetcher = Fetcher(FetchOptions(allow_private=True))
    fetcher.get(http_server.url("/x"))
    assert not [ln for ln in lines(log_stream) if "HTTP Request" in ln["event"]]
    configure_logging(verbose=True, stream=log_stream)
    fetcher.get(http_server.url("/x"))
    fetcher.close()
    assert [ln for ln in lines(log_stream) if "HTTP Request" in ln["event"] and ln["logger"] == "httpx"]


def test_a_failed_poll_is_a_warning_that_names_the_feed(log_stream: io.StringIO, http_server: LocalServer,
                                                          tmp_path: Path) -> None:
    http_server.routes["/rss"] = respond(503, b"down")
    service = make_service(tmp_path, http_server, io.StringIO())
    service.poll_due()
    [poll] = [ln for ln in lines(log_stream) if ln["event"] == "poll"]
    assert poll["level"] == "warning" and poll["feed"] == "Test feed" and poll["url"] == http_server.url("/rss")
    assert "HTTP 503" in poll["error"]


def test_the_first_poll_says_it_recorded_history(log_stream: io.StringIO, http_server: LocalServer,
                                                 tmp_path: Path) -> None:
    for n in (1, 2):
        http_server.routes[f"/news/{n}"] = respond(200, PAGE.format(n=n), {"Content-Type": "text/html; charset=utf-8"})
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1, 2]))
    service = make_service(tmp_path, http_server, io.StringIO())
    service.poll_due()
    [history] = [ln for ln in lines(log_stream) if ln["event"] == "history_recorded"]
    assert history["level"] == "info" and history["feed"] == "Test feed" and history["articles"] == 2
    assert history["message"] == ("Test feed: recorded 2 existing articles as history; new articles from now on "
                                  "will be posted")
    make_due(service)
    service.poll_due()
    assert len([ln for ln in lines(log_stream) if ln["event"] == "history_recorded"]) == 1  # the first poll only
    assert all(ln["level"] == "info" for ln in lines(log_stream) if ln["event"] == "poll")


def test_a_reload_says_what_was_added_and_removed(log_stream: io.StringIO, http_server: LocalServer,
                                                  tmp_path: Path) -> None:
    service = make_service(tmp_path, http_server, io.StringIO())
    new_url = http_server.url("/other")
    service.reload(replace(service.options, feed_names={new_url: "Other"}, feed_seed_history={new_url: True}))
    [reload] = [ln for ln in lines(log_stream) if ln["event"] == "reloaded"]
    assert reload["message"] == "config reloaded: added Other; removed Test feed"
    assert reload["added"] == ["Other"] and reload["removed"] == ["Test feed"]


def test_every_service_line_is_one_json_object(log_stream: io.StringIO, http_server: LocalServer,
                                               tmp_path: Path) -> None:
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1]))
    http_server.routes["/news/1"] = respond(404, b"gone")
    service = make_service(tmp_path, http_server, io.StringIO())
    service.poll_due()
    service.digest()
    parsed = lines(log_stream)
    assert parsed and all({"ts", "level", "event"} <= set(ln) for ln in parsed)
    per_feed = [ln for ln in parsed if ln["event"] in ("poll", "item_error", "history_recorded")]
    assert per_feed and all(ln["feed"] == "Test feed" for ln in per_feed)
    assert [ln["level"] for ln in parsed if ln["event"] == "item_error"] == ["warning"]


def test_a_feed_renamed_in_the_config_is_renamed_in_the_store(http_server: LocalServer, tmp_path: Path) -> None:
    service = make_service(tmp_path, http_server, io.StringIO())
    url = http_server.url("/rss")
    service.reload(replace(service.options, feed_names={url: "Renamed feed"}))
    with service.store.transaction() as repo:
        assert [f.name for f in repo.feed_states()] == ["Renamed feed"]


def _run_config(tmp_path: Path, server: LocalServer, extra: str = "") -> Path:
    from .conftest import ROOT

    server.routes["/rss"] = respond(200, feed_xml(server.base, []))
    config = tmp_path / "bot.toml"
    config.write_text(
        f'topics_file = "{ROOT / "config" / "topics.toml"}"\nlexicon_file = "{ROOT / "config" / "lexicon.toml"}"\n'
        f'database_url = "sqlite:///{tmp_path}/run.db"\n[schedule]\npoll_seconds = 10\nhealth_port = 0\n{extra}'
        f'[limits]\nallow_private_addresses = true\n[[feeds]]\nurl = "{server.url("/rss")}"\nname = "Local"\n',
        encoding="utf-8")
    return config


def test_run_with_a_rejected_slack_token_stops_with_one_line(http_server: LocalServer, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from .fake_slack import fake_slack_server

    config = _run_config(tmp_path, http_server, '[slack]\nchannel = "#claims"\n')
    with fake_slack_server() as slack:
        proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(config)], capture_output=True,
                              text=True, timeout=60, env={**os.environ, "SLACK_BOT_TOKEN": "xoxb-revoked",
                                                           "SLACK_API_URL": slack.base_url, "CLAIMBOT_CONFIG": ""})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "Error: config: SLACK_BOT_TOKEN: rejected by Slack (invalid_auth). copy the Bot User OAuth Token (xoxb-...) "
        "of the installed app again"]


def test_the_start_line_names_the_digest_schedule_in_force(http_server: LocalServer, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    config = _run_config(tmp_path, http_server, "digest_every_seconds = 3600\n")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--console", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "CLAIMBOT_CONFIG": ""})
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["event"] == "poll":
            break
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    [start] = [ln for ln in seen if ln["event"] == "start"]
    assert start["digest_every_seconds"] == 3600 and "digest_cron" not in start
    assert not [ln for ln in seen if ln.get("logger") in ("httpx", "alembic.runtime.migration")]
    assert all(ln["feed"] == "Local" for ln in seen if ln["event"] in ("poll", "history_recorded"))


def test_healthcheck_asks_the_configured_port(http_server: LocalServer, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    service = make_service(tmp_path, http_server, io.StringIO())
    server = service.serve_health(0)
    port = server.server_address[1]
    config = _run_config(tmp_path, http_server).read_text(encoding="utf-8").replace("health_port = 0",
                                                                                    f"health_port = {port}")
    (tmp_path / "bot.toml").write_text(config, encoding="utf-8")
    try:
        down = CliRunner().invoke(main, ["healthcheck", "--config", str(tmp_path / "bot.toml")])
        assert down.exit_code == 1 and f"127.0.0.1:{port}/healthz: unhealthy (HTTP 503" in down.output
        service.scheduler = type("Running", (), {"running": True})()
        up = CliRunner().invoke(main, ["healthcheck", "--config", str(tmp_path / "bot.toml")])
        assert up.exit_code == 0 and "ok" in up.output
        # The Docker HEALTHCHECK's form: the standard library only, the config from $CLAIMBOT_CONFIG.
        import os
        import subprocess
        import sys

        light = subprocess.run([sys.executable, "-m", "bot.healthcheck"], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "CLAIMBOT_CONFIG": str(tmp_path / "bot.toml")}, cwd=tmp_path)
        assert light.returncode == 0 and f"127.0.0.1:{port}/healthz: ok" in light.stdout
    finally:
        server.shutdown()
        server.server_close()
    gone = CliRunner().invoke(main, ["healthcheck", "--config", str(tmp_path / "bot.toml")])
    assert gone.exit_code == 1 and "no answer" in gone.output and "Is `claimbot run` up?" in gone.output
