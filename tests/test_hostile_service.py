"""The service under a slow and a very long feed: the healthy feed keeps being polled, /healthz
answers, and SIGTERM ends the run at once; a busy health port is one clear line."""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import ConfigError

from .conftest import ROOT, LocalServer, respond
from .test_service import feed_xml, make_service


def lines_of(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """stdout lines as they come, read in a thread, so the test can give up instead of hanging."""
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def wait_for(found: queue.Queue[str], seen: list[dict], predicate, limit: float = 90.0) -> bool:  # type: ignore[no-untyped-def]
    """Collect log events until one matches; False when none did (a hang), never a timing assertion."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            line = found.get(timeout=0.5)
        except queue.Empty:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        seen.append(event)
        if predicate(event, seen):
            return True
    return False


def test_a_slow_and_a_long_feed_hold_up_neither_the_others_nor_sigterm(http_server: LocalServer,
                                                                        tmp_path: Path) -> None:
    release = threading.Event()

    def slow_headers(h: BaseHTTPRequestHandler) -> None:  # one header byte now and then, until released
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not release.wait(0.5):
            h.wfile.write(b"X-Slow: 1\r\n")
            h.wfile.flush()

    def stalled_page(h: BaseHTTPRequestHandler) -> None:
        release.wait(120)
        respond(200, "<p>late</p>")(h)

    http_server.routes["/slow"] = slow_headers
    http_server.routes["/fast"] = respond(200, feed_xml(http_server.base, []))
    http_server.routes["/long"] = respond(200, feed_xml(http_server.base, list(range(2000))))
    for n in range(2000):
        http_server.routes[f"/news/{n}"] = stalled_page
    config = tmp_path / "bot.toml"
    config.write_text(
        f'topics_file = "{ROOT / "config" / "topics.toml"}"\ndatabase_url = "sqlite:///{tmp_path}/run.db"\n'
        "[schedule]\npoll_seconds = 1\nhealth_port = 0\n[limits]\nallow_private_addresses = true\n"
        "fetch_timeout_seconds = 600\n"
        # The healthy feed on another host name: two feeds of one site may hold both of its slots.
        + "".join(f'[[feeds]]\nurl = "{url}"\nseed_history = false\n'
                  for url in (http_server.url("/slow"), http_server.url("/long"),
                              http_server.url("/fast").replace("127.0.0.1", "localhost"))), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--console", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        found, seen = lines_of(proc), []
        fast_polls = lambda s: sum(e.get("event") == "poll" and e.get("feed", "").endswith("/fast") for e in s)  # noqa: E731
        assert wait_for(found, seen, lambda e, s: fast_polls(s) >= 3), seen
        assert not any(e.get("event") == "poll" and not e.get("feed", "").endswith("/fast") for e in seen)
        health = next(e for e in seen if e.get("event") == "health_endpoint")
        assert health["host"] == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{health['port']}/healthz", timeout=10) as answer:
            assert answer.status == 200
        proc.send_signal(signal.SIGTERM)
        # The slow feed is still sending headers and the long feed's page still stalls: only an
        # abort ends them before they are released, far later.
        assert wait_for(found, seen, lambda e, s: e.get("event") == "stopped", limit=60), seen
        assert proc.wait(timeout=30) == 0
    finally:
        release.set()
        proc.kill()
        proc.wait()
    interrupted = {e["feed"].rsplit("/", 1)[1] for e in seen if e.get("status") == "interrupted"}
    assert {"slow", "long"} <= interrupted  # the healthy feed may have been in hand too
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_a_busy_health_port_is_one_line_naming_the_setting(http_server: LocalServer, tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        service = make_service(tmp_path, http_server, io.StringIO())
        with pytest.raises(ConfigError, match=r"schedule\.health_port.*in use|schedule\.health_port.*cannot listen"):
            service.serve_health(taken.getsockname()[1])
    finally:
        taken.close()


def test_health_listens_on_loopback_unless_told(http_server: LocalServer, tmp_path: Path) -> None:
    service = make_service(tmp_path, http_server, io.StringIO())
    server = service.serve_health(0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()
        server.server_close()


def test_run_with_a_busy_health_port_says_so_without_bug(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, []))
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    config = tmp_path / "bot.toml"
    config.write_text(
        f'topics_file = "{ROOT / "config" / "topics.toml"}"\ndatabase_url = "sqlite:///{tmp_path}/run.db"\n'
        f"[schedule]\nhealth_port = {taken.getsockname()[1]}\n"
        f'[[feeds]]\nurl = "{http_server.url("/rss")}"\n', encoding="utf-8")
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        result = CliRunner().invoke(main, ["run", "--console", "--config", str(config)])
    finally:
        taken.close()
        logging.getLogger().handlers.clear()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert result.exit_code == 1 and "schedule.health_port" in result.output and "bug" not in result.output


def test_in_the_service_a_finished_feed_starts_the_next_due_one(http_server: LocalServer, tmp_path: Path) -> None:
    """Ticks no longer wait for every feed, so between ticks the workers must refill themselves:
    six due feeds and two workers, one start, and all six are polled."""
    from sqlalchemy import text

    from bot.service import ServiceOptions

    for n in range(6):
        http_server.routes[f"/rss{n}"] = respond(200, feed_xml(http_server.base, []))
    service = make_service(tmp_path, http_server, io.StringIO(), concurrency=2)
    urls = {http_server.url(f"/rss{n}"): None for n in range(6)}
    service.options = ServiceOptions(**{**{f: getattr(service.options, f) for f in ServiceOptions.__slots__},
                                        "feed_names": urls, "feed_seed_history": dict.fromkeys(urls, True)})
    service.sync_feeds(remove_missing=True)
    service.refill = True
    service.start_due_polls()
    end = time.monotonic() + 60  # a guard against a hang, not a timing assertion
    polled = 0
    while time.monotonic() < end and polled < 6:
        with service.store.engine.connect() as conn:
            polled = conn.execute(text("SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL")).scalar()
        time.sleep(0.05)
    assert polled == 6


def test_the_request_deadline_is_a_setting(tmp_path: Path) -> None:
    from bot.cli import fetcher_for
    from bot.config import load_settings

    config = tmp_path / "bot.toml"
    config.write_text(f'topics_file = "{ROOT / "config" / "topics.toml"}"\n[limits]\nrequest_deadline_seconds = 7\n',
                      encoding="utf-8")
    assert fetcher_for(load_settings(config)).options.total_timeout == 7
