"""Each seed as plain text, as naive HTML (a <p> per line), as a light realistic page (ranking in
<aside>, comments in <div id="comments">, <nav>, <footer>) and as a page of real news-site weight
(mega-menu, ticker, boxes, ad scripts, site-map footer): no boilerplate left, no body lost."""

from __future__ import annotations

import json
import re

import pytest

from bench.pages import naive_html, news_site_html, realistic_html
from bot.extract import ExtractOptions, extract
from bot.models import Document

from .conftest import SEEDS

GOLD = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
FORMS = {
    "text": lambda text: Document(url="https://x.example/a", text=text),
    "naive-html": lambda text: Document(url="https://x.example/a", html=naive_html(text)),
    "realistic-html": lambda text: Document(url="https://x.example/a", html=realistic_html(text)),
    "news-site-html": lambda text: Document(url="https://x.example/a", html=news_site_html(text, url="https://x.example/a")),
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("seed", sorted(GOLD))
def test_no_boilerplate_and_no_lost_sentence(seed: str, form: str) -> None:
    gold = GOLD[seed]
    text = squash(extract(FORMS[form]((SEEDS / seed).read_text(encoding="utf-8")), ExtractOptions()).text)
    assert [b for b in gold["boilerplate"] if squash(b) in text] == []
    body = gold["keep"] + [s for t in gold["topics"].values() for s in t["required"] + t["allowed"]]
    assert [s for s in body if squash(s) not in text] == []
    if form == "realistic-html":
        assert "많이본뉴스" not in text and "정말놀랍네요" not in text and "무단전재" not in text
    if form == "news-site-html":
        assert not [w for w in ("본문바로가기", "많이본뉴스", "최신기사", "포토뉴스", "속보", "패밀리사이트", "무단전재", "공유하기",
                                "대표전화", "googletag", "좋은기사감사합니다") if w in text]
