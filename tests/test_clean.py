"""The cleaner and the extractor on pages written here, not taken from the seeds: each boilerplate
shape goes, the body stays, and a page rendered in the browser still yields its article."""

from __future__ import annotations

import json
import re

import pytest

from bench.pages import news_site_html
from bot.extract import ExtractOptions, extract
from bot.extract.clean import CleanOptions, clean_lines
from bot.extract.embedded import embedded_article_lines
from bot.models import Document

BODY = [
    "한 배터리 업체가 충남 아산에 1조2000억 원을 들여 새 공장을 짓는다고 14일 밝혔다.",
    "회사는 2027년까지 연간 20GWh 규모의 생산 능력을 갖출 계획이라고 설명했다.",
    "업계에서는 이번 투자가 국내 공급망 재편의 신호탄이 될 것이라는 분석이 나온다.",
]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("junk", "kind"), [
    (["가장 많이 읽은 기사", "1 환율 급등에 수입물가 비상", "2 '이 종목' 외국인 쓸어담았다", "3 전세 사기 또…",
      "4 새 학기 교복값 논란", "5 한파 특보 확대"], "ranking list"),
    (["이 시각 주요뉴스", "금리 동결 가능성 커졌다", "프로야구 개막전 매진", "올해 첫 황사 온다"], "latest list"),
    (["댓글 3", "로그인 후 댓글을 남길 수 있습니다.", "욕설이나 비방, 명예훼손성 댓글은 관리자에 의해 삭제될 수 있습니다."],
     "comments and their rules"),
    (["페이스북 공유 트위터 공유 카카오톡 공유 URL 복사"], "share row"),
    (["글자크기 작게 글자크기 크게"], "font-size control"),
    (["Copyright © 가나다경제 All rights reserved. 무단 전재 및 재배포, AI 학습 이용 금지"], "copyright"),
    (["사진=가나다전자 제공"], "photo credit"),
    (["새 공장 조감도를 관계자들이 살펴보고 있다. 연합뉴스"], "caption with an agency credit"),
    (["입력 2025.03.14 09:12 수정 2025.03.14 10:40"], "dateline"),
    (["▲ 홍길동 대표가 5일 서울 여의도에서 열린 기자간담회에서 발언하고 있다."], "caption with a triangle"),
    (["댓글 2", "정부 정책은 결국 실패할 것이라고 본다. 세금만 낭비하는 일이 될 것이다.", "기자님 힘내세요 응원합니다"],
     "comments that read like sentences"),
    (["홍길동 기자 외 2명"], "byline of several reporters"),
    (["기사 URL이 복사되었습니다."], "copy-link notice"),
    (["gildong@news.example.com"], "reporter's e-mail alone"),
    (["(끝)"], "end mark"), (["<끝>"], "end mark"), (["(END)"], "end mark"),
    (["가나다뉴스 기사문의 및 제보 : 카톡/라인 abc123"], "tip line"),
    (["#배터리 #공장 #아산 #투자"], "hashtags"),
])
def test_each_boilerplate_shape_goes_and_the_body_stays(junk: list[str], kind: str) -> None:
    # Comments follow the article; every other shape may sit before, inside or after it.
    orders = [BODY + junk] if kind.startswith("comments") else [junk + BODY, BODY[:2] + junk + BODY[2:], BODY + junk]
    for lines in orders:
        cleaned = clean_lines(lines, CleanOptions(trim_edges=False))
        text = squash("\n".join(cleaned.lines))
        assert [j for j in junk if squash(j) in text] == [], kind
        assert [b for b in BODY if squash(b) not in text] == [], kind


def test_a_body_printed_twice_comes_out_once() -> None:
    cleaned = clean_lines(BODY + ["관련 영상 보기"] + BODY, CleanOptions())
    assert [squash("\n".join(cleaned.lines)).count(squash(b)) for b in BODY] == [1, 1, 1]


@pytest.mark.parametrize("line", [
    "정부는 포털 뉴스의 악성 댓글을 줄이기 위해 실명 확인 제도를 다시 검토하겠다고 15일 밝혔다.",
    "검찰은 유튜버 A씨를 명예훼손 혐의로 불구속 기소했으며 피해자 측은 악성 댓글에 대한 손해배상도 청구한 것으로 전해졌습니다.",
    "Meta updated its comment policy on Tuesday, saying posts that insult public officials will be hidden.",
    "该公司发言人拒绝就星际之门项目的最新进展以及融资安排发表评论，但表示将在下月公布更多细节。",
])
def test_a_sentence_about_comments_is_body_not_comment_policy(line: str) -> None:
    assert line in clean_lines(BODY + [line], CleanOptions()).lines


def test_a_news_site_weight_page_loses_its_chrome_and_keeps_the_body() -> None:
    page = news_site_html("\n".join(BODY), "배터리 공장 새로 짓는다", seed=3, url="https://news.example/a/1")
    article = extract(Document(url="https://news.example/a/1", html=page), ExtractOptions())
    text = squash(article.text)
    assert [b for b in BODY if squash(b) not in text] == []
    for chrome in ("본문바로가기", "많이본뉴스", "최신기사", "포토뉴스", "속보", "패밀리사이트", "무단전재", "공유하기", "대표전화"):
        assert chrome not in text
    assert article.outlet == "벤치일보" and article.canonical == "https://news.example/a/1"


def _shell(script: str) -> str:
    """A page rendered in the browser: navigation and an empty article container."""
    nav = "".join(f"<li><a href='/s/{i}'>섹션 {i}</a></li>" for i in range(30))
    return (f"<html><head><title>배터리 공장 새로 짓는다</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<div id='app'></div><script>{script}</script></body></html>")


