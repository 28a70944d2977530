"""The real slack-sdk against a fake Slack Web API on 127.0.0.1: delivery exactly once, nothing lost."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.slack import SlackNotifier, WebhookNotifier
from bot.digest import DigestOptions, build_digest, escape, render_text
from bot.models import Article, Claim, Decision, Fingerprint
from bot.pipeline import send_digest
from bot.store import Store

from .conftest import ROOT
from .fake_slack import FakeSlack

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)
OPTIONS = DigestOptions(timezone=ZoneInfo("Asia/Seoul"))
NAMES = {"deepseek": "DeepSeek", "stargate": "Stargate"}


def notifier(slack: FakeSlack, **kw: object) -> SlackNotifier:
    return SlackNotifier("xoxb-test", "#claims", OPTIONS, api_url=slack.base_url, **kw)  # type: ignore[arg-type]


def fill(store: Store, texts: list[str], topic: str = "deepseek") -> None:
    with store.transaction() as repo:
        for i, text in enumerate(texts):
            url = f"https://news.example/{i}"
            aid, _ = repo.save_article(Article(url, "t", NOW, "News", None, "b"), url, topics=[topic], spam=False,
                                       spam_reason=None, now=NOW)
            repo.save_claims(aid, [(Claim(topic, text, 0, 3.0, ()), Decision("new", f"{topic}{i}"),
                                    Fingerprint(topic, "latin", False, ()), [])], url=url, outlet="News", now=NOW)


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


def cli_env(slack: FakeSlack, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A database file with one pending claim, and the environment a `claimbot` process needs for it."""
    db = f"sqlite:///{tmp_path}/cli.db"
    store = Store.open(db)
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    store.close()
    return db, {**os.environ, "DATABASE_URL": db, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url}


