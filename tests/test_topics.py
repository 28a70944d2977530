"""Topic matching on text nobody here has seen: particles, boundaries, homonyms, stuffing, passages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.config import load_topics
from bot.text import sentences
from bot.topics import match_topics

from .conftest import ROOT

TOPICS, _ = load_topics(ROOT / "config" / "topics.toml")


def topics_of(text: str) -> tuple[str, ...]:
    return match_topics(sentences(text), TOPICS).topics


@pytest.mark.parametrize(("text", "topic"), [
    ("딥시크가 새 모델을 내놨다.", "deepseek"),
    ("딥시크의 비용은 낮다.", "deepseek"),
    ("딥시크(DeepSeek)는 중국 기업이다.", "deepseek"),
    ("DeepSeek's model is cheap.", "deepseek"),
    ("ＤｅｅｐＳｅｅｋ released R1.", "deepseek"),
    ("深度求索发布了新模型。", "deepseek"),
    ("다크 팩토리가 늘고 있다.", "dark_factory"),
    ("다크팩토리가 늘고 있다.", "dark_factory"),
    ("黑灯工厂正在扩张。", "dark_factory"),
    ("熄灯工厂的比例上升。", "dark_factory"),
    ("The lights-out factory runs all night.", "dark_factory"),
    ("OpenAI said the Stargate data center in Abilene is running.", "stargate"),
    ("星际之门项目由OpenAI和软银推动。", "stargate"),
])
def test_aliases_match_in_every_form(text: str, topic: str) -> None:
    assert topic in topics_of(text)


@pytest.mark.parametrize("text", [
    "딥페이크 영상이 퍼지고 있다.",
    "deepseeker is a username on the forum.",
    "무인 매장이 늘고 있다. 무인기가 날았다.",
    "스마트 제조 공장이 문을 열었다.",
    "Stargate SG-1 returns for a new season on Amazon Prime Video.",
    "The Stargate bridge protocol on LayerZero was exploited for $2 million.",
    "드라마 스타게이트 시즌 2가 공개됐다.",
])
def test_near_misses_and_homonyms_do_not_match(text: str) -> None:
    assert topics_of(text) == ()


def test_ambiguous_alias_needs_context_somewhere_in_the_article() -> None:
    assert topics_of("Stargate is back. Fans cheered the reboot.") == ()
    assert topics_of("Stargate is back. OpenAI confirmed the first site.") == ("stargate",)


def test_bare_injected_mentions_are_ignored_and_flagged() -> None:
    stuffed = ("공장 자동화가 빠르다 딥시크 로봇이 일한다. 기술자들 딥시크 사이에 농담이 있다. 생산 딥시크 효율이 올랐다. "
               "전력 딥시크 비용이 줄었다. 딥시크는 오픈소스 모델을 공개했다.")
    result = match_topics(sentences(stuffed), TOPICS)
    assert result.spam and "stuffing" in (result.spam_reason or "")
    anchored = {h.sentence for h in result.hits if h.topic == "deepseek" and h.how == "alias"}
    assert anchored == {4}


def test_clean_text_with_a_few_bare_mentions_is_not_spam() -> None:
    text = "딥시크 쇼크가 이어졌다. 딥시크는 R1을 공개했다. 딥시크의 비용은 낮다. 딥시크가 주목받는다."
    assert not match_topics(sentences(text), TOPICS).spam


def test_gambling_spam_yields_no_topic() -> None:
    text = "딥시크가 새 모델을 공개했다. 슬롯사이트 추천 카지노사이트 바로가기 토토사이트 안전놀이터."
    result = match_topics(sentences(text), TOPICS)
    assert result.spam and result.topics == ()


def test_passage_carries_the_topic_but_not_into_the_next_unrelated_story() -> None:
    text = ("다크팩토리로 불리는 공장이 늘고 있다. 한 공장은 로봇 300대로 24시간 가동된다. 이 공장에는 5000억 원이 투자됐다. "
            "공장의 생산 효율은 200% 늘었다. 한편 자율주행 택시가 도심을 달린다. 드론택시 운행도 허용됐다. "
            "관광객이 늘었다. 날씨가 맑다.")
    sents = sentences(text)
    hit = {h.sentence for h in match_topics(sents, TOPICS).hits if h.topic == "dark_factory"}
    assert {0, 1, 2, 3} <= hit
    assert not hit & {5, 6, 7}


def test_unknown_topics_file_key_is_refused(tmp_path: Path) -> None:
    from bot.errors import ConfigError

    bad = tmp_path / "t.toml"
    bad.write_text('[topics.x]\nname = "X"\naliases.en = ["x"]\nambiguous = ["y"]\n')
    with pytest.raises(ConfigError, match="ambiguous"):
        load_topics(bad)


@pytest.mark.parametrize("text", [
    "딥 시크가 새 모델을 내놨다.", "ＤｅｅｐＳｅｅｋ released R1.", "DEEPSEEK's model", "스타 게이트 프로젝트",
    "the lights-out\nfactory", "<p>黑灯<br>工厂</p>", "<b>다크</b> 팩토리",
    "<p>Fábrica oscura en México.</p>", "<p>FÁBRICA OSCURA</p>", "<p>Тёмная фабрика открылась</p>",
    "<p>다크&nbsp;팩토리 도입</p>", "<p>&#45796;&#53356; 팩토리</p>", "다크\u200b팩토리",
    "\u1103\u1161\u110f\u1173 \u1111\u1162\u11a8\u1110\u1169\u1105\u1175",  # 다크 팩토리 decomposed (NFD)
])
def test_prefilter_lets_through_every_form_an_alias_matches_in(text: str) -> None:
    import html
    import unicodedata

    from bot.text import Folded
    from bot.topics import may_mention_any

    folded = Folded.of(unicodedata.normalize("NFC", html.unescape(re.sub(r"<[^>]+>", "", text)).replace("\u200b", "")))
    assert any(rule.mentions("aliases", folded) for rule in TOPICS.rules)  # the matcher finds it ...
    assert may_mention_any(text, TOPICS)                                      # ... so the prefilter must let it by


def test_prefilter_reads_article_text_kept_as_json_in_a_script() -> None:
    from bot.topics import may_mention_any

    script = '<script>{"articleBody":"' + "다크 팩토리 도입".encode("unicode_escape").decode() + '"}</script>'
    assert may_mention_any(script, TOPICS)


def test_prefilter_never_drops_a_labelled_on_topic_passage_and_skips_plain_off_topic_pages() -> None:
    from bot.topics import may_mention_any

    rows = [json.loads(line) for line in (ROOT / "tests" / "fixtures" / "topics" / "passages.jsonl")
            .read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(may_mention_any(r["text"], TOPICS) for r in rows if r["topics"])
    assert not may_mention_any("<html><body><p>코스피가 2% 올랐다. The index rose.</p></body></html>", TOPICS)


def test_a_single_story_carries_its_topic_into_every_paragraph() -> None:
    text = ("Kestrel Motors opened a dark factory in Ulsan on Monday.\n\n"
            "The company said the site cost 420 billion won to build.\n\n"
            "Its lines assemble 80,000 gearboxes a year with 30 technicians on call.")
    hit = {h.sentence for h in match_topics(sentences(text), TOPICS).hits if h.topic == "dark_factory"}
    assert hit == {0, 1, 2}


def test_a_turn_of_subject_and_an_exclude_term_stay_out_of_the_story() -> None:
    text = ("OpenAI is building Stargate data centers in Texas.\n\n"
            "The first campus will draw 1.2 gigawatts.\n\n"
            "Separately, MGM said the Stargate SG-1 reboot will cost $100 million per season.\n\n"
            "Meanwhile, a bakery in Lyon sold 4,000 croissants.")
    result = match_topics(sentences(text), TOPICS)
    hit = {h.sentence for h in result.hits if h.topic == "stargate"}
    assert hit == {0, 1}


def test_generic_ai_words_are_no_context_for_an_ambiguous_alias() -> None:
    text = "Stargate, the cross-chain protocol, said its token rose 20% as traders bet on AI coins."
    assert match_topics(sentences(text), TOPICS).topics == ()
    text = "Stargate, the bridge app, said its token rose 20% as traders piled into AI coins."
    assert match_topics(sentences(text), TOPICS).topics == ()


def test_a_long_page_of_summaries_keeps_to_the_paragraphs_that_name_the_topic() -> None:
    other = [f"Firm number {i} reported revenue of {i + 3} billion won this quarter. Its shares rose {i}%."
             for i in range(20)]
    text = "\n\n".join(other[:2] + ["DeepSeek released a model that costs 3 dollars per hour to run."] + other[2:])
    hit = {h.sentence for h in match_topics(sentences(text), TOPICS).hits if h.topic == "deepseek"}
    assert hit == {4}


@pytest.mark.parametrize("text", [
    "The market is split between four rivals: Gemini, Claude, Grok, and DeepSeek.",
    "“챗지피티, 제미나이, 클로드, 딥시크… 무엇을 쓸까”",
])
def test_the_last_item_of_a_list_is_a_passing_mention(text: str) -> None:
    assert match_topics(sentences(text), TOPICS).topics == ()


def test_traditional_script_names_the_topic_too() -> None:
    text = "華南一家電子廠的黑燈工廠去年投產,每年生產200萬台手機。"
    assert "dark_factory" in match_topics(sentences(text), TOPICS).topics


def test_korean_compounds_with_the_alias_are_not_keyword_stuffing() -> None:
    text = ("정부 부처들이 딥시크 접속을 막았다. 국방부는 딥시크 사용을 금지했다. 외교부도 딥시크 이용을 제한했다. "
            "딥시크 앱은 개인정보를 수집한다. 딥시크는 답하지 않았다. 딥시크의 본사는 항저우에 있다.")
    assert not match_topics(sentences(text), TOPICS).spam


def test_two_commas_of_a_long_clause_are_no_list() -> None:
    text = "After the launch last week, analysts said, DeepSeek cut its API prices by 50%."
    assert "deepseek" in match_topics(sentences(text), TOPICS).topics


def test_a_range_of_names_in_the_title_is_a_passing_mention() -> None:
    text = "“챗지피티, 제미나이, 클로드, 딥시크… 무엇을 쓸까”\n\n이 글은 챗봇 여섯 개의 요금과 속도를 비교한다."
    assert match_topics(sentences(text), TOPICS, "챗지피티부터 딥시크까지 한눈에 비교").topics == ()


def test_injected_bare_nouns_with_the_alias_still_read_as_stuffing() -> None:
    text = ("피부 보습 크림 딥시크 앱 신제품이 나왔다. 수분감이 딥시크 서비스 오래간다. 향이 딥시크 모델 은은하다. "
            "가격은 딥시크 투자 3만 원이다. 용량은 딥시크 사용 50ml이다.")
    assert match_topics(sentences(text), TOPICS).spam


def test_a_page_title_comes_from_the_feed_the_html_or_the_text_lines() -> None:
    from bot.topics import page_title
    assert page_title("<html><title>A &amp; B</title></html>", None, "Feed title") == "Feed title"
    assert page_title("<html><head><title>A &amp; B</title></head></html>", None, None) == "A & B"
    assert page_title("<html><body><svg><title>Logo</title></svg></body></html>", "", None) == ""
    assert page_title(None, "Home > News\n\nThe headline\nBy someone\nBody", None) == "Home > News\nThe headline\nBy someone"


def test_related_terms_in_a_title_point_at_a_topic_but_its_excludes_do_not() -> None:
    from bot.config import load_settings
    from bot.topics import related_topics
    options = load_settings().topics
    assert related_topics("Robots take over a tablet factory in Tianjin", options) == ("dark_factory",)
    assert related_topics("Weekend weather: rain and wind", options) == ()


def _on_topic_lines(text: str) -> set[str]:
    sents = sentences(text)
    return {sents[h.sentence].text for h in match_topics(sents, TOPICS).hits}


def test_a_long_post_in_short_lines_on_one_model_is_one_story() -> None:
    lines = ["딥시크의 새 모델 V9 정리"] + [f"{'딥시크의 ' if i % 4 == 0 else ''}V9 관련 메모 {i}: 추론 모델 성능이 좋아졌다"
                                     for i in range(18)] + ["V9 훈련비용 : 원화로 90억 정도"]
    assert "V9 훈련비용 : 원화로 90억 정도" in _on_topic_lines("\n\n".join(lines))


def test_a_long_list_of_other_stories_stays_a_list() -> None:
    lines = ["딥시크가 새 추론 모델을 공개했다."] + [f"{i}번째 소식: 지역 축제에 관광객 {i}만 명이 몰렸다" for i in range(2, 21)]
    assert _on_topic_lines("\n\n".join(lines)) == {"딥시크가 새 추론 모델을 공개했다."}


def test_a_long_list_whose_items_each_carry_a_related_term_stays_a_list() -> None:
    lines = ["딥시크가 새 추론 모델을 공개했다."] + [f"{i}번째 소식: 한 공장이 로봇 생산을 {i}% 늘렸다" for i in range(2, 22)]
    assert _on_topic_lines("\n\n".join(lines)) == {"딥시크가 새 추론 모델을 공개했다."}
