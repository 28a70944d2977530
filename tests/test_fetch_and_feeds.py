"""Fetching and feed parsing against a real, misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.claims import ClaimOptions
from bot.config import load_topics
from bot.errors import FeedError, FetchError
from bot.extract import ExtractOptions
from bot.feeds import parse_feed
from bot.fetch import Fetcher, FetchOptions, decode
from bot.pipeline import Context, poll_feed
from bot.store import Store

from .conftest import ROOT, LocalServer, respond

KOREAN = "<html><head>{meta}<title>기사</title></head><body><article><p>딥시크가 새 모델을 공개했다고 밝혔다.</p></article></body></html>"


def fetcher(**kw: object) -> Fetcher:
    options = {"allow_private": True, "connect_timeout": 2.0, "read_timeout": 1.0, "total_timeout": 3.0}
    options.update(kw)
    return Fetcher(FetchOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize(("meta", "content_type"), [
    ('<meta charset="euc-kr">', "text/html"),
    ("", "text/html; charset=EUC-KR"),
    ("", "text/html"),                          # no declaration at all: detection
    ('<meta charset="utf-8">', "text/html; charset=euc-kr"),  # the header wins
])
def test_euc_kr_pages_come_out_clean(http_server: LocalServer, meta: str, content_type: str) -> None:
    http_server.routes["/p"] = respond(200, KOREAN.format(meta=meta).encode("cp949"), {"Content-Type": content_type})
    page = fetcher().get(http_server.url("/p"))
    assert "딥시크가 새 모델을 공개했다고 밝혔다." in decode(page.content, page.headers.get("content-type"))


def test_loopback_is_refused_by_default_even_through_a_redirect(http_server: LocalServer) -> None:
    http_server.routes["/r"] = respond(302, b"", {"Location": "http://127.0.0.1:9/secret"})
    with pytest.raises(FetchError, match="non-public address"):
        fetcher(allow_private=False).get(http_server.url("/r"))


@pytest.mark.parametrize(("url", "target", "host", "sni"), [
    ("https://news.example/a?x=1", "https://8.8.8.8/a?x=1", "news.example", "news.example"),
    ("http://news.example:8080/a", "http://8.8.8.8:8080/a", "news.example:8080", None),
    ("https://한국일보.example/a", "https://8.8.8.8/a", "xn--3e0bm80ac2h5no.example", "xn--3e0bm80ac2h5no.example"),
])
def test_the_request_goes_to_the_address_the_guard_checked(monkeypatch: pytest.MonkeyPatch, url: str, target: str,
                                                           host: str, sni: str | None) -> None:
    """DNS rebinding: the name resolves to a public address for the check, then to 127.0.0.1. The
    connection must go to the checked address, with the real name in Host and in TLS."""
    import socket

    import httpx

    answers = iter(["8.8.8.8", "127.0.0.1", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), 443))])
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:  # no connection is made: httpx's mock transport
        seen.append(request)
        return httpx.Response(200, stream=httpx.ByteStream(b"ok"))  # streamed, as from a socket

    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    fetched = Fetcher(FetchOptions(allow_private=False), client=client).get(url)
    assert (str(seen[0].url), seen[0].headers["host"], seen[0].extensions.get("sni_hostname")) == (target, host, sni)
    assert fetched.final_url == url and fetched.content == b"ok"


def test_redirect_loops_stop(http_server: LocalServer) -> None:
    http_server.routes["/loop"] = respond(302, b"", {"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects"):
        fetcher().get(http_server.url("/loop"))


def test_final_url_after_redirect_is_recorded(http_server: LocalServer) -> None:
    http_server.routes["/old"] = respond(301, b"", {"Location": "/new"})
    http_server.routes["/new"] = respond(200, b"ok")
    assert fetcher().get(http_server.url("/old")).final_url == http_server.url("/new")


def test_endless_body_hits_the_size_cap(http_server: LocalServer) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        for _ in range(10_000):
            h.wfile.write(b"x" * 10_000)

    http_server.routes["/big"] = endless
    with pytest.raises(FetchError, match="too large"):
        fetcher(max_bytes=100_000).get(http_server.url("/big"))


def test_gzip_bomb_is_capped_after_decompression(http_server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    http_server.routes["/bomb"] = respond(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "text/html"})
    with pytest.raises(FetchError, match="too large"):
        fetcher(max_bytes=1_000_000).get(http_server.url("/bomb"))


def test_slow_drip_times_out(http_server: LocalServer) -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(20):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.3)

    http_server.routes["/slow"] = drip
    with pytest.raises(FetchError, match="timed out|longer than"):
        fetcher(read_timeout=5.0, total_timeout=1.0).get(http_server.url("/slow"))


@pytest.mark.parametrize(("status", "needle"), [(404, "HTTP 404"), (410, "HTTP 410"), (500, "HTTP 500")])
def test_http_errors_are_clear(http_server: LocalServer, status: int, needle: str) -> None:
    http_server.routes["/e"] = respond(status, b"nope")
    with pytest.raises(FetchError, match=needle):
        fetcher().get(http_server.url("/e"))


def test_429_carries_retry_after(http_server: LocalServer) -> None:
    http_server.routes["/busy"] = respond(429, b"", {"Retry-After": "120"})
    with pytest.raises(FetchError) as info:
        fetcher().get(http_server.url("/busy"))
    assert info.value.retry_after == 120 and info.value.status == 429


def test_conditional_get_sends_validators_and_reads_304(http_server: LocalServer) -> None:
    def conditional(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            respond(304, b"", {"ETag": '"v1"'})(h)
        else:
            respond(200, b"<rss/>", {"ETag": '"v1"', "Cache-Control": "max-age=600"})(h)

    http_server.routes["/feed"] = conditional
    first = fetcher().get(http_server.url("/feed"))
    assert first.etag == '"v1"' and first.max_age == 600
    assert fetcher().get(http_server.url("/feed"), etag=first.etag).not_modified


RSS = """<?xml version="1.0" encoding="{enc}"?>
<rss version="2.0"><channel><title>테스트 뉴스</title><link>{base}/</link><ttl>30</ttl>
<item><title>스타게이트 투자</title><link>/news/1</link><pubDate>Tue, 21 Jan 2025 09:00:00 GMT</pubDate></item>
<item><title>두 번째</title><link>{base}/news/2?utm_source=rss</link><guid>g-2</guid>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>본문 전체가 피드에 있다. 오픈AI가 스타게이트에 5000억 달러를 투자한다고 밝혔다.</p>]]></content:encoded></item>
</channel></rss>"""


def test_feed_items_resolve_links_and_fall_back_to_links_as_guid(http_server: LocalServer) -> None:
    http_server.routes["/rss"] = respond(200, RSS.format(enc="utf-8", base=http_server.base).encode(),
                                         {"Content-Type": "application/rss+xml"})
    parsed = parse_feed(fetcher().get(http_server.url("/rss")))
    first, second = parsed.items
    assert first.url == http_server.url("/news/1") and first.guid == first.url
    assert first.published == datetime(2025, 1, 21, 9, 0, tzinfo=UTC)
    assert second.guid.endswith("g-2") and second.content_html and parsed.ttl_minutes == 30


def test_undeclared_euc_kr_feed_is_read_with_the_http_charset(http_server: LocalServer) -> None:
    body = RSS.format(enc="euc-kr", base=http_server.base).replace('encoding="euc-kr"', "").encode("cp949")
    http_server.routes["/rss"] = respond(200, body, {"Content-Type": "application/rss+xml; charset=euc-kr"})
    parsed = parse_feed(fetcher().get(http_server.url("/rss")))
    assert parsed.title == "테스트 뉴스"


@pytest.mark.parametrize(("body", "needle"), [
    (b"<html><body>not a feed</body></html>", "HTML page"),
    (b"", "empty"),
    (b"\x00\xff\xfe garbage <rss", "feed"),
])
def test_broken_feeds_are_feed_errors_not_crashes(http_server: LocalServer, body: bytes, needle: str) -> None:
    http_server.routes["/bad"] = respond(200, body, {"Content-Type": "text/html"})
    with pytest.raises(FeedError, match=needle):
        parse_feed(fetcher().get(http_server.url("/bad")))


def test_poll_stores_new_articles_once_and_uses_feed_text_when_the_page_fails(
        http_server: LocalServer, tmp_path: Path) -> None:
    page = ("<html><body><article><p>오픈AI와 소프트뱅크가 추진하는 스타게이트 프로젝트가 첫 데이터센터를 완공했다고 "
            "밝혔다.</p><p>이 데이터센터에는 엔비디아 GPU 40만 개가 들어간다.</p></article></body></html>")
    http_server.routes["/rss"] = respond(200, RSS.format(enc="utf-8", base=http_server.base).encode())
    http_server.routes["/news/1"] = respond(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    # /news/2 is not routed: 404, so its <content:encoded> is used.
    topics, _ = load_topics(ROOT / "config" / "topics.toml")
    ctx = Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions())
    store = Store.open(f"sqlite:///{tmp_path}/poll.db")
    now = datetime(2025, 1, 22, tzinfo=UTC)
    first = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, now)
    assert first.status == "ok" and first.new_articles == 2 and first.new_claims >= 2
    again = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, now)
    assert again.new_articles == 0 and again.new_claims == 0
    store.close()


def test_a_failing_feed_is_a_result_not_an_exception(http_server: LocalServer, tmp_path: Path) -> None:
    topics, _ = load_topics(ROOT / "config" / "topics.toml")
    ctx = Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions())
    store = Store.open(f"sqlite:///{tmp_path}/poll.db")
    result = poll_feed(http_server.url("/missing"), fetcher(), store, ctx, datetime(2025, 1, 22, tzinfo=UTC))
    assert result.status == "error" and "HTTP 404" in (result.error or "")
    store.close()


def test_canonical_link_folds_mobile_and_amp_copies_but_not_other_sites() -> None:
    from bot.extract import canonical_url

    assert canonical_url("https://m.news.example/a/1?utm_source=x", "https://www.news.example/a/1") == \
        canonical_url("https://news.example/amp/a/1", "https://www.news.example/a/1")
    assert canonical_url("https://news.example/view.php?idxno=5&utm_medium=rss") == \
        "https://news.example/view.php?idxno=5"
    assert canonical_url("https://evil.example/copy", "https://news.example/a/1") == "https://evil.example/copy"


def test_the_same_article_through_two_feeds_is_stored_once(http_server: LocalServer, tmp_path: Path) -> None:
    page = ("<html><head><link rel='canonical' href='{base}/news/7'></head><body><article><p>오픈AI와 소프트뱅크의 "
            "스타게이트 프로젝트가 텍사스에 데이터센터를 짓는다고 밝혔다.</p></article></body></html>")
    for path in ("/news/7", "/m/news/7"):
        http_server.routes[path] = respond(200, page.format(base=http_server.base).encode(),
                                           {"Content-Type": "text/html; charset=utf-8"})
    feed = '<rss version="2.0"><channel><title>f</title><item><link>{}</link></item></channel></rss>'
    http_server.routes["/a.xml"] = respond(200, feed.format(http_server.url("/news/7?utm_source=a")).encode())
    http_server.routes["/b.xml"] = respond(200, feed.format(http_server.url("/m/news/7")).encode())
    topics, _ = load_topics(ROOT / "config" / "topics.toml")
    ctx = Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions())
    store = Store.open(f"sqlite:///{tmp_path}/two.db")
    now = datetime(2025, 1, 22, tzinfo=UTC)
    a = poll_feed(http_server.url("/a.xml"), fetcher(), store, ctx, now)
    b = poll_feed(http_server.url("/b.xml"), fetcher(), store, ctx, now)
    assert (a.new_articles, b.new_articles) == (1, 0)
    store.close()


def test_a_feed_served_with_the_wrong_content_type_still_parses(http_server: LocalServer) -> None:
    http_server.routes["/rss"] = respond(200, RSS.format(enc="utf-8", base=http_server.base).encode(),
                                         {"Content-Type": "text/plain; charset=utf-8"})
    assert len(parse_feed(fetcher().get(http_server.url("/rss"))).items) == 2


def test_corrupted_feeds_never_crash_the_feed_stage(tmp_path: Path) -> None:
    from bench.feed_fuzz import run as fuzz

    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            '<entry><title>딥시크</title><link href="/a/1"/><id>tag:x,2025:1</id><updated>2025-01-20T00:00:00Z</updated>'
            '<content type="html">&lt;p&gt;본문&lt;/p&gt;</content></entry></feed>')
    rdf = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel>'
           '<item rdf:about="http://x/1"><title>i</title><link>http://x/1</link></item></rdf:RDF>')
    files = []
    for name, body in (("rss.xml", RSS.format(enc="euc-kr", base="http://x").encode("cp949")),
                       ("atom.xml", atom.encode()), ("rdf.xml", rdf.encode())):
        (tmp_path / name).write_bytes(body)
        files.append(tmp_path / name)
    outcome = fuzz(files, copies=300)
    assert sum(outcome.values()) == 903
    assert not [k for k in outcome if k.startswith("crash")], outcome


def test_feed_items_never_read_local_files_and_odd_links_stay_item_errors(
        http_server: LocalServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("딥시크가 비밀 문서를 공개했다고 밝혔다.", encoding="utf-8")
    items = "".join(f"<item><title>x</title><link>{link}</link></item>" for link in
                    (f"file://{secret}", str(secret), "http://host:abc/", "http://[::1/", http_server.url("/ok")))
    http_server.routes["/rss"] = respond(200, f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>')
    http_server.routes["/ok"] = respond(200, "<p>평범한 기사 본문입니다. 오늘 날씨가 맑았다.</p>",
                                        {"Content-Type": "text/html; charset=utf-8"})
    topics, _ = load_topics(ROOT / "config" / "topics.toml")
    ctx = Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions())
    store = Store.open(f"sqlite:///{tmp_path}/items.db")
    result = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, datetime(2025, 1, 22, tzinfo=UTC))
    assert result.status == "ok" and result.new_articles == 1, result
    assert len(result.item_errors) >= 3
    with store.transaction() as repo:
        assert not repo.has_article(f"file://{secret}") and not repo.has_article(str(secret))
    store.close()


def test_an_entry_is_fetched_once_even_when_its_page_redirects_or_is_gone(
        http_server: LocalServer, tmp_path: Path) -> None:
    items = "".join(f"<item><guid>g{i}</guid><link>{http_server.url(path)}</link></item>"
                    for i, path in enumerate(("/moved", "/gone")))
    http_server.routes["/rss"] = respond(200, f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>')
    http_server.routes["/moved"] = respond(301, b"", {"Location": "/final"})
    http_server.routes["/final"] = respond(200, "<p>평범한 기사 본문입니다. 오늘 날씨가 맑았다.</p>",
                                           {"Content-Type": "text/html; charset=utf-8"})
    http_server.routes["/gone"] = respond(410, b"")
    topics, _ = load_topics(ROOT / "config" / "topics.toml")
    ctx = Context(extract=ExtractOptions(), topics=topics, claims=ClaimOptions())
    store = Store.open(f"sqlite:///{tmp_path}/entries.db")
    with store.transaction() as repo:
        repo.sync_feeds([(http_server.url("/rss"), "t")], datetime(2025, 1, 22, tzinfo=UTC))
    now = datetime(2025, 1, 22, tzinfo=UTC)
    first = poll_feed(http_server.url("/rss"), fetcher(), store, ctx, now, feed_id=1)
    assert first.new_articles == 1 and len(first.item_errors) == 1
    before = len(http_server.requests)
    poll_feed(http_server.url("/rss"), fetcher(), store, ctx, now, feed_id=1)
    assert [r[1] for r in http_server.requests[before:]] == ["/rss"]  # neither page fetched again
    store.close()