def test_kill_9_between_slacks_answer_and_the_commit_posts_exactly_once(slack: FakeSlack, tmp_path: Path) -> None:
    db, env = cli_env(slack, tmp_path)
    slack.script = ["hang"]  # Slack takes the message, then the worker dies before it hears back
    worker = subprocess.Popen([sys.executable, "-m", "bot", "digest", "--send"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slack.received.wait(60)
    worker.kill()  # SIGKILL
    worker.wait(30)
    slack.release.set()
    summaries = len([p for p in slack.posts() if not p.get("thread_ts")])
    again = subprocess.run([sys.executable, "-m", "bot", "digest", "--send"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert len([p for p in slack.posts() if not p.get("thread_ts")]) == summaries == 1
    store = Store.open(db)
    assert pending(store) == 0
    store.close()


def test_webhook_posts_one_message_and_treats_429_as_a_failure(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    webhook = WebhookNotifier(slack.base_url + "webhook", OPTIONS, retry_handlers=[])
    slack.script = ["429"]
    outcome = send_digest(store, webhook, NAMES, NOW)
    assert outcome.error and "429" in outcome.error and pending(store) == 1
    outcome = send_digest(store, webhook, NAMES, NOW + timedelta(hours=1))
    assert outcome.error is None and pending(store) == 0
    webhook_posts = [body for method, body in slack.calls if method == "webhook"]
    assert len(webhook_posts) == 2 and not any(p.get("thread_ts") for p in webhook_posts)


def test_slack_is_down_then_back_the_period_is_extended(store: Store, slack: FakeSlack) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    slack.script = ["500"] * 4
    first = send_digest(store, notifier(slack), NAMES, NOW)
    assert first.error and pending(store) == 1
    later = send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=9))
    assert later.error is None and later.digest.period_start is None  # nothing sent before: whole history
    assert "딥시크가 R1을" in json.dumps(slack.posts(), ensure_ascii=False)


def test_dry_run_text_shows_what_slack_would_get(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다.", "딥시크의 비용은 600만 달러로 알려졌다."])
    fill(store, ["OpenAI said Stargate will cost $500 billion."], topic="stargate")
    with store.transaction() as repo:
        digest = build_digest(repo.pending_claims(), NAMES, period_start=None, period_end=NOW)
    text = render_text(digest, OPTIONS)
    assert send_digest(store, notifier(slack), NAMES, NOW).error is None
    posted = json.dumps(slack.posts(), ensure_ascii=False)
    for topic in digest.topics:
        assert topic.name in text and topic.name in posted
        for item in topic.items:
            assert item.text in text and escape(item.text) in posted


def test_a_claim_repeated_elsewhere_names_the_outlets_and_keeps_the_why_out_of_slack(slack: FakeSlack,
                                                                                     store: Store) -> None:
    from bot.models import Figure

    money = (Figure(5e11, "USD", "money", "$500 billion", ("~invest",)),)
    with store.transaction() as repo:
        for i, outlet in enumerate(["A", "B", "C"]):
            url = f"https://{outlet.lower()}.example/{i}"
            aid, _ = repo.save_article(Article(url, "t", NOW, outlet, None, "b"), url, topics=["stargate"],
                                       spam=False, spam_reason=None, now=NOW)
            decision = Decision("new" if i == 0 else "repeat", "sg1",
                                why="repeats cluster sg1; same figures: $500 billion = $500 billion; same entities: "
                                    "openai; word overlap 0.20")
            repo.save_claims(aid, [(Claim("stargate", f"OpenAI will invest $500 billion ({outlet}).", 0, 3.0, money),
                                    decision, Fingerprint("stargate", "latin", False, money, ("openai",)), [])],
                             url=url, outlet=outlet, now=NOW)
    assert send_digest(store, notifier(slack), NAMES, NOW).error is None
    posted = json.dumps(slack.posts(), ensure_ascii=False)
    assert "also B, C" in posted
    assert "same figures" not in posted and "word overlap" not in posted and "sg1" not in posted
    assert "(B)." not in posted  # the repeats fold under the first report


def test_digest_preview_prints_and_posts_nothing(slack: FakeSlack, tmp_path: Path) -> None:
    _, env = cli_env(slack, tmp_path)
    shown = subprocess.run([sys.executable, "-m", "bot", "digest", "--preview"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "딥시크가 R1을 공개했다고 밝혔다." in shown.stdout
    assert slack.posts() == []


def test_feed_alerts_reach_slack_escaped(slack: FakeSlack) -> None:
    notifier(slack).alert("Feed failing: <!channel> Daily (https://x.example/rss) failed 3 polls. Last error: HTTP 500")
    [post] = slack.posts()
    assert "<!channel>" not in json.dumps(post) and "&lt;!channel&gt;" in post["text"]
    assert post["channel"] == "C123"


def test_a_thread_that_fails_half_way_never_posts_a_claim_twice(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    fill(store, ["OpenAI said Stargate will cost $500 billion."], topic="stargate")
    slack.script = ["ok", "ok", "500", "500", "500", "500"]  # summary, DeepSeek reply; the Stargate reply fails
    first = send_digest(store, notifier(slack), NAMES, NOW)
    assert first.error and pending(store) == 1
    assert send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=1)).error is None
    shown = json.dumps(slack.accepted(), ensure_ascii=False)
    assert shown.count("딥시크가 R1을 공개했다고 밝혔다.") == 1
    assert shown.count("$500 billion") == 1 and pending(store) == 0


def test_kill_9_in_the_middle_of_a_thread_loses_nothing_and_doubles_nothing(slack: FakeSlack, tmp_path: Path) -> None:
    db, env = cli_env(slack, tmp_path)
    store = Store.open(db)
    fill(store, ["OpenAI said Stargate will cost $500 billion."], topic="stargate")
    store.close()
    slack.script = ["ok", "hang"]  # the summary goes out, the first reply is taken, then the worker dies
    worker = subprocess.Popen([sys.executable, "-m", "bot", "digest", "--send"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slack.received.wait(60)
    worker.kill()
    worker.wait(30)
    slack.release.set()
    again = subprocess.run([sys.executable, "-m", "bot", "digest", "--send"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    shown = json.dumps(slack.accepted(), ensure_ascii=False)
    assert shown.count("딥시크가 R1을 공개했다고 밝혔다.") == 1
    assert shown.count("$500 billion") == 1
