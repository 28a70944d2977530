"""Nothing lost, nothing shown twice: crashes, silences and refusals at every step of a digest.

The real slack-sdk against the fake Slack Web API; a real SQLite file and a real PostgreSQL schema;
`kill -9` of a real `claimbot digest --send` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.slack import SlackNotifier
from bot.digest import MAX_SECTION_CHARS, DigestOptions, build_digest, render_messages
from bot.models import Article, Claim, Decision, DigestStats, Fingerprint
from bot.pipeline import send_digest
from bot.store import Store

from .conftest import ROOT
from .fake_slack import FakeSlack, violations

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)
OPTIONS = DigestOptions(timezone=ZoneInfo("Asia/Seoul"))
NAMES = {"deepseek": "DeepSeek", "stargate": "Stargate"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/recovery.db")
    yield s
    s.close()


def notifier(slack: FakeSlack, options: DigestOptions = OPTIONS, **kw: object) -> SlackNotifier:
    return SlackNotifier("xoxb-test", "#claims", options, api_url=slack.base_url, **kw)  # type: ignore[arg-type]


def fill(store: Store, texts: list[str], topic: str = "deepseek", *, url: str | None = None, start: int = 0) -> None:
    with store.transaction() as repo:
        for i, text in enumerate(texts, start):
            link = url or f"https://news.example/{topic}/{i}"
            aid, _ = repo.save_article(Article(link, "t", NOW, "News", None, "b"), f"{link}#{i}", topics=[topic],
                                       spam=False, spam_reason=None, now=NOW)
            repo.save_claims(aid, [(Claim(topic, text, 0, 3.0, ()), Decision("new", f"{topic}{i}"),
                                    Fingerprint(topic, "latin", False, ()), [])], url=link, outlet="News", now=NOW)


def pending(store: Store) -> int:
    with store.transaction() as repo:
        return len(repo.pending_claims())


def shown(slack: FakeSlack) -> str:
    return json.dumps(slack.accepted(), ensure_ascii=False)


# --- kill -9 at each step, both layouts, both databases -----------------------------------------------

def _claims_for_three_posts(layout: str) -> dict[str, list[str]]:
    if layout == "thread":  # the summary and one reply per topic: three posts
        return {"deepseek": [f"DS-{i:02d} 딥시크 주장 {i}번." for i in range(6)],
                "stargate": [f"SG-{i:02d} Stargate claim number {i}." for i in range(6)]}
    # single: 30 claims over messages capped at 2,000 characters: well over three posts
    return {"deepseek": [f"DS-{i:02d} 딥시크 주장 {i}번, 비용은 {i}백만 달러라고 밝혔다." for i in range(15)],
            "stargate": [f"SG-{i:02d} Stargate claim number {i}: it will cost ${i}00 billion." for i in range(15)]}


def _cli_config(tmp_path: Path, layout: str) -> Path:
    config = tmp_path / "bot.toml"
    config.write_text(f'''timezone = "Asia/Seoul"
topics_file = "{ROOT / 'config' / 'topics.toml'}"
lexicon_file = "{ROOT / 'config' / 'lexicon.toml'}"
[slack]
channel = "#claims"
layout = "{layout}"
message_chars = 2000
''', encoding="utf-8")
    return config


@pytest.mark.parametrize("layout", ["thread", "single"])
@pytest.mark.parametrize("step", ["resolve", "post1", "post2", "post3"])
def test_kill_9_at_each_step_shows_every_claim_exactly_once(slack: FakeSlack, tmp_path: Path, db_url: str,
                                                            layout: str, step: str) -> None:
    claims = _claims_for_three_posts(layout)
    store = Store.open(db_url)
    for topic, texts in claims.items():
        fill(store, texts, topic)
    store.close()
    config = _cli_config(tmp_path, layout)
    env = {**os.environ, "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url}
    command = [sys.executable, "-m", "bot", "digest", "--send", "--config", str(config)]
    # Slack takes the message (or the channel lookup hangs before anything is posted); the worker dies.
    slack.script = ["hang@conversations.list"] if step == "resolve" else ["ok"] * (int(step[-1]) - 1) + ["hang"]
    worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not slack.received.wait(60):
        worker.kill()
        pytest.fail(f"the worker never reached Slack: {worker.communicate()[1].decode()[-500:]}")
    worker.kill()  # SIGKILL
    worker.wait(30)
    slack.release.set()
    again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    seen = shown(slack)
    for texts in claims.values():
        for text in texts:
            assert seen.count(text.split(" ")[0] + " ") == 1, (text, step, layout)
    store = Store.open(db_url)
    assert pending(store) == 0
    store.close()
    if layout == "single":
        assert len(slack.accepted()) >= 3  # it really was a multi-message digest


# --- no answer is unknown, not failed ---------------------------------------------------------------

def test_a_reply_slack_takes_but_never_answers_is_not_sent_again(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    fill(store, ["OpenAI said Stargate will cost $500 billion."], topic="stargate")
    slack.script = ["ok", "hang"]  # the summary; the first reply is taken and never answered
    quiet = notifier(slack, timeout=1, retry_handlers=[])
    first = send_digest(store, quiet, NAMES, NOW)
    slack.release.set()
    assert first.error and "did not answer" in first.error
    with store.transaction() as repo:
        assert [d.state for d in repo.unfinished_digests()] == ["sending"]  # unknown: kept, not failed
    second = send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=1))
    assert second.error is None
    assert shown(slack).count("딥시크가 R1을") == 1 and shown(slack).count("$500 billion") == 1
    assert pending(store) == 0


def test_a_failing_history_lookup_sends_nothing_and_names_the_scope(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    slack.script = ["hang"]
    first = send_digest(store, notifier(slack, timeout=1, retry_handlers=[]), NAMES, NOW)
    slack.release.set()
    assert first.error
    fill(store, ["딥시크의 비용은 600만 달러로 알려졌다."], start=50)
    posts = len(slack.posts())
    slack.script = ["missing_scope@conversations.history"]
    blocked = send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=1))
    assert blocked.error and "channels:history" in blocked.error and "bug" not in blocked.error
    assert len(slack.posts()) == posts  # nothing re-sent blindly, nothing new sent either
    assert send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=2)).error is None
    assert shown(slack).count("딥시크가 R1을") == 1 and shown(slack).count("600만 달러") == 1
    assert pending(store) == 0


# --- limits after escaping; a bad item isolated -------------------------------------------------------

def test_an_ampersand_url_and_long_feed_names_stay_within_every_limit(slack: FakeSlack, store: Store) -> None:
    url = "https://news.example/a?" + "&x" * 488  # 999 characters, 4,995 once escaped
    assert len(url) == 999
    fill(store, ["딥시크 " + "&" * 600 + " 주장이다."], url=url)
    fill(store, ["OpenAI said Stargate will cost $500 billion."], topic="stargate")
    failing = tuple("https://feeds.example/" + "&a" * 150 + f"/{i}: HTTP 500" for i in range(5))
    stats = DigestStats(feeds_polled=5, feeds_in_error=failing)
    for layout in ("thread", "single"):
        options = DigestOptions(timezone=ZoneInfo("Asia/Seoul"), layout=layout)
        with store.transaction() as repo:
            digest = build_digest(repo.pending_claims(), NAMES, period_start=None, period_end=NOW, stats=stats)
        for message in render_messages(digest, options):
            assert violations({"text": message.text, "blocks": list(message.blocks)}) == []
    outcome = send_digest(store, notifier(slack), NAMES, NOW, stats=stats)
    assert outcome.error is None and pending(store) == 0


def test_a_message_slack_refuses_is_split_so_the_rest_goes_out(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다.", "REFUSE-ME 딥시크 주장.", "딥시크의 비용은 600만 달러로 알려졌다."])
    slack.refuse = "REFUSE-ME"
    outcome = send_digest(store, notifier(slack), NAMES, NOW)
    assert outcome.error and "refused 1 claim" in outcome.error
    assert "SLACK_BOT_TOKEN" not in outcome.error and "bug" not in outcome.error
    seen = shown(slack)
    assert seen.count("딥시크가 R1을") == 1 and seen.count("600만 달러") == 1 and "REFUSE-ME" not in seen
    assert pending(store) == 1  # the refused claim is kept for the next digest, not lost
    slack.refuse = None
    assert send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=1)).error is None
    assert shown(slack).count("REFUSE-ME") == 1 and pending(store) == 0


def test_a_digest_whose_every_reply_fails_leaves_no_empty_summary(slack: FakeSlack, store: Store) -> None:
    fill(store, ["REFUSE-ME 딥시크 주장."])
    slack.refuse = "REFUSE-ME"
    assert send_digest(store, notifier(slack), NAMES, NOW).error
    assert slack.accepted() == []  # the summary was taken back
    slack.script = ["ok"] + ["500"] * 4  # the summary, then the reply fails for good
    slack.refuse = None
    assert send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=1)).error
    assert slack.accepted() == [] and pending(store) == 1


# --- Retry-After is capped ----------------------------------------------------------------------------

def test_a_huge_retry_after_is_not_waited_out(slack: FakeSlack, store: Store) -> None:
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    slack.script = ["429:3000"]
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(send_digest(store, notifier(slack, max_retry_after=5),
                                                                       NAMES, NOW)), daemon=True)
    worker.start()
    worker.join(60)  # a guard against hanging for 3,000 s, not a timing assertion
    assert not worker.is_alive() and result
    assert result[0].error and "ratelimited" in result[0].error  # type: ignore[attr-defined]
    assert len(slack.posts()) == 1 and pending(store) == 1


# --- article text reaches Slack inert -----------------------------------------------------------------

def test_article_text_reaches_slack_as_inert_text(slack: FakeSlack, store: Store) -> None:
    hostile = "딥시크 *bold* ~strike~ ```code``` `tick` _it_ see https://evil.example/x and #general @here " \
              "hid\u2060den\u061cmarks\u180e\u200b\ufeff\u3164end"
    fill(store, [hostile])
    assert send_digest(store, notifier(slack), NAMES, NOW).error is None
    blocks = [b for post in slack.posts() for b in post["blocks"]]
    texts = [b["text"] for b in blocks if b["type"] == "section"]
    texts += [e for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert texts and all(t["verbatim"] is True for t in texts if t["type"] == "mrkdwn")
    dumped = json.dumps([t["text"] for t in texts], ensure_ascii=False)
    for bad in ("*bold*", "~strike~", "```", "`tick`", "_it_", "https://evil", "\u2060", "\u061c", "\u180e",
                "\u200b", "\ufeff", "\u3164"):
        assert bad not in dumped, bad
    assert "bold" in dumped and "evil.example" in dumped and "hiddenmarksend" in dumped


def test_section_text_stays_under_the_limit_however_it_is_built() -> None:
    from bot.digest import cap as _cap

    capped = _cap("a&amp;" * 1000, MAX_SECTION_CHARS)
    assert len(capped) <= MAX_SECTION_CHARS and not capped.rstrip("…").endswith(("&", "&amp", "&am", "&a"))


# --- errors a person can act on ---------------------------------------------------------------------------

def test_digest_send_failures_are_user_errors_not_bugs(slack: FakeSlack, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    store = Store.open(db)
    fill(store, ["딥시크가 R1을 공개했다고 밝혔다."])
    store.close()
    env = {**os.environ, "DATABASE_URL": db, "SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_API_URL": slack.base_url}
    failed = subprocess.run([sys.executable, "-m", "bot", "digest", "--send"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "invalid_auth" in failed.stderr and "SLACK_BOT_TOKEN" in failed.stderr and "bug" not in failed.stderr
    usage = subprocess.run([sys.executable, "-m", "bot", "topics", "test", "딥시크", "--file", __file__], env=env,
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2 and "either TEXT or --file" in usage.stderr and "bug" not in usage.stderr


def test_the_digest_lock_of_one_schema_does_not_block_another(pg_url: str) -> None:
    import uuid

    from sqlalchemy import create_engine, text

    other = f"claimbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{other}"'))
    first = Store.open(pg_url)
    second = Store.open(pg_url.rsplit("%3D", 1)[0] + "%3D" + other)
    try:
        with first.exclusive("claimbot-digest") as mine, second.exclusive("claimbot-digest") as theirs:
            assert mine and theirs  # two claimbots in one database, each posts its own digest
        with first.exclusive("claimbot-digest") as mine, first.exclusive("claimbot-digest") as again:
            assert mine and not again  # within one schema the lock still excludes
    finally:
        first.close()
        second.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{other}" CASCADE'))
        admin.dispose()
