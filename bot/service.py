"""The long-lived service: APScheduler jobs for polling, digests and pruning.

    poll    every schedule.poll_seconds: lease as many due feeds as there are idle
            workers and start them (at most two at a time per host); the job
            does not wait for them, so a slow feed never holds the others up.
            Each outcome and the feed's next poll time are recorded as it ends
    digest  on schedule.digest_cron in the configured timezone
    prune   on schedule.prune_cron: forget clusters older than the retention window

SIGTERM and SIGINT stop taking new feeds, abort the requests in flight, stop
each feed in hand between two items (what was stored stays; the rest waits for
the next run), and exit 0. One structured JSON log line per feed poll and per digest.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from .delivery import Notifier
from .errors import ClaimbotError, ConfigError, DeliveryError, one_line
from .fetch import Fetcher
from .logs import configure_logging, event
from .models import DigestStats
from .pipeline import Context, PollResult, poll_feed, send_digest, stuffing_patterns
from .store import FeedState, Store

log = logging.getLogger("claimbot")
__all__ = ["Service", "ServiceOptions", "configure_logging", "next_poll"]


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    poll_seconds: int
    digest_cron: str
    prune_cron: str
    timezone: str
    retention_days: int
    feed_intervals: dict[str, int]       # url -> seconds
    feed_seed_history: dict[str, bool]   # url -> first poll only records history
    feed_names: dict[str, str | None]
    channel: str | None = None
    post_empty: bool = False
    concurrency: int = 8
    per_host: int = 2
    lease_seconds: int = 600
    max_backoff_seconds: int = 6 * 3600
    error_threshold: int = 3
    digest_every_seconds: int | None = None
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    topic_channels: dict[str, str] | None = None   # topics posted to their own Slack channel
    update_days: int = 7                           # corroboration updates and feedback look back this far
    # How often a watched config file is checked for changes (a stat call): `claimbot feeds add`
    # takes effect within this, not at the next poll tick, which may be poll_seconds away.
    watch_seconds: int = 30


class Metrics:
    """Prometheus metrics in a registry of their own (one per service, so tests never collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter("claimbot_polls_total", "Feed polls by outcome", ["status"], registry=self.registry)
        self.errors = Counter("claimbot_item_errors_total", "Articles that could not be fetched or read",
                              registry=self.registry)
        self.articles = Counter("claimbot_articles_total", "New articles stored", registry=self.registry)
        self.claims = Counter("claimbot_claims_total", "Claims decided", ["status"], registry=self.registry)
        self.digest_seconds = Histogram("claimbot_digest_seconds", "Time to build and post a digest",
                                        registry=self.registry)
        self.feeds_in_error = Gauge("claimbot_feeds_in_error", "Feeds failing at or over the threshold",
                                    registry=self.registry)
        self.last_poll = Gauge("claimbot_last_poll_timestamp_seconds", "When a poll last finished",
                               registry=self.registry)


def next_poll(now: datetime, interval: float, *, error_count: int = 0, retry_after: float | None = None,
              max_age: float | None = None, ttl_minutes: int | None = None, max_backoff: float = 6 * 3600,
              rng: random.Random | None = None) -> datetime:
    """When to poll a feed next: its interval with ±10% jitter, stretched by what the site asked
    (Retry-After, Cache-Control max-age, <ttl>) and by exponential back-off after errors, capped."""
    wait = float(interval)
    if error_count:
        wait = min(max_backoff, interval * 2 ** min(error_count, 16))
    for asked in (retry_after, max_age, ttl_minutes * 60 if ttl_minutes else None):
        if asked:
            wait = max(wait, min(float(asked), max_backoff))
    jitter = (rng or random).uniform(-0.1, 0.1) * wait
    return now + timedelta(seconds=max(1.0, wait + jitter))


def _fresh_stats() -> dict[str, Any]:
    """What the next digest's footer reports: this worker's feeds read and failed, and counts."""
    return {"feeds": set(), "failed": {}, "articles": 0, "claims": 0, "repeats": 0}


class Service:
    def __init__(self, options: ServiceOptions, store: Store, fetcher: Fetcher, notifier: Notifier, ctx: Context,
                 topic_names: dict[str, str], *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 worker_id: str | None = None) -> None:
        self.options = options
        self.store = store
        self.fetcher = fetcher
        self.notifier = notifier
        self.ctx = ctx
        self.topic_names = topic_names
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}-{id(self):x}"
        self.stopping = threading.Event()
        self.stats = _fresh_stats()
        self.metrics = Metrics()
        self.scheduler: BlockingScheduler | None = None
        self.last_poll: float | None = None
        self._host_slots: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()
        self._pool: ThreadPoolExecutor | None = None
        self.refill = False  # run() sets it: a finished feed starts the next due one
        self._watched: tuple[Path, Callable[[], ServiceOptions], tuple[int, int, int] | None] | None = None
        self._reloading = threading.Lock()  # the watch job and a poll tick may both notice a change

    def sync_feeds(self, *, remove_missing: bool = False) -> None:
        with self.store.transaction() as repo:
            gone = repo.sync_feeds(list(self.options.feed_names.items()), self.clock(), remove_missing=remove_missing)
        if gone:
            event("feeds_removed", feeds=gone)

    def name_of(self, url: str) -> str:
        return self.options.feed_names.get(url) or url

    def reload(self, options: ServiceOptions) -> None:
        """SIGHUP or a changed config file: take the feeds (and their settings) from the re-read config."""
        before = self.options.feed_names
        self.options = options
        self.sync_feeds(remove_missing=True)
        added = [options.feed_names[u] or u for u in options.feed_names if u not in before]
        removed = [before[u] or u for u in before if u not in options.feed_names]
        renamed = [f"{before[u] or u} -> {options.feed_names[u] or u}" for u in options.feed_names
                   if u in before and before[u] != options.feed_names[u]]
        summary = "; ".join(part for part in (
            f"added {', '.join(added)}" if added else "", f"removed {', '.join(removed)}" if removed else "",
            f"renamed {', '.join(renamed)}" if renamed else "") if part) or "feeds unchanged"
        event("reloaded", message=f"config reloaded: {summary}", feeds=len(options.feed_names), added=added,
              removed=removed)

    def watch(self, path: Path, reload: Callable[[], ServiceOptions]) -> None:
        """Re-read the config when the file changed: every watch_seconds and at the start of each poll cycle
        (`claimbot feeds add` in another container or shell needs no signal)."""
        self._watched = (path, reload, _mtime(path))

    def _reload_if_changed(self) -> None:
        if self._watched is None or not self._reloading.acquire(blocking=False):
            return
        try:
            self._reload_once()
        finally:
            self._reloading.release()

    def _reload_once(self) -> None:
        assert self._watched is not None
        path, reload, seen = self._watched
        current = _mtime(path)
        if current == seen:
            return
        self._watched = (path, reload, current)
        try:
            before = set(self.options.feed_names)
            self.reload(reload())
            if set(self.options.feed_names) - before and self.scheduler is not None and self.scheduler.running:
                self.scheduler.modify_job("poll", next_run_time=datetime.now(UTC))  # a new feed is due now
        except ClaimbotError as exc:
            event("reload_failed", level=logging.WARNING, error=str(exc),
                  message="the changed config was not applied; the service keeps the previous one")

    # --- jobs -------------------------------------------------------------------

    def poll_due(self) -> list[PollResult]:
        """Poll a batch of due feeds and wait for them; returns the results (also logged)."""
        self._reload_if_changed()
        return [r for r in (f.result() for f in self.start_due_polls(self.options.concurrency * 4)) if r is not None]

    def start_due_polls(self, limit: int | None = None) -> list[Future[PollResult | None]]:
        """Lease as many due feeds as there are idle workers (or ``limit``) and start them,
        without waiting: the scheduler's poll job returns at once, so the next tick finds the
        healthy feeds due again while a slow one is still in hand. In the service, each feed
        that ends starts the next due one, so the workers stay busy between ticks."""
        with self._lock:
            idle = self.options.concurrency - len(self._in_flight) if limit is None else limit
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="poll")
        if idle <= 0 or self.stopping.is_set():
            return []
        with self.store.transaction() as repo:
            feeds = repo.lease_due_feeds(self.clock(), self.worker_id, idle,
                                         timedelta(seconds=self.options.lease_seconds))
        started = []
        with self._lock:
            for feed in feeds:
                if feed.id not in self._in_flight:  # a poll that outlived its lease is still ours
                    self._in_flight.add(feed.id)
                    started.append(self._pool.submit(self._poll_guarded, feed))
        return started

    def _poll_guarded(self, feed: FeedState) -> PollResult | None:
        try:
            return self._poll_one(feed)
        finally:
            with self._lock:
                self._in_flight.discard(feed.id)
            if self.refill and not self.stopping.is_set():
                try:
                    self.start_due_polls()
                except ClaimbotError as exc:  # the database is away: the next tick tries again
                    event("poll_refill_failed", level=logging.WARNING, error=str(exc))

    def _poll_one(self, feed: FeedState) -> PollResult | None:
        if self.stopping.is_set():
            self._give_back(feed)
            return None
        host = urlsplit(feed.url).hostname or ""
        with self._lock:
            slot = self._host_slots.setdefault(host, threading.Semaphore(self.options.per_host))
        with slot:
            seed = self.options.feed_seed_history.get(feed.url, True) and not feed.seeded
            try:
                result = poll_feed(feed.url, self.fetcher, self.store, self.ctx, self.clock(), feed_id=feed.id,
                                   etag=feed.etag, last_modified=feed.last_modified, seed=seed,
                                   should_stop=self.stopping.is_set)
            except Exception as exc:  # a bug or a database fault: recorded, so the feed is never wedged
                log.exception("poll_failed", extra={"event": "poll_failed",
                                                    "fields": {"feed": self.name_of(feed.url), "url": feed.url}})
                result = PollResult(feed.url, status="error",
                                    error=f"internal error: {type(exc).__name__}: {one_line(exc)}")
        if self.stopping.is_set() and result.status in ("interrupted", "error"):
            # Cut short by the shutdown, not the feed's fault: due again at the next start,
            # its error count and its first-poll seeding untouched.
            self._give_back(feed)
            event("poll", feed=self.name_of(feed.url), url=feed.url, status="interrupted",
                  new_articles=result.new_articles, new_claims=result.new_claims, ms=result.ms)
            return result
        for warning in result.warnings:
            event("feed_warning", level=logging.WARNING, feed=self.name_of(feed.url), url=feed.url, warning=warning)
        ok = result.status != "error"
        now = self.clock()
        interval = self.options.feed_intervals.get(feed.url, self.options.poll_seconds)
        when = next_poll(now, interval, error_count=0 if ok else feed.error_count + 1, retry_after=result.retry_after,
                         max_age=result.max_age, ttl_minutes=result.ttl_minutes,
                         max_backoff=self.options.max_backoff_seconds)
        with self.store.transaction() as repo:
            repo.record_poll(feed.id, now=now, ok=ok, error=result.error, etag=result.etag,
                             last_modified=result.last_modified, next_poll_at=when, owner=self.worker_id)
        with self._lock:
            self.stats["feeds"].add(feed.url)  # the footer counts feeds, not polls
            if not ok:  # named in the footer even when it recovered before the digest
                self.stats["failed"][feed.url] = self.options.feed_names.get(feed.url) or feed.name or feed.url
            self.stats["articles"] += result.new_articles
            self.stats["claims"] += result.new_claims + result.repeats
            self.stats["repeats"] += result.repeats
            self.last_poll = time.time()
        m = self.metrics
        m.polls.labels(result.status).inc()
        m.errors.inc(len(result.item_errors))
        m.articles.inc(result.new_articles)
        m.claims.labels("new").inc(result.new_claims)
        m.claims.labels("repeat").inc(result.repeats)
        m.last_poll.set(time.time())
        name = self.name_of(feed.url)
        event("poll", level=logging.INFO if ok else logging.WARNING, feed=name, url=feed.url, status=result.status,
              new_articles=result.new_articles, new_claims=result.new_claims, repeats=result.repeats,
              item_errors=len(result.item_errors), error=result.error, seeded=seed, more=result.more, ms=result.ms,
              next_poll=when.isoformat())
        for item_error in result.item_errors[:5]:  # the first few say why; the count above says how many
            event("item_error", level=logging.WARNING, feed=name, error=item_error)
        if seed and ok:
            event("history_recorded", feed=name, url=feed.url, articles=result.new_articles,
                  message=f"{name}: recorded {result.new_articles} existing articles as history; new articles from "
                          "now on will be posted")
        self._announce_health(feed, ok, result.error)
        return result

    def _give_back(self, feed: FeedState) -> None:
        with self.store.transaction() as repo:
            repo.release_lease(feed.id, self.worker_id)

    def _announce_health(self, feed: FeedState, ok: bool, error: str | None) -> None:
        """Say so in Slack when a feed crosses the failure threshold, and when it recovers.

        The feed's lease makes this worker the only one polling it, so each
        change is announced once.
        """
        threshold = self.options.error_threshold
        name = self.name_of(feed.url)
        if not ok and feed.error_count + 1 == threshold:
            text = f"Feed failing: {name} ({feed.url}) failed {threshold} polls in a row. Last error: {error}"
        elif ok and feed.error_count >= threshold:
            text = f"Feed recovered: {name} ({feed.url}) is polling again after {feed.error_count} failures."
        else:
            return
        try:
            self.notifier.alert(text)
            event("feed_alert", level=logging.INFO if ok else logging.WARNING, feed=name, url=feed.url, recovered=ok)
        except DeliveryError as exc:
            event("feed_alert_failed", level=logging.WARNING, feed=name, url=feed.url, error=str(exc))

    def digest(self) -> None:
        """Post the digest once across all workers (send_digest holds a lock while posting)."""
        # Workers woken by the same tick: the first posts, the others find a fresh digest and skip.
        tick = min(60, self.options.digest_every_seconds or 60)
        with self.store.transaction() as repo:
            if repo.recent_digest(self.clock() - timedelta(seconds=tick * 0.9)):
                event("digest_skipped", reason="already sent for this tick")
                return
        self._digest()

    def _digest(self) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            failing = [f for f in repo.feed_states() if f.error_count >= self.options.error_threshold]
        self.metrics.feeds_in_error.set(len(failing))
        with self._lock:
            failed = dict(self.stats["failed"])
            failed.update({f.url: f.name or f.url for f in failing})
            stats = DigestStats(feeds_polled=len(self.stats["feeds"]), articles_read=self.stats["articles"],
                                claims_seen=self.stats["claims"], repeats_folded=self.stats["repeats"],
                                feeds_in_error=tuple(sorted(failed.values())))
        started = time.monotonic()
        outcome = send_digest(self.store, self.notifier, self.topic_names, now, stats=stats,
                              post_empty=self.options.post_empty, channel=self.options.channel,
                              topic_channels=self.options.topic_channels, update_days=self.options.update_days,
                              stuffing=stuffing_patterns(self.ctx.topics))
        if outcome.receipt is not None:
            with self._lock:
                self.stats = _fresh_stats()
        self.metrics.digest_seconds.observe(time.monotonic() - started)
        event("digest", level=logging.WARNING if outcome.error else logging.INFO, claims=len(outcome.digest.claim_ids),
              sent=outcome.receipt is not None, error=outcome.error,
              ms=int((time.monotonic() - started) * 1000))

    def prune(self) -> None:
        with self.store.transaction() as repo:
            removed = repo.prune(self.clock(), self.options.retention_days)
        event("prune", clusters_removed=removed)

    # --- the process ---------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, object]]:
        """Scheduler alive, database reachable, and how long since the last poll."""
        db_ok = True
        try:
            with self.store.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:  # any driver error means unreachable
            db_ok = False
        alive = self.scheduler is not None and self.scheduler.running
        age = None if self.last_poll is None else round(time.time() - self.last_poll, 1)
        stale = age is not None and age > 3 * self.options.poll_seconds + 60
        return alive and db_ok and not stale, {"scheduler": alive, "database": db_ok, "last_poll_age_seconds": age}

    def serve_health(self, port: int) -> ThreadingHTTPServer:
        """/healthz and /metrics on a port of their own, in a daemon thread."""
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.startswith("/metrics"):
                    body, status, kind = generate_latest(service.metrics.registry), 200, CONTENT_TYPE_LATEST
                elif self.path.startswith("/healthz"):
                    ok, detail = service.health()
                    body, status, kind = json.dumps(detail).encode(), 200 if ok else 503, "application/json"
                else:
                    body, status, kind = b"not found", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        host = self.options.health_host
        try:
            server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise ConfigError("schedule.health_port", f"cannot listen on {host}:{port} ({exc.strerror})",
                              "another process holds that port: stop it, or set schedule.health_port to a free "
                              "one (0 picks any)") from None
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True, name="health").start()
        event("health_endpoint", host=host, port=server.server_address[1])
        return server

    def _tick(self) -> None:
        """The poll job: a changed config first (its new feeds are due now), then the due feeds."""
        self._reload_if_changed()
        self.start_due_polls()

    def run(self, reload: Callable[[], ServiceOptions] | None = None, watch: Path | None = None) -> None:
        """Block until SIGTERM or SIGINT; then finish the feed in hand and return.

        SIGHUP calls ``reload`` and takes the feeds from the config it returns;
        with ``watch``, so does a change of that file (checked every watch_seconds).
        """
        if reload is not None and watch is not None:
            self.watch(watch, reload)
        self.sync_feeds()
        scheduler = BlockingScheduler(timezone=self.options.timezone, job_defaults={
            # Starved or late jobs still run once (not once per missed tick), up to a whole interval late.
            "coalesce": True, "max_instances": 1, "misfire_grace_time": max(60, self.options.poll_seconds),
        })
        scheduler.add_job(self._tick, IntervalTrigger(seconds=self.options.poll_seconds), id="poll",
                          name="poll due feeds", next_run_time=datetime.now(UTC))
        digest_trigger = IntervalTrigger(seconds=self.options.digest_every_seconds) \
            if self.options.digest_every_seconds else \
            CronTrigger.from_crontab(self.options.digest_cron, timezone=self.options.timezone)
        scheduler.add_job(self.digest, digest_trigger, id="digest", name="post the digest")
        scheduler.add_job(self.prune, CronTrigger.from_crontab(self.options.prune_cron, timezone=self.options.timezone),
                          id="prune", name="prune old clusters")
        if self._watched is not None:
            scheduler.add_job(self._reload_if_changed, IntervalTrigger(seconds=self.options.watch_seconds),
                              id="watch", name="re-read the config when its file changed")

        def stop(signum: int, _frame: object) -> None:
            event("shutdown", signal=signal.Signals(signum).name)
            self.stopping.set()
            self.fetcher.abort()  # requests in flight fail now, not at their deadline
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

        def hangup(_signum: int, _frame: object) -> None:
            if reload is not None:
                try:
                    self.reload(reload())
                except ClaimbotError as exc:
                    event("reload_failed", level=logging.WARNING, error=str(exc),
                          message="the config was not applied; the service keeps the previous one")

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, hangup)
        health = self.serve_health(self.options.health_port) if self.options.health_port is not None else None
        self.scheduler = scheduler
        self.refill = True
        schedule = {"digest_every_seconds": self.options.digest_every_seconds} if self.options.digest_every_seconds \
            else {"digest_cron": self.options.digest_cron}
        event("start", worker=self.worker_id, feeds=len(self.options.feed_names),
              poll_seconds=self.options.poll_seconds, **schedule)
        scheduler.start()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # each feed stops at its next item
        if health is not None:
            health.shutdown()
        event("stopped", worker=self.worker_id)


def _mtime(path: Path) -> tuple[int, int, int] | None:
    """The file's identity for change checks: an editor that saves by rename changes the inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino
