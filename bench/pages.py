"""News pages built from the seed documents, for the benchmarks and the HTML quality tests.

Two weights. ``realistic_html`` is a light page (about 5 KB): a <nav>, the
body in <article>, a ranking list in <aside>, comments in <div id="comments">,
a <footer>. ``news_site_html`` is a page as heavy as real Korean news sites
serve them. Measured on 13 article pages of six outlets (mk.co.kr, Hankook
Ilbo, Naver News, Chosun, Donga, Yonhap TV; saved in the test fixtures of
public scraper projects such as flairNLP/fundus and goose3): median 118 KB of
HTML (69-382 KB), about 210 links (130-442 on server-rendered pages), about 43
<script> tags (21-118) and 16-40 <meta> tags. This one has a full head, a
mega-menu, a breaking-news ticker, ranking, latest, photo and related-article
boxes, ad slots with inline scripts, comments and a site-map footer.

Variants change numbers and paragraph order so no two pages are identical.
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


_WORDS = ("정부", "시장", "기업", "투자", "금리", "부동산", "주가", "반도체", "수출", "물가", "선거", "국회", "법원",
          "날씨", "축구", "야구", "배우", "가수", "여행", "건강", "교육", "아파트", "전세", "환율", "유가", "증시")
_SECTIONS = ("정치", "경제", "사회", "국제", "IT·과학", "문화", "연예", "스포츠", "오피니언", "부동산", "증권", "라이프")


def _headline(rng: random.Random) -> str:
    a, b, c = rng.sample(_WORDS, 3)
    return f"{a} {b}…'{c}' {rng.choice(('논란', '급등', '급락', '전망', '비상', '첫 공개', '돌파'))}"


_ICON = ("<svg class='ico' width='16' height='16' viewBox='0 0 16 16' aria-hidden='true'><path d='M2 2h12v2H2zm0 5h12v2H2z"
         "m0 5h8v2H2z' fill='currentColor'/><circle cx='13' cy='13' r='2' fill='currentColor'/></svg>")


def _links(rng: random.Random, n: int, path: str, *, image: bool = False) -> str:
    items = []
    for _ in range(n):
        num = rng.randint(10_000_000, 99_999_999)
        img = f"<div class='thumb'><img src='https://img.bench.example/{num}.jpg' alt='' width='120' height='80' " \
            "loading='lazy'></div>" if image else ""
        items.append(f"<li class='item'><div class='item-wrap' data-id='{num}' data-section='{path}'>"
                     f"<a href='https://bench.example/{path}/{num}?ref=box' class='link' data-track='{path}-{num}'>"
                     f"{img}<div class='txt'><strong class='tit'>"
                     f"{html.escape(_headline(rng))}</strong></div></a>{_ICON}</div></li>")
    return "<ul class='list'>" + "".join(items) + "</ul>"


def _script(rng: random.Random, lines: int) -> str:
    """Inline code the size and shape of the ad, analytics and widget scripts news pages carry."""
    body = "".join(f"window.__slot{rng.randint(0, 9999)}=window.__slot{rng.randint(0, 9999)}||[];"
                   f"googletag.cmd.push(function(){{googletag.defineSlot('/2{rng.randint(1000, 9999)}/pc_art_"
                   f"{rng.randint(1, 99)}',[[300,250],[336,280]],'div-gpt-{rng.randint(0, 99999)}')"
                   f".addService(googletag.pubads());}});\n" for _ in range(lines))
    return f"<script type='text/javascript'>{body}</script>"


def news_site_html(text: str, title: str = "기사", seed: int = 0, url: str = "https://bench.example/a") -> str:
    """A page as heavy as real Korean news sites serve (see the module docstring), around ``text``."""
    rng = random.Random(seed)
    e = html.escape
    metas = "".join(f"<meta property='og:{k}' content='{e(v)}'>" for k, v in (
        ("type", "article"), ("site_name", "벤치일보"), ("title", title), ("url", url),
        ("image", "https://img.bench.example/og.jpg"), ("description", text[:150]))) + \
        "".join(f"<meta name='twitter:{k}' content='{e(v)}'>" for k, v in (
            ("card", "summary_large_image"), ("title", title), ("description", text[:150]), ("site", "@bench"))) + \
        "".join(f"<meta name='{k}' content='{e(v)}'>" for k, v in (
            ("description", text[:150]), ("keywords", ", ".join(rng.sample(_WORDS, 8))), ("author", "벤치일보"),
            ("robots", "max-image-preview:large"), ("viewport", "width=device-width,initial-scale=1"),
            ("format-detection", "telephone=no"), ("referrer", "no-referrer-when-downgrade"))) + \
        "".join(f"<meta property='article:{k}' content='{v}'>" for k, v in (
            ("section", "경제"), ("published_time", "2025-02-07T09:00:00+09:00"),
            ("modified_time", "2025-02-07T10:30:00+09:00"))) + \
        "".join(f"<meta name='dable:{k}' content='{i}'>" for i, k in enumerate(("item_id", "author", "image")))
    head = ("<!doctype html><html lang='ko'><head><meta charset='utf-8'>"
            f"<title>{e(title)} | 벤치일보</title>{metas}"
            + "".join(f"<link rel='stylesheet' href='https://static.bench.example/css/{n}.css?v=20250207'>"
                      for n in ("common", "layout", "article", "swiper", "print"))
            + f"<link rel='canonical' href='{e(url)}'>"
            + "".join(f"<script src='https://static.bench.example/js/{n}.js' defer></script>"
                      for n in ("jquery", "swiper", "common", "article", "ads", "analytics", "share", "comment"))
            + "".join(_script(rng, 6) for _ in range(4))
            + "<script type='application/ld+json'>{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\","
            f"\"headline\":\"{e(title)}\",\"datePublished\":\"2025-02-07T09:00:00+09:00\"}}</script></head>")
    menu = "".join(f"<li class='gnb-item'><a href='https://bench.example/{i}'>{s}</a><div class='sub'>"
                   + _links(rng, 7, f"section{i}") + "</div></li>" for i, s in enumerate(_SECTIONS))
    header = (f"<header id='header'><div class='util'><a href='#content' class='skip'>본문 바로가기</a>"
              "<a href='/login'>로그인</a><a href='/join'>회원가입</a><a href='/subscribe'>구독신청</a></div>"
              f"<h1 class='logo'><a href='/'>벤치일보</a></h1><nav id='gnb'><ul>{menu}</ul></nav>"
              f"<div class='ticker'><strong>속보</strong>{_links(rng, 5, 'breaking')}</div></header>")
    ad = "".join(f"<div class='ad' id='div-gpt-{rng.randint(0, 99999)}'>{_script(rng, 2)}</div>" for _ in range(3))
    paragraphs = "".join(f"<p>{e(line)}</p>" for line in text.splitlines() if line.strip())
    article = (f"<div id='container'><main id='content'><article class='article'><div class='art-head'>"
               f"<h2 class='headline'>{e(title)}</h2><div class='byline'>입력 2025.02.07 09:00 · 수정 2025.02.07 10:30"
               "</div><div class='share'><button>공유하기</button><button>인쇄</button><button>글자크기</button>"
               f"</div></div><div class='art-body' itemprop='articleBody'>{paragraphs}</div>{ad}</article>"
               f"<section class='related'><h3>관련기사</h3>{_links(rng, 6, 'related')}</section>"
               f"<section class='recommend'><h3>추천 기사</h3>{_links(rng, 12, 'recommend', image=True)}</section>"
               "<div id='comments'><h3>댓글 (3)</h3><ul><li>좋은 기사 감사합니다</li><li>이게 사실인가요?</li>"
               "<li>계속 지켜봐야겠네요</li></ul><p>저작권 등 다른 사람의 권리를 침해하는 댓글은 삭제됩니다.</p></div></main>")
    aside = ("<aside id='aside'>"
             f"<section class='ranking'><h3>많이 본 뉴스</h3>{_links(rng, 10, 'rank')}</section>"
             f"<section class='latest'><h3>최신기사</h3>{_links(rng, 10, 'latest')}</section>"
             f"<section class='photo'><h3>포토뉴스</h3>{_links(rng, 10, 'photo', image=True)}</section>"
             + "".join(f"<div class='ad'>{_script(rng, 2)}</div>" for _ in range(8)) + "</aside></div>")
    footer = ("<footer id='footer'><div class='sitemap'>"
              + "".join(f"<dl><dt>{s}</dt><dd>{_links(rng, 5, f'map{i}')}</dd></dl>" for i, s in enumerate(_SECTIONS))
              + "</div><select class='family'>" + "".join(f"<option value='{i}'>패밀리사이트 {i}</option>"
                                                         for i in range(20))
              + "</select><p>서울특별시 중구 세종대로 1 · 대표전화 02-000-0000 · 등록번호 서울 아00000</p>"
              "<p>ⓒ 벤치일보 무단전재 및 재배포 금지</p></footer>")
    tail = "".join(_script(rng, 4) for _ in range(14))
    return f"{head}<body>{header}{article}{aside}{footer}{tail}</body></html>"


def naive_html(text: str) -> str:
    return "<html><body>" + "".join(f"<p>{html.escape(ln)}</p>" for ln in text.splitlines()) + "</body></html>"


def variant(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    body = [ln for ln in lines if len(ln) > 40]
    rng.shuffle(body)
    shifted = [ln.replace("0", str(rng.randint(1, 9)), 1) for ln in body]
    return "\n".join(lines[:3] + shifted)


def pages(n: int = 100, seed: int = 7, *, weight: str = "news-site", on_topic_every: int = 0) -> list[tuple[str, str]]:
    """``n`` (url, html) pairs; ``weight`` is "news-site" (real pages' weight) or "light".

    By default the seeds take turns (4 in 5 pages on a topic). ``on_topic_every=20`` makes one page
    in twenty an on-topic seed and the rest the off-topic one, as in a general news feed."""
    rng = random.Random(seed)
    texts = seed_texts()
    on_topic = [t for t in texts if not t[0].startswith("004")]
    off_topic = [t for t in texts if t[0].startswith("004")]
    out = []
    for i in range(n):
        if on_topic_every:
            name, text = on_topic[(i // on_topic_every) % len(on_topic)] if i % on_topic_every == 0 \
                else off_topic[i % len(off_topic)]
        else:
            name, text = texts[i % len(texts)]
        body = variant(text, rng)
        url = f"https://bench.example/{i}/{name}"
        page = news_site_html(body, f"기사 {i}", i, url) if weight == "news-site" else realistic_html(body, f"기사 {i}")
        out.append((url, page))
    return out
