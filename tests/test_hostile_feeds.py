"""Feeds that lie: one guid for every item, a charset that is not the one declared, impossible dates,
links in capitals; and feeds so long that a poll must stop between items."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.claims import ClaimOptions
from bot.config import load_topics
from bot.extract import ExtractOptions
from bot.feeds import parse_feed
from bot.fetch import Fetcher, FetchOptions
from bot.models import Fetched
from bot.pipeline import Context, poll_feed
from bot.store import Store

from .conftest import ROOT, LocalServer, respond

NOW = datetime(2025, 1, 22, tzinfo=UTC)
PAGE = ("<html><body><article><p>오픈AI와 소프트뱅크의 스타게이트 프로젝트가 {n}번째 데이터센터에 {n}00억 달러를 "
        "투자한다고 {n}일 밝혔다.</p></article></body></html>")


def fetcher() -> Fetcher:
    return Fetcher(FetchOptions(allow_private=True, connect_timeout=2.0, read_timeout=5.0, total_timeout=10.0))


def context(**kw: object) -> Context:
    topics, _ = load_topics(ROOT / "config" / "topics.toml")
    return Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions(), **kw)  # type: ignore[arg-type]


def open_store(tmp_path: Path, feed_url: str) -> Store:
    store = Store.open(f"sqlite:///{tmp_path}/feeds.db")
    with store.transaction() as repo:
        repo.sync_feeds([(feed_url, "t")], NOW)
    return store


def rss(items: str, encoding: str = "utf-8") -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>t</title>'
            f"{items}</channel></rss>")


def serve_pages(server: LocalServer, numbers: range) -> None:
    for n in numbers:
        server.routes[f"/news/{n}"] = respond(200, PAGE.format(n=n), {"Content-Type": "text/html; charset=utf-8"})


def test_a_feed_reusing_one_guid_loses_no_item_and_is_logged(http_server: LocalServer, tmp_path: Path) -> None:
    serve_pages(http_server, range(1, 4))
    items = "".join(f"<item><guid>same</guid><title>t{n}</title><link>{http_server.url(f'/news/{n}')}</link></item>"
                    for n in range(1, 4))
    http_server.routes["/rss"] = respond(200, rss(items))
    store = open_store(tmp_path, http_server.url("/rss"))
    first = poll_feed(http_server.url("/rss"), fetcher(), store, context(), NOW, feed_id=1)
    assert first.new_articles == 3 and first.new_claims == 3
    assert any("guid" in w and "same" in w for w in first.warnings)
    before = len(http_server.requests)
    again = poll_feed(http_server.url("/rss"), fetcher(), store, context(), NOW, feed_id=1)
    assert again.new_articles == 0 and [r[1] for r in http_server.requests[before:]] == ["/rss"]
    store.close()


def test_a_euc_kr_feed_labelled_utf8_reads_as_korean(http_server: LocalServer, tmp_path: Path) -> None:
    serve_pages(http_server, range(1, 4))
    items = "".join(f"<item><title>딥시크 {n}번째 소식</title><link>{http_server.url(f'/news/{n}')}</link>"
                    f"<description>스타게이트 데이터센터 투자 소식입니다.</description></item>" for n in range(1, 4))
    http_server.routes["/rss"] = respond(200, rss(items, "UTF-8").encode("cp949"),
                                         {"Content-Type": "application/rss+xml; charset=UTF-8"})
    store = open_store(tmp_path, http_server.url("/rss"))
    result = poll_feed(http_server.url("/rss"), fetcher(), store, context(), NOW, feed_id=1)
    assert result.new_claims == 3
    with store.engine.connect() as conn:
        titles = sorted(r[0] for r in conn.exec_driver_sql("SELECT title FROM articles"))
    assert titles == [f"딥시크 {n}번째 소식" for n in range(1, 4)]
    store.close()


def feed_of(pub_dates: list[str], link: str = "http://a.example/{n}") -> Fetched:
    items = "".join(f"<item><title>t{n}</title><link>{link.format(n=n)}</link><pubDate>{d}</pubDate></item>"
                    for n, d in enumerate(pub_dates))
    return Fetched(url="file:///feed.xml", final_url="file:///feed.xml", content=rss(items).encode())


def test_impossible_and_numeric_publication_dates() -> None:
    items = parse_feed(feed_of(["Fri, 31 Dec 9999 23:59:59 GMT", "1700000000", "1700000000123",
                                "Tue, 21 Jan 2025 09:00:00 GMT"]), now=NOW).items
    assert items[0].published is None                                  # year 9999: unknown, not shown as is
    assert items[1].published == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)   # Unix seconds, not 1699
    assert items[2].published == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)  # milliseconds
    assert items[3].published == datetime(2025, 1, 21, 9, 0, tzinfo=UTC)


def test_links_with_a_capitalised_scheme_are_fetched(http_server: LocalServer, tmp_path: Path) -> None:
    serve_pages(http_server, range(1, 2))
    feed = tmp_path / "feed.xml"
    link = http_server.url("/news/1").replace("http://", "HTTP://")
    feed.write_text(rss(f"<item><title>t</title><link>{link}</link></item>"), encoding="utf-8")
    store = open_store(tmp_path, str(feed))
    result = poll_feed(str(feed), fetcher(), store, context(), NOW, feed_id=1)
    assert result.item_errors == [] and result.new_articles == 1 and result.new_claims == 1
    store.close()


def test_a_long_feed_stops_at_the_cap_and_goes_on_at_the_next_poll(http_server: LocalServer, tmp_path: Path) -> None:
    serve_pages(http_server, range(1, 8))
    items = "".join(f"<item><title>t{n}</title><link>{http_server.url(f'/news/{n}')}</link></item>" for n in range(1, 8))
    http_server.routes["/rss"] = respond(200, rss(items), {"ETag": '"v1"'})
    store = open_store(tmp_path, http_server.url("/rss"))
    ctx = context(max_items_per_poll=3)
    first = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, NOW, feed_id=1)
    assert first.new_articles == 3 and first.more
    assert first.etag is None  # a 304 next time would hide the items still waiting
    second = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, NOW, feed_id=1)
    third = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, NOW, feed_id=1)
    assert (second.new_articles, third.new_articles, third.more, third.etag) == (3, 1, False, '"v1"')
    store.close()


def test_a_poll_stops_between_items_when_asked(http_server: LocalServer, tmp_path: Path) -> None:
    serve_pages(http_server, range(1, 6))
    items = "".join(f"<item><title>t{n}</title><link>{http_server.url(f'/news/{n}')}</link></item>" for n in range(1, 6))
    http_server.routes["/rss"] = respond(200, rss(items))
    store = open_store(tmp_path, http_server.url("/rss"))
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 2:
            stop.set()

    result = poll_feed(http_server.url("/rss"), fetcher(), store, context(), NOW, feed_id=1, should_stop=stop.is_set,
                       progress=progress)
    assert result.status == "interrupted" and result.new_articles == 2
    assert seen[:2] == [(1, 5), (2, 5)]
    rest = poll_feed(http_server.url("/rss"), fetcher(), store, context(), NOW, feed_id=1)
    assert rest.new_articles == 3
    store.close()


@pytest.mark.parametrize("verbose", [False, True])
def test_library_info_lines_stay_out_of_the_json_log_unless_verbose(verbose: bool) -> None:
    import logging

    from bot.service import configure_logging

    configure_logging(verbose=verbose)
    try:
        for name in ("httpx", "httpcore", "trafilatura", "trafilatura.core", "charset_normalizer", "courlan"):
            assert logging.getLogger(name).isEnabledFor(logging.INFO) is verbose, name
        assert logging.getLogger("claimbot").isEnabledFor(logging.INFO)
    finally:
        logging.getLogger().handlers.clear()


def test_a_long_dry_run_shows_progress_and_stops_at_the_cap(http_server: LocalServer, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    for n in range(1, 56):  # off-topic pages: stored without extraction, so the test stays quick
        http_server.routes[f"/news/{n}"] = respond(200, f"<p>Weather report number {n}.</p>",
                                                   {"Content-Type": "text/html; charset=utf-8"})
    items = "".join(f"<item><title>t{n}</title><link>{http_server.url(f'/news/{n}')}</link></item>" for n in range(1, 56))
    http_server.routes["/rss"] = respond(200, rss(items))
    config = tmp_path / "bot.toml"
    config.write_text(
        f'topics_file = "{ROOT / "config" / "topics.toml"}"\n[limits]\nallow_private_addresses = true\n'
        f'max_items_per_poll = 50\n[[feeds]]\nurl = "{http_server.url("/rss")}"\nname = "long"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["dry-run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "dry-run: long: 25/50 items" in result.stderr and "dry-run: long: 50/50 items" in result.stderr
    assert "limits.max_items_per_poll" in result.stderr
    assert sum(r[1].startswith("/news/") for r in http_server.requests) == 50
