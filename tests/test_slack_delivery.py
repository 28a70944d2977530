"""The real slack-sdk against a fake Slack Web API on 127.0.0.1: delivery exactly once, nothing lost."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.slack import SlackNotifier
from bot.digest import DigestOptions, escape
from bot.models import Article, Claim, Decision
from bot.pipeline import send_digest
from bot.store import Store

from .fake_slack import FakeSlack, fake_slack_server

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)
OPTIONS = DigestOptions(timezone=ZoneInfo("Asia/Seoul"))
NAMES = {"deepseek": "DeepSeek", "stargate": "Stargate"}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack_server() as server:
        yield server


def notifier(slack: FakeSlack, **kw: object) -> SlackNotifier:
    return SlackNotifier("xoxb-test", "#claims", OPTIONS, api_url=slack.base_url, **kw)  # type: ignore[arg-type]


def fill(store: Store, texts: list[str], topic: str = "deepseek") -> None:
    with store.transaction() as repo:
        for i, text in enumerate(texts):
            url = f"https://news.example/{i}"
            aid, _ = repo.save_article(Article(url, "t", NOW, "News", None, "b"), url, topics=[topic], spam=False,
                                       spam_reason=None, now=NOW)
            repo.save_claims(aid, [(Claim(topic, text, 0, 3.0, (), (), ()), Decision("new", f"{topic}{i}"), [])],
                             url=url, outlet="News", now=NOW)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/slack.db")
    yield s
    s.close()


def pending(store: Store) -> int:
    with store.transaction() as repo:
        return len(repo.pending_claims())


def test_happy_path_posts_a_summary_and_one_thread_reply_per_topic(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    fill(store, ["OpenAI said Stargate will cost $500 billion."] * 1, topic="stargate")
    outcome = send_digest(store, notifier(slack), NAMES, NOW)
    assert outcome.error is None
    posts = slack.posts()
    assert len(posts) == 1 + 2
    assert not posts[0].get("thread_ts") and all(p["thread_ts"] == outcome.receipt.message_ts for p in posts[1:])
    assert all(p["metadata"]["event_payload"]["digest_id"] == outcome.digest.digest_id for p in posts)
    assert pending(store) == 0


def test_429_then_ok_is_retried_and_posted_once(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    slack.script = ["429"]
    outcome = send_digest(store, notifier(slack), NAMES, NOW)
    assert outcome.error is None and pending(store) == 0
    assert len([p for p in slack.posts() if not p.get("thread_ts")]) == 2  # the 429 and the retry


def test_500_three_times_then_ok(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    slack.script = ["500", "500", "500"]
    outcome = send_digest(store, notifier(slack), NAMES, NOW)
    assert outcome.error is None and pending(store) == 0


def test_dead_slack_leaves_claims_pending_for_the_next_digest(store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = SlackNotifier("xoxb-test", "#claims", OPTIONS, api_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[])
    outcome = send_digest(store, dead, NAMES, NOW)
    assert outcome.error and "could not be reached" in outcome.error
    assert pending(store) == 1


def test_hostile_text_renders_as_text(slack: FakeSlack, store: Store) -> None:
    hostile = ["<!channel> 딥시크 긴급 공지", "<@U123> 딥시크 비용은 &lt; 600만 달러", "<https://evil|click> 딥시크",
               "딥시크 " + "아주 긴 주장 " * 800]
    fill(store, hostile)
    assert send_digest(store, notifier(slack), NAMES, NOW).error is None
    dumped = json.dumps(slack.posts(), ensure_ascii=False)
    for bad in ("<!channel>", "<@U123>", "<https://evil|click>"):
        assert bad not in dumped
    assert escape("<!channel>") in dumped and "&amp;lt;" in dumped


def test_300_claims_arrive_intact_within_limits_without_duplicates(slack: FakeSlack, store: Store) -> None:
    texts = [f"딥시크 관련 주장 번호 {i}: 비용이 {i}만 달러라고 밝혔다." for i in range(300)]
    fill(store, texts)
    outcome = send_digest(store, notifier(slack), NAMES, NOW)
    assert outcome.error is None
    dumped = json.dumps(slack.posts(), ensure_ascii=False)
    for i in range(300):
        assert dumped.count(f"주장 번호 {i}:") == 1
    assert pending(store) == 0


def test_crash_between_post_and_commit_does_not_post_twice(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    notify = notifier(slack)

    class CrashAfterPost:
        def send(self, digest):  # type: ignore[no-untyped-def]
            notify.send(digest)
            raise SystemExit("kill -9")  # the process dies before the commit

        def already_sent(self, digest_id, channel):  # type: ignore[no-untyped-def]
            return None

    with pytest.raises(SystemExit):
        send_digest(store, CrashAfterPost(), NAMES, NOW)
    posted_once = len(slack.posts())
    outcome = send_digest(store, notify, NAMES, NOW + timedelta(hours=1), channel="C123")
    assert len(slack.posts()) == posted_once  # found in history, not re-posted
    assert outcome.receipt is None and pending(store) == 0
