"""The service: scheduling decisions, seeding history, feed health, and a clean SIGTERM."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.claims import ClaimOptions
from bot.config import load_topics
from bot.delivery.console import ConsoleNotifier
from bot.digest import DigestOptions
from bot.extract import ExtractOptions
from bot.fetch import Fetcher, FetchOptions
from bot.pipeline import Context
from bot.service import Service, ServiceOptions, next_poll
from bot.store import Store

from .conftest import ROOT, LocalServer, respond

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)


def test_next_poll_backs_off_exponentially_and_caps() -> None:
    rng = random.Random(1)
    plain = next_poll(NOW, 600, rng=rng) - NOW
    assert timedelta(seconds=540) <= plain <= timedelta(seconds=660)
    third = next_poll(NOW, 600, error_count=3, rng=rng) - NOW
    assert timedelta(seconds=4320) <= third <= timedelta(seconds=5280)
    capped = next_poll(NOW, 600, error_count=30, rng=rng) - NOW
    assert capped <= timedelta(hours=6, minutes=36)


def test_next_poll_honours_what_the_site_asks() -> None:
    rng = random.Random(2)
    assert next_poll(NOW, 60, retry_after=3600, rng=rng) - NOW >= timedelta(seconds=3240)
    assert next_poll(NOW, 60, max_age=1200, rng=rng) - NOW >= timedelta(seconds=1080)
    assert next_poll(NOW, 60, ttl_minutes=30, rng=rng) - NOW >= timedelta(seconds=1620)


def feed_xml(base: str, items: list[int]) -> bytes:
    entries = "".join(f"<item><title>t{i}</title><link>{base}/news/{i}</link></item>" for i in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode()


PAGE = ("<html><body><article><p>오픈AI와 소프트뱅크의 스타게이트 프로젝트가 {n}번째 데이터센터에 {n}00억 달러를 "
        "투자한다고 {n}일 밝혔다.</p></article></body></html>")


def make_service(tmp_path: Path, server: LocalServer, out: io.StringIO, **kw: object) -> Service:
    topics, names = load_topics(ROOT / "config" / "topics.toml")
    ctx = Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions())
    url = server.url("/rss")
    options = ServiceOptions(poll_seconds=60, digest_cron="0 9 * * *", prune_cron="0 3 * * *", timezone="UTC",
                             retention_days=90, feed_intervals={}, feed_seed_history={url: True},
                             feed_names={url: "Test feed"}, **kw)  # type: ignore[arg-type]
    store = Store.open(f"sqlite:///{tmp_path}/svc.db")
    fetcher = Fetcher(FetchOptions(allow_private=True))
    notifier = ConsoleNotifier(DigestOptions(timezone=ZoneInfo("UTC")), stream=out)
    clock = iter([NOW + timedelta(minutes=i) for i in range(1000)])
    service = Service(options, store, fetcher, notifier, ctx, names, clock=lambda: next(clock), worker_id="w1")
    service.sync_feeds()
    return service


def make_due(service: Service) -> None:
    """Skip the wait: the scheduling itself is tested through next_poll."""
    with service.store.engine.begin() as conn:
        conn.execute(text("UPDATE feeds SET next_poll_at = NULL"))


def test_first_poll_seeds_history_then_only_new_items_are_posted(http_server: LocalServer, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        http_server.routes[f"/news/{n}"] = respond(200, PAGE.format(n=n), {"Content-Type": "text/html; charset=utf-8"})
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1, 2]))
    out = io.StringIO()
    service = make_service(tmp_path, http_server, out)
    [first] = service.poll_due()
    assert first.new_articles == 2
    service.digest()
    assert out.getvalue() == ""  # seeded: nothing posted, nothing flooded
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1, 2, 3]))
    make_due(service)
    [second] = service.poll_due()
    assert second.new_articles == 1
    service.digest()
    bullets = [ln for ln in out.getvalue().splitlines() if ln.strip().startswith("•")]
    assert len(bullets) == 1 and "3번째" in bullets[0]


def test_a_failing_feed_is_kept_counted_and_named_in_the_digest(http_server: LocalServer, tmp_path: Path) -> None:
    out = io.StringIO()
    service = make_service(tmp_path, http_server, out, error_threshold=2, post_empty=True)
    for _ in range(2):
        [result] = service.poll_due()  # /rss is not routed: 404
        assert result.status == "error"
        make_due(service)
    with service.store.transaction() as repo:
        [state] = repo.feed_states()
    assert state.error_count == 2 and "HTTP 404" in (state.last_error or "") and state.error_since is not None
    service.digest()
    assert "1 feed failed: Test feed" in out.getvalue()


def test_sigterm_stops_the_service_cleanly(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, []))
    config = tmp_path / "bot.toml"
    config.write_text(
        f'topics_file = "{ROOT / "config" / "topics.toml"}"\ndatabase_url = "sqlite:///{tmp_path}/run.db"\n'
        "[schedule]\npoll_seconds = 10\n[limits]\nallow_private_addresses = true\n"
        f'[[feeds]]\nurl = "{http_server.url("/rss")}"\nname = "local"\n', encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--console", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # wait for the first poll, however long start-up takes
        lines.append(line)
        if '"event": "poll"' in line:
            break
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert '"event": "stopped"' in rest and "Traceback" not in err


def test_failure_and_recovery_are_announced_once_each(http_server: LocalServer, tmp_path: Path) -> None:
    out = io.StringIO()
    service = make_service(tmp_path, http_server, out, error_threshold=2)
    for _ in range(3):  # fails three times: announced when it reaches two, not again at three
        service.poll_due()
        make_due(service)
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, []))
    service.poll_due()
    alerts = [ln for ln in out.getvalue().splitlines() if ln.startswith("[alert]")]
    assert len(alerts) == 2
    assert "Feed failing: Test feed" in alerts[0] and "HTTP 404" in alerts[0]
    assert "Feed recovered: Test feed" in alerts[1]


def test_health_and_metrics_endpoints(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, []))
    service = make_service(tmp_path, http_server, io.StringIO())
    server = service.serve_health(0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(urllib.error.HTTPError) as down:
            urllib.request.urlopen(base + "/healthz", timeout=5)  # no scheduler running yet
        assert down.value.code == 503
        service.poll_due()
        service.scheduler = type("Running", (), {"running": True})()
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            detail = json.load(response)
        assert detail["database"] is True and detail["last_poll_age_seconds"] is not None
        with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
            metrics = response.read().decode()
        assert 'claimbot_polls_total{status="ok"} 1.0' in metrics and "claimbot_feeds_in_error" in metrics
    finally:
        server.shutdown()


def test_reload_adds_and_removes_feeds(http_server: LocalServer, tmp_path: Path) -> None:
    from dataclasses import replace

    service = make_service(tmp_path, http_server, io.StringIO())
    new_url = http_server.url("/other")
    service.reload(replace(service.options, feed_names={new_url: "Other"}, feed_seed_history={new_url: True}))
    with service.store.transaction() as repo:
        assert [f.url for f in repo.feed_states()] == [new_url]
