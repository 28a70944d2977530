"""After a story is posted: corroboration replies in its thread, analysts' reactions as feedback, mute.

The real slack-sdk against the fake Slack Web API; a real SQLite file; `kill -9` of a real process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.delivery.slack import SlackNotifier
from bot.digest import DigestOptions
from bot.models import Article, Claim, Decision, Fingerprint
from bot.pipeline import send_digest
from bot.store import Store

from .conftest import ROOT
from .fake_slack import FakeSlack

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)
NAMES = {"deepseek": "DeepSeek", "stargate": "Stargate"}


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/followups.db"


def notifier(slack: FakeSlack, layout: str = "thread") -> SlackNotifier:
    return SlackNotifier("xoxb-test", "#claims", DigestOptions(timezone=ZoneInfo("Asia/Seoul"), layout=layout),
                         api_url=slack.base_url)


def report(store: Store, outlet: str, text: str, *, status: str = "new", cluster: str = "sg1",
           conflicts: tuple[str, ...] = (), when: datetime = NOW) -> None:
    url = f"https://{outlet.lower()}.example/{cluster}/{len(text)}/{status}"
    with store.transaction() as repo:
        aid, _ = repo.save_article(Article(url, f"{outlet} headline", when, outlet, None, "b"), url,
                                   topics=["stargate"], spam=False, spam_reason=None, now=when)
        repo.save_claims(aid, [(Claim("stargate", text, 0, 3.0, ()),
                                Decision(status, cluster, conflicts_with=conflicts),  # type: ignore[arg-type]
                                Fingerprint("stargate", "latin", False, ()), [])],
                         url=url, outlet=outlet, now=when)


def story_message(slack: FakeSlack) -> dict:
    """The message showing the Stargate story (a thread reply, or the single message)."""
    return next(m for m in slack.accepted() if "OpenAI will invest" in json.dumps(m, ensure_ascii=False))


def updates(slack: FakeSlack) -> list[dict]:
    return [m for m in slack.accepted() if (m.get("text") or "").startswith("update:")]


@pytest.mark.parametrize("layout", ["thread", "single"])
def test_restatements_after_posting_are_replied_once_in_the_storys_thread(slack: FakeSlack, db: str,
                                                                         layout: str) -> None:
    store = Store.open(db)
    report(store, "Reuters", "OpenAI will invest $500 billion in Stargate.")
    assert send_digest(store, notifier(slack, layout), NAMES, NOW).error is None
    posted = story_message(slack)
    root = posted["thread_ts"] or posted["ts"]
    report(store, "Yonhap", "OpenAI to invest $500 billion.", status="repeat", when=NOW + timedelta(hours=1))
    report(store, "AP", "OpenAI invests $500 billion.", status="repeat", when=NOW + timedelta(hours=1))
    assert send_digest(store, notifier(slack, layout), NAMES, NOW + timedelta(hours=2)).error is None
    [update] = updates(slack)
    assert update["thread_ts"] == root and "also AP, Yonhap" in json.dumps(update["blocks"], ensure_ascii=False)
    assert send_digest(store, notifier(slack, layout), NAMES, NOW + timedelta(hours=3)).error is None
    assert len(updates(slack)) == 1  # nothing new restated: no second reply
    report(store, "AFP", "OpenAI said it would invest $500 billion.", status="repeat", when=NOW + timedelta(hours=4))
    assert send_digest(store, notifier(slack, layout), NAMES, NOW + timedelta(hours=5)).error is None
    assert len(updates(slack)) == 2 and "AFP" in json.dumps(updates(slack)[-1]["blocks"])
    store.close()


def test_kill_9_between_slacks_answer_and_the_commit_of_an_update_replies_once(slack: FakeSlack, db: str) -> None:
    now = datetime.now(UTC)  # the command reads the clock: updates look back a week from it
    store = Store.open(db)
    report(store, "Reuters", "OpenAI will invest $500 billion in Stargate.", when=now)
    assert send_digest(store, notifier(slack), NAMES, now).error is None
    report(store, "Yonhap", "OpenAI to invest $500 billion.", status="repeat", when=now)
    store.close()
    env = {**os.environ, "DATABASE_URL": db, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url}
    config = ROOT / "config" / "bot.toml"
    command = [sys.executable, "-m", "bot", "digest", "--send", "--config", str(config)]
    slack.channels["claimbot"] = slack.channels["claims"]  # the shipped config's #claimbot is the same channel
    slack.script = ["hang"]  # the update reply is taken; the worker dies before it hears back
    worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slack.received.wait(60)
    worker.kill()
    worker.wait(30)
    slack.release.set()
    for _ in range(2):
        again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    assert len(updates(slack)) == 1


def test_reactions_are_stored_once_listed_and_counted_and_mute_stops_updates(slack: FakeSlack, db: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(db)
    report(store, "Reuters", "OpenAI will invest $500 billion in Stargate.")
    report(store, "Nikkei", "SoftBank will fund Stargate with $19 billion.", cluster="sg2")
    assert send_digest(store, notifier(slack), NAMES, NOW).error is None
    muted = story_message(slack)
    other = next(m for m in slack.accepted() if "SoftBank will fund" in json.dumps(m, ensure_ascii=False))
    slack.react(muted["ts"], "mute", "UANNA")
    slack.react(other["ts"], "x", "UBEN")
    slack.react(other["ts"], "thumbsup", "UBEN")  # not feedback
    report(store, "Yonhap", "OpenAI to invest $500 billion.", status="repeat", when=NOW + timedelta(hours=1))
    report(store, "AP", "Stargate: OpenAI puts in $100 billion, not $500 billion.", cluster="sg3", conflicts=("sg1",),
           when=NOW + timedelta(hours=1))
    outcome = send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=2))
    assert outcome.error is None and outcome.digest.stats.feedback == 2
    assert "2 reactions taken as feedback" in json.dumps(slack.accepted(), ensure_ascii=False)
    assert updates(slack) == []  # the muted story gets no corroboration reply …
    assert "not $500 billion" in json.dumps(slack.accepted(), ensure_ascii=False)  # … but the conflict shows
    again = send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=3), post_empty=True)
    assert again.digest.stats.feedback == 0  # read again, stored once
    with store.transaction() as repo:
        assert sorted((f["kind"], f["user_id"]) for f in repo.feedback()) == [("mute", "UANNA"),
                                                                               ("not_relevant", "UBEN")]
    store.close()
    monkeypatch.setenv("DATABASE_URL", db)
    listed = CliRunner().invoke(main, ["feedback"])
    assert listed.exit_code == 0 and "mute" in listed.output and "OpenAI will invest" in listed.output
    assert "not_relevant" in listed.output and "thumbsup" not in listed.output


def test_a_topic_with_its_own_channel_is_posted_there_and_the_rest_to_the_default(slack: FakeSlack, db: str) -> None:
    store = Store.open(db)
    report(store, "Reuters", "OpenAI will invest $500 billion in Stargate.")
    with store.transaction() as repo:
        url = "https://news.example/ds"
        aid, _ = repo.save_article(Article(url, "DeepSeek headline", NOW, "News", None, "b"), url, topics=["deepseek"],
                                   spam=False, spam_reason=None, now=NOW)
        repo.save_claims(aid, [(Claim("deepseek", "딥시크가 R1을 공개했다고 밝혔다.", 0, 3.0, ()),
                                Decision("new", "ds1"), Fingerprint("deepseek", "latin", False, ()), [])],
                         url=url, outlet="News", now=NOW)
    slack.channels["ai-china"] = "C999"
    outcome = send_digest(store, notifier(slack), NAMES, NOW, topic_channels={"deepseek": "#ai-china"})
    assert outcome.error is None and set(outcome.digest.claim_ids) == {1, 2}
    by_channel = {m["channel"]: json.dumps(m, ensure_ascii=False) for m in slack.accepted() if not m["thread_ts"]}
    assert set(by_channel) == {"C123", "C999"}
    shown = {ch: " ".join(json.dumps(m, ensure_ascii=False) for m in slack.accepted() if m["channel"] == ch)
             for ch in by_channel}
    assert "딥시크가 R1을" in shown["C999"] and "딥시크가 R1을" not in shown["C123"]
    assert "OpenAI will invest" in shown["C123"] and "OpenAI will invest" not in shown["C999"]
    with store.transaction() as repo:
        assert repo.pending_claims() == []
    # A restatement of the DeepSeek story later replies in its own channel's thread.
    with store.transaction() as repo:
        url = "https://yonhap.example/ds"
        aid, _ = repo.save_article(Article(url, "t", NOW, "Yonhap", None, "b"), url, topics=["deepseek"],
                                   spam=False, spam_reason=None, now=NOW)
        repo.save_claims(aid, [(Claim("deepseek", "딥시크 R1 공개.", 0, 3.0, ()), Decision("repeat", "ds1"),
                                Fingerprint("deepseek", "latin", False, ()), [])],
                         url=url, outlet="Yonhap", now=NOW)
    assert send_digest(store, notifier(slack), NAMES, NOW + timedelta(hours=1),
                       topic_channels={"deepseek": "#ai-china"}).error is None
    [update] = updates(slack)
    assert update["channel"] == "C999" and "Yonhap" in json.dumps(update["blocks"])
    store.close()


def test_a_topic_channel_is_checked_in_the_config(tmp_path: Path) -> None:
    from bot.config import load_settings

    (tmp_path / "bot.toml").write_text('topics_file = "topics.toml"\n', encoding="utf-8")
    base = '[topics.deepseek]\nname = "DeepSeek"\naliases = { en = ["DeepSeek"] }\n'
    (tmp_path / "topics.toml").write_text(base + 'channel = "#ai-china"\n', encoding="utf-8")
    assert load_settings(tmp_path / "bot.toml", env={}).topic_channels == {"deepseek": "#ai-china"}
    (tmp_path / "topics.toml").write_text(base + 'channel = ""\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check-config", "--config", str(tmp_path / "bot.toml")])
    assert result.exit_code == 1 and "channel" in result.output and "bug" not in result.output


def test_claimbot_story_lists_what_plus_n_more_stands_for(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(db)
    report(store, "Reuters", "OpenAI will invest $500 billion in Stargate.")
    store.close()
    monkeypatch.setenv("DATABASE_URL", db)
    url = "https://reuters.example/sg1/44/new"
    listed = CliRunner().invoke(main, ["story", url])
    assert listed.exit_code == 0 and "[Stargate] new, score 3.0: OpenAI will invest $500 billion" in listed.output
    missing = CliRunner().invoke(main, ["story", "https://nowhere.example/x"])
    assert missing.exit_code == 1 and "no stored article" in missing.output and "bug" not in missing.output
