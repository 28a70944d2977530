"""End to end against real PostgreSQL: three `claimbot run` workers, 200 feeds of 20 items,
a fake Slack, a `kill -9` mid-poll and a clean SIGTERM.

Asserts that every article is stored once, every claim is posted at most once and none is
lost, the killed worker's leases expire so the others finish its feeds, and SIGTERM exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .conftest import ROOT
from .fake_slack import FakeSlack

FEEDS, ITEMS = 200, 20
TOPICAL = ("오픈AI와 소프트뱅크의 스타게이트 프로젝트가 {n}번째 데이터센터 부지를 확정했다고 {day}일 밝혔다. "
           "이 부지에는 {gw}기가와트 규모의 전력이 공급된다.")
PLAIN = "지역 축제가 {n}번째로 열렸다. 올해는 방문객이 {k}명으로 늘었다고 주최 측은 밝혔다."


class Site:
    """Feeds and pages for the whole test, served by one real HTTP server."""

    def __init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = site.render(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def render(self, path: str) -> bytes:
        parts = path.strip("/").split("/")
        if parts[0] == "feed":
            f = int(parts[1])
            items = "".join(f"<item><title>t{f}-{i}</title><link>{self.base}/page/{f}/{i}</link></item>"
                            for i in range(ITEMS))
            return f'<rss version="2.0"><channel><title>feed {f}</title>{items}</channel></rss>'.encode()
        if parts[0] == "page":
            f, i = int(parts[1]), int(parts[2])
            n = f * ITEMS + i
            # One page in ten is on topic; pairs of feeds share stories, so repeats occur too.
            sentence = TOPICAL.format(n=n % 150, day=1 + n % 28, gw=1 + n % 150) if n % 10 == 0 else \
                PLAIN.format(n=n, k=100 + n)
            return f"<html><body><article><p>{sentence}</p></article></body></html>".encode()
        return b""

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def write_config(tmp_path: Path, site: Site) -> Path:
    feeds = "".join(f'[[feeds]]\nurl = "{site.base}/feed/{f}"\nname = "feed {f}"\nseed_history = false\n'
                    for f in range(FEEDS))
    config = tmp_path / "bot.toml"
    config.write_text(
        f'topics_file = "{ROOT / "config" / "topics.toml"}"\nlexicon_file = "{ROOT / "config" / "lexicon.toml"}"\n'
        '[schedule]\npoll_seconds = 1\ndigest_every_seconds = 3\nlease_seconds = 8\nconcurrency = 4\n'
        'health_port = 0\n[slack]\nchannel = "#claims"\n[limits]\nallow_private_addresses = true\n' + feeds,
        encoding="utf-8")
    return config


def start_worker(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def state(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        one = lambda sql: int(conn.execute(text(sql)).scalar() or 0)  # noqa: E731
        return {
            "articles": one("SELECT count(*) FROM articles"),
            "distinct_urls": one("SELECT count(DISTINCT canonical_url) FROM articles"),
            "feeds_done": one("SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL"),
            "new_claims": one("SELECT count(*) FROM claims WHERE status = 'new'"),
            "pending": one("SELECT count(*) FROM claims WHERE status = 'new' AND digest_id IS NULL"),
            "repeats": one("SELECT count(*) FROM claims WHERE status = 'repeat'"),
        }


@pytest.mark.postgres
def test_three_workers_share_the_work_exactly_once(pg_url: str, site: Site, slack: FakeSlack, tmp_path: Path) -> None:
    config = write_config(tmp_path, site)
    env = {**os.environ, "DATABASE_URL": pg_url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url,
           "PYTHONUNBUFFERED": "1"}
    workers = [start_worker(config, env, tmp_path / f"worker{i}.log") for i in range(3)]
    engine = create_engine(pg_url)
    try:
        # kill -9 the first worker once polling is under way: it dies holding leases mid-poll.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and b'"event": "poll"' not in (tmp_path / "worker0.log").read_bytes():
            time.sleep(0.2)
        workers[0].kill()
        workers[0].wait(30)

        deadline = time.monotonic() + 600
        now = state(engine)
        while time.monotonic() < deadline:
            now = state(engine)
            if now["feeds_done"] == FEEDS and now["articles"] == FEEDS * ITEMS and now["pending"] == 0 \
                    and now["new_claims"] > 0:
                break
            time.sleep(1)
        assert now["feeds_done"] == FEEDS, now       # the killed worker's feeds were picked up
        assert now["articles"] == now["distinct_urls"] == FEEDS * ITEMS, now  # every article stored once
        assert now["pending"] == 0 and now["new_claims"] > 0 and now["repeats"] > 0, now  # none lost

        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for worker in workers[1:]:
            assert worker.wait(60) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(30)

    with engine.connect() as conn:
        sent = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in
                conn.execute(text("SELECT claim_ids FROM digests WHERE state = 'sent'"))]
        repeats = conn.execute(text("SELECT count(*) FROM claims WHERE status = 'repeat'")).scalar()
    engine.dispose()
    posted = Counter(cid for ids in sent for cid in ids)
    assert posted and max(posted.values()) == 1  # no claim in two digests
    summaries = [p for p in slack.posts() if not p.get("thread_ts") and p["metadata"]["event_payload"]["digest_id"]]
    digest_ids = [p["metadata"]["event_payload"]["digest_id"] for p in summaries]
    # A digest of corroboration updates alone posts no summary, only replies in the stories' threads.
    assert len(digest_ids) == len(set(digest_ids)) == len([ids for ids in sent if ids])  # each posted once
    updates = [(p["metadata"]["event_payload"]["digest_id"], p["metadata"]["event_payload"]["update"])
               for p in slack.posts() if "update" in p["metadata"]["event_payload"]]
    assert len(updates) == len(set(updates)) <= repeats  # each once; never more updates than restatements
    assert "Traceback" not in "".join((tmp_path / f"worker{i}.log").read_text() for i in (1, 2))
