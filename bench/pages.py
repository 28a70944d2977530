"""Realistic news pages built from the seed documents, for the benchmarks and the HTML quality tests.

Each seed becomes an article page the way Korean news sites lay them out: a
<nav>, the body in <article>, a ranking list in <aside>, comments in
<div id="comments">, a <footer>. Variants change numbers and paragraph order so
no two pages are identical.
"""

from __future__ import annotations

import html
import random
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

NAV = "<nav><ul><li><a href='/'>홈</a></li><li><a href='/economy'>경제</a></li><li><a href='/it'>IT·과학</a></li>" \
      "<li><a href='/world'>국제</a></li></ul></nav>"
ASIDE = "<aside class='ranking'><h3>많이 본 뉴스</h3><ol>" + "".join(
    f"<li><a href='/n/{i}'>인기 기사 제목 {i}번…'이 종목'에 몰렸다</a></li>" for i in range(1, 11)) + "</ol></aside>"
COMMENTS = "<div id='comments'><h3>댓글 (2)</h3><ul><li>정말 놀랍네요 ㅎㅎ</li><li>이게 사실인가요?</li></ul>" \
           "<p>저작권 등 다른 사람의 권리를 침해하는 댓글은 삭제됩니다.</p></div>"
FOOTER = "<footer><p>ⓒ 테스트일보 무단전재 및 재배포 금지</p><p>서울시 중구 세종대로 1</p></footer>"


def seed_texts() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def realistic_html(text: str, title: str = "기사") -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return (f"<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body>{NAV}<main><article><h1>{html.escape(title)}</h1>{paragraphs}</article>{ASIDE}</main>"
            f"{COMMENTS}{FOOTER}</body></html>")


def naive_html(text: str) -> str:
    return "<html><body>" + "".join(f"<p>{html.escape(ln)}</p>" for ln in text.splitlines()) + "</body></html>"


def variant(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    body = [ln for ln in lines if len(ln) > 40]
    rng.shuffle(body)
    shifted = [ln.replace("0", str(rng.randint(1, 9)), 1) for ln in body]
    return "\n".join(lines[:3] + shifted)


def pages(n: int = 100, seed: int = 7) -> list[tuple[str, str]]:
    """``n`` (url, html) pairs."""
    rng = random.Random(seed)
    texts = seed_texts()
    out = []
    for i in range(n):
        name, text = texts[i % len(texts)]
        out.append((f"https://bench.example/{i}/{name}", realistic_html(variant(text, rng), f"기사 {i}")))
    return out