@pytest.mark.parametrize("script", [
    # Arc XP style: paragraphs as content elements, beside related stories' summaries.
    "window.Fusion={};Fusion.globalContent=" + json.dumps({
        "content_elements": [{"type": "text", "content": b} for b in BODY],
        "related": [{"basic": "다른 기사 요약입니다. 전혀 다른 내용을 다룬 기사로 본문이 아니다. " * 3,
                     "content_elements": [{"content": "다른 기사 본문이다. 전혀 다른 사건을 다룬 기사다. " * 3}]}]},
        ensure_ascii=False) + ";",
    # A React Query / Next.js payload with the body as escaped HTML.
    "self.__data.push(" + json.dumps({"detail": {"contentHtml": "".join(f"<p>{b}</p>" for b in BODY)}}) + ")",
    # JSON-LD written into a script by the page's own code.
    "var ld=" + json.dumps({"@type": "NewsArticle", "articleBody": " ".join(BODY)}, ensure_ascii=False),
])
def test_a_page_rendered_in_the_browser_yields_the_article_in_its_script(script: str) -> None:
    article = extract(Document(url="https://news.example/a/2", html=_shell(script)), ExtractOptions())
    text = squash(article.text)
    assert [b for b in BODY if squash(b) not in text] == []
    assert "다른기사" not in text and "섹션1" not in text


@pytest.mark.parametrize("comments", [
    "<div id='comments'><h3>댓글 (2)</h3><ul><li>정말 놀랍네요 대박 사건이다</li><li>이게 사실인가요 믿기지 않는다</li></ul></div>",
    "<ul class='comments'><li>위젯 댓글입니다 정말 한심하다</li><li>기자님 힘내세요 응원합니다</li></ul>",
    "<div class='comment-list'><p>리스트형 댓글 첫 번째 글이다</p></div>",
])
@pytest.mark.parametrize("paragraphs", [1, 3])
def test_reader_comments_stay_out_of_short_and_long_articles(comments: str, paragraphs: int) -> None:
    body = "".join(f"<p>{b}</p>" for b in BODY[:paragraphs])
    page = f"<html><body><article><h1>제목</h1>{body}</article>{comments}<footer>ⓒ 뉴스</footer></body></html>"
    text = squash(extract(Document(url="https://news.example/a/4", html=page), ExtractOptions()).text)
    assert squash(BODY[0]) in text
    assert not [w for w in ("놀랍네요", "사실인가요", "위젯댓글", "힘내세요", "리스트형") if w in text]


def test_reader_comments_kept_in_a_script_never_replace_the_article() -> None:
    comments = {"comments": [{"content": f"{i}번째 댓글이다. 기사 내용에 동의하지 않는다는 의견이다."} for i in range(3)]}
    page = ("<html><body><article>" + "".join(f"<p>{b}</p>" for b in BODY[:2]) + "</article>"
            f"<script>window.cmtData={json.dumps(comments, ensure_ascii=False)};</script></body></html>")
    text = squash(extract(Document(url="https://news.example/a/3", html=page), ExtractOptions()).text)
    assert squash(BODY[0]) in text and "댓글이다" not in text


def test_a_huge_script_of_code_costs_a_bounded_number_of_json_tries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of "= {" that are not JSON: a bounded number of decode tries, not one per match."""
    tries = []
    real = json.JSONDecoder.raw_decode
    monkeypatch.setattr(json.JSONDecoder, "raw_decode", lambda self, s, idx=0: tries.append(idx) or real(self, s, idx))
    embedded_article_lines("<script>" + "var a = {x: 1};" * 50_000 + '{"content": "x"}</script>')
    assert 0 < len(tries) <= 100


def test_script_text_is_not_taken_when_no_body_field_holds_prose() -> None:
    page = _shell("var x=" + json.dumps({"description": " ".join(BODY), "content": "/img/a.jpg"}, ensure_ascii=False))
    assert embedded_article_lines(page) == []


def test_subheads_above_the_body_stay_and_navigation_goes() -> None:
    lines = ["홈 > 산업 > 배터리", "배터리 업체, 아산에 새 공장 짓는다", "아산 새 공장에 1조2000억 원 투자",
             "2027년까지 연간 20GWh 생산 능력"] + BODY
    cleaned = clean_lines(lines, CleanOptions(), title="배터리 업체, 아산에 새 공장 짓는다")
    assert cleaned.lines[:2] == ["아산 새 공장에 1조2000억 원 투자", "2027년까지 연간 20GWh 생산 능력"]
    assert "홈 > 산업 > 배터리" not in cleaned.lines


def test_a_bulleted_list_of_figures_after_the_body_is_the_articles_own() -> None:
    facts = ["가장 큰 공장 세 곳", "- 아산 공장: 로봇 420대, 연간 30만 대", "- 울산 공장: 면적 5만㎡, 인력 12명",
             "- 구미 공장: 불량률 0.01%, 2026년 가동"]
    cleaned = clean_lines(BODY + facts, CleanOptions())
    assert all(f in cleaned.lines for f in facts[1:])
    related = ["관련 기사", "- 2차전지 업계 1분기 실적 발표 3곳 중 2곳 적자", "- 배터리 공장 화재 5건", "- 로봇 수출 10% 늘어"]
    cleaned = clean_lines(BODY + related, CleanOptions())
    assert not set(related) & set(cleaned.lines)
