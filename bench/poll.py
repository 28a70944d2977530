"""A full poll cycle of 500 feeds against a sequential loop over the same URLs.

Local servers on loopback addresses (127.0.0.1 … 127.0.0.50, ten feeds each) add
50 ms of latency to every request. Each feed holds one article page. Prints the
cycle's wall time against a plain sequential loop fetching the same URLs (the
baseline, measured in the same run), a second cycle in which every feed answers
304 Not Modified, and the peak resident memory of the service.

    python bench/poll.py [--feeds 500] [--latency 0.05] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.delivery.console import ConsoleNotifier  # noqa: E402
from bot.digest import DigestOptions  # noqa: E402
from bot.fetch import Fetcher, FetchOptions  # noqa: E402
from bot.service import Service, ServiceOptions  # noqa: E402
from bot.store import Store  # noqa: E402

PAGE = "<html><body><article><p>지역 축제가 {n}번째로 열렸다고 주최 측이 밝혔다. 방문객은 {n}00명이었다.</p></article></body></html>"


def serve(host: str, latency: float, base_of: dict[str, str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            time.sleep(latency)
            parts = self.path.strip("/").split("/")
            etag = f'"{self.path}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts[0] == "feed":
                link = f"{base_of[host]}/page/{parts[1]}"
                body = (f'<rss version="2.0"><channel><title>f</title><item><title>t</title><link>{link}</link>'
                        f"</item></channel></rss>").encode()
            else:
                body = PAGE.format(n=parts[-1]).encode()
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    base_of[host] = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    hosts = [f"127.0.0.{i}" for i in range(1, 51)]
    base_of: dict[str, str] = {}
    servers = [serve(h, args.latency, base_of) for h in hosts]
    feeds = [f"{base_of[hosts[i % len(hosts)]]}/feed/{i}" for i in range(args.feeds)]

    # Baseline: a plain sequential loop over the same URLs (each feed, then its page).
    start = time.perf_counter()
    with httpx.Client() as client:
        for i, url in enumerate(feeds):
            client.get(url)
            client.get(f"{base_of[hosts[i % len(hosts)]]}/page/{i}")
    sequential = time.perf_counter() - start

    settings = load_settings()
    ctx = settings.context()
    clock_now = [datetime(2025, 2, 7, tzinfo=UTC)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/poll.db")
        options = ServiceOptions(poll_seconds=900, digest_cron="0 9 * * *", prune_cron="0 3 * * *", timezone="UTC",
                                 retention_days=90, feed_intervals={}, feed_seed_history={u: False for u in feeds},
                                 feed_names={u: None for u in feeds}, concurrency=args.concurrency, per_host=2)
        service = Service(options, store, Fetcher(FetchOptions(allow_private=True)),
                          ConsoleNotifier(DigestOptions(timezone=ZoneInfo("UTC")), stream=io.StringIO()), ctx,
                          settings.topic_names, clock=lambda: clock_now[0])
        service.sync_feeds()

        def cycle() -> tuple[float, int]:
            polled = 0
            start = time.perf_counter()
            while True:
                results = service.poll_due()
                if not results:
                    return time.perf_counter() - start, polled
                polled += len(results)

        first, n1 = cycle()
        with store.engine.begin() as conn:  # everything due again
            conn.execute(text("UPDATE feeds SET next_poll_at = :t"), {"t": clock_now[0]})
        clock_now[0] += timedelta(hours=1)
        second, n2 = cycle()
        store.close()
    for server in servers:
        server.shutdown()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feeds: {args.feeds} on {len(hosts)} loopback hosts, {args.latency * 1000:.0f} ms per request, "
          f"concurrency {args.concurrency}, 2 per host")
    print(f"sequential loop over the same URLs: {sequential:.1f}s")
    print(f"full poll cycle ({n1} feeds, pages fetched and processed): {first:.1f}s   "
          f"{sequential / first:.1f}x faster (target >= 10x)")
    print(f"second cycle, every feed 304 ({n2} feeds): {second:.1f}s   {sequential / second:.1f}x faster")
    print(f"peak resident memory of the service process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
