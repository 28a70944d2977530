"""The digest reads as a briefing: stories with linked headlines and zoned times, key claims, conflicts on
top, corroboration named, nothing internal, counts in good grammar, a footer that counts feeds."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.digest import DigestOptions, build_digest, render_messages, render_text
from bot.models import DigestItem, DigestStats, EarlierReport

from .conftest import LocalServer
from .test_service import make_due, make_service

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)
SEOUL = DigestOptions(timezone=ZoneInfo("Asia/Seoul"))
NAMES = {"deepseek": "DeepSeek", "stargate": "Stargate"}


def item(cid: int, article: int, text: str, *, score: float = 3.0, topic: str = "deepseek", **kw: object) -> DigestItem:
    base: dict[str, object] = dict(claim_id=cid, cluster=f"c{cid}", topic=topic, text=text,
                                   url=f"https://news.example/{article}", outlet=f"Outlet {article}",
                                   published=NOW - timedelta(minutes=article), outlets_since=0,
                                   title=f"Headline {article}", article_id=article, score=score)
    base.update(kw)
    return DigestItem(**base)  # type: ignore[arg-type]


def slack_text(digest_items: list[DigestItem], layout: str = "thread", stats: DigestStats = DigestStats()) -> str:
    digest = build_digest(digest_items, NAMES, period_start=None, period_end=NOW, stats=stats)
    options = DigestOptions(timezone=ZoneInfo("Asia/Seoul"), layout=layout)
    return json.dumps([list(m.blocks) for m in render_messages(digest, options)], ensure_ascii=False)


def test_claims_group_into_stories_with_a_linked_headline_outlet_and_zoned_time() -> None:
    shown = slack_text([item(1, 1, "First claim of one."), item(2, 1, "Second claim of one."),
                        item(3, 2, "Only claim of two.")])
    assert shown.count("Headline 1") == 1 and shown.count("Headline 2") == 1
    assert "*<https://news.example/1|Headline 1>* · Outlet 1 · 17:59 KST" in shown
    assert "1 story" not in shown and "2 stories" in shown


def test_a_story_shows_its_three_best_claims_and_counts_the_rest() -> None:
    claims = [item(i, 1, f"Claim number {i}.", score=float(i)) for i in range(1, 6)]
    shown = slack_text(claims)
    assert [n for n in range(1, 6) if f"Claim number {n}." in shown] == [3, 4, 5]
    assert "+2 more" in shown
    assert shown.index("Claim number 5.") < shown.index("Claim number 4.") < shown.index("Claim number 3.")


def test_the_claims_stage_rank_wins_over_the_score_when_given() -> None:
    claims = [item(1, 1, "Ranked first.", score=1.0, rank=0), item(2, 1, "Scored high.", score=9.0, rank=1)]
    shown = slack_text(claims)
    assert shown.index("Ranked first.") < shown.index("Scored high.")


def test_a_conflict_leads_the_summary_as_a_one_line_comparison_with_both_sides_linked() -> None:
    earlier = EarlierReport("c0", "Training cost $5.6M.", "https://reuters.example/a", "Reuters",
                            datetime(2025, 1, 27, 3, tzinfo=UTC), "$5.6M", "$1.6B")
    conflicting = item(1, 1, "Training cost about $1.6B.", figure="$1.6B", earlier=(earlier,),
                       conflicts=(("c0", "Training cost $5.6M.", "https://reuters.example/a"),),
                       outlet="SemiAnalysis", published=datetime(2025, 1, 31, 3, tzinfo=UTC))
    digest = build_digest([item(2, 2, "Unrelated claim."), conflicting], NAMES, period_start=None, period_end=NOW)
    summary = json.dumps(list(render_messages(digest, SEOUL)[0].blocks), ensure_ascii=False)
    assert ("⚠ *DeepSeek*: $5.6M (<https://reuters.example/a|Reuters>, 27 Jan) → "
            "$1.6B (<https://news.example/1|SemiAnalysis>, 31 Jan)") in summary


def test_corroboration_is_named() -> None:
    shown = slack_text([item(1, 1, "A claim.", also=("Yonhap", "Reuters", "AP", "AFP"), outlets_since=4)])
    assert "also Yonhap, Reuters +2" in shown


def test_nothing_internal_reaches_slack() -> None:
    why = "repeats cluster deepseek-3f2a; same figures: $500 billion; same entities: @us, ~openai; word overlap 0.2"
    shown = slack_text([item(1, 1, "A claim.", repeat_why=why, outlets_since=1, also=("B",), cluster="deepseek-3f2a")])
    for internal in ("deepseek-3f2a", "same figures", "@us", "~openai", "word overlap", "claim_id", "score"):
        assert internal not in shown, internal
    text = render_text(build_digest([item(1, 1, "A claim.", repeat_why=why)], NAMES, period_start=None,
                                    period_end=NOW), SEOUL, explain=True)
    assert "same figures" in text and "score 3.0" in text  # --explain shows them in the console


def test_counts_have_their_grammar() -> None:
    one = slack_text([item(1, 1, "A claim.", also=("B",), outlets_since=1)])
    assert "1 new claim in 1 story · 1 topic" in one and "1 new claims" not in one
    text = render_text(build_digest([item(1, 1, "A."), item(2, 1, "B.")], NAMES, period_start=None,
                                    period_end=NOW), SEOUL)
    assert "2 new claims in 1 story · 1 topic" in text and "1 stories" not in text
    assert not re.search(r"\b1 (claims|stories|topics|feeds|outlets)\b", one + text)


def test_the_footer_counts_feeds_and_names_those_that_failed() -> None:
    stats = DigestStats(feeds_polled=5, articles_read=12, claims_seen=30, repeats_folded=4,
                        feeds_in_error=("Daily News",))
    shown = slack_text([item(1, 1, "A claim.")], stats=stats)
    assert "5 feeds read" in shown and "1 feed failed: Daily News" in shown


def test_the_service_footer_counts_each_feed_once_and_names_one_that_failed_and_recovered(
        http_server: LocalServer, tmp_path: Path) -> None:
    from .test_service import PAGE, feed_xml, respond

    out = io.StringIO()
    service = make_service(tmp_path, http_server, out, post_empty=True)
    [failed] = service.poll_due()  # /rss is not routed yet: 404
    assert failed.status == "error"
    http_server.routes["/news/1"] = respond(200, PAGE.format(n=1), {"Content-Type": "text/html; charset=utf-8"})
    http_server.routes["/rss"] = respond(200, feed_xml(http_server.base, [1]))
    for _ in range(2):
        make_due(service)
        service.poll_due()
    service.digest()
    assert "1 feed read" in out.getvalue() and "1 feed failed: Test feed" in out.getvalue()


def test_a_stuffed_keyword_is_dropped_from_the_text_shown_but_not_from_the_store(tmp_path: Path) -> None:
    from bot.config import load_topics
    from bot.delivery.console import ConsoleNotifier
    from bot.models import Article, Claim, Decision, Fingerprint
    from bot.pipeline import send_digest, stuffing_patterns
    from bot.store import Store

    topics, names = load_topics(Path(__file__).resolve().parent.parent / "config" / "topics.toml")
    store = Store.open(f"sqlite:///{tmp_path}/stuffed.db")
    stuffed = "로봇이 만드니 휴식 또한 필요 없어 딥시크 24시간 멈추지 않고 가동한다."
    doubled = "딥시크 딥시크를 활용하는 곳은 개발비 부담도 줄일 수 있다."
    with store.transaction() as repo:
        for i, (topic, text) in enumerate([("dark_factory", stuffed), ("deepseek", doubled)]):
            url = f"https://forum.example/{i}"
            aid, _ = repo.save_article(Article(url, "t", NOW, "Forum", None, "b"), url, topics=[topic], spam=False,
                                       spam_reason=None, now=NOW)
            repo.save_claims(aid, [(Claim(topic, text, 0, 3.0, ()), Decision("new", f"c{i}"),
                                    Fingerprint(topic, "latin", False, ()), [])], url=url, outlet="Forum", now=NOW)
    out = io.StringIO()
    send_digest(store, ConsoleNotifier(SEOUL, stream=out), names, NOW, stuffing=stuffing_patterns(topics))
    shown = out.getvalue()
    assert "필요 없어 24시간 멈추지 않고 가동한다." in shown and "딥시크 24시간" not in shown
    assert "• 딥시크를 활용하는 곳은" in shown
    with store.transaction() as repo:
        assert repo.claim_texts([1, 2]) == {1: stuffed, 2: doubled}
    store.close()


def test_a_conflict_compares_the_figures_that_differ(tmp_path: Path) -> None:
    from bot.models import Article, Claim, Decision, Figure, Fingerprint
    from bot.store import Store

    rank = Figure(10, "", "rank", "10위")
    old = (rank, Figure(5.6e6, "USD", "money", "560만 달러"))
    new = (rank, Figure(1, "", "count", "2곳"), Figure(5e8, "USD", "money", "5억 달러"))
    store = Store.open(f"sqlite:///{tmp_path}/conflict.db")
    with store.transaction() as repo:
        for i, (figures, decision) in enumerate([(old, Decision("new", "a")),
                                                 (new, Decision("new", "b", conflicts_with=("a",)))]):
            url = f"https://news{i}.example/x"
            aid, _ = repo.save_article(Article(url, f"T{i}", NOW, f"Outlet {i}", None, "b"), url, topics=["deepseek"],
                                       spam=False, spam_reason=None, now=NOW)
            repo.save_claims(aid, [(Claim("deepseek", f"claim {i}", 0, 3.0, figures), decision,
                                    Fingerprint("deepseek", "hangul", False, figures), [])], url=url,
                             outlet=f"Outlet {i}", now=NOW)
        conflicting = next(i for i in repo.pending_claims() if i.earlier)
    store.close()
    line = json.dumps(render_messages(build_digest([conflicting], NAMES, period_start=None, period_end=NOW),
                                      SEOUL)[0].blocks, ensure_ascii=False)
    assert "560만 달러 (<https://news0.example/x|Outlet 0>" in line and "→ 5억 달러 (<https://news1.example/x" in line
