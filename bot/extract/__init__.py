"""HTML or text in, a clean Article out: trafilatura first, then the Korean-aware cleaner.

trafilatura is configured deliberately: comments off (its default keeps them),
no dedup cache (its cache is process-global and silently eats paragraphs when
a page is extracted twice), tables kept, metadata on. Whatever it returns, and
any plain-text input, then goes through ``clean.clean_lines``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import courlan
import lxml.html
import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params, use_config

from ..errors import ExtractError
from ..models import Article, Document
from .clean import CleanOptions, clean_lines, is_body_like
from .dates import parse_date, parse_dateline
from .embedded import embedded_article_lines

__all__ = ["ExtractOptions", "canonical_url", "extract", "looks_like_html", "parse_date"]

_HTML_HINT = re.compile(r"^\s*(?:<!doctype html|<html|<\?xml[^>]*>\s*<html|<head|<body|<meta|<div|<p[\s>])", re.IGNORECASE)
# Below MIN_EXTRACTED_SIZE characters trafilatura swaps its clean result for a dump of the whole
# <article> element in one line (dateline, share buttons and all) when the dump is longer. A short
# news item (two or three sentences) is shorter than its default 250; at 100 the swap still rescues
# pages it found next to nothing on, and F1 on its evaluation set stays above the default (README).
_TRAFILATURA_CONFIG = use_config()
_TRAFILATURA_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "100")
# trafilatura asks htmldate for the day only ("%Y-%m-%d"): 13:00+09:00 came out as midnight. Asking
# for the time and zone keeps them; a page that gives only a day still yields midnight in its zone.
_DATE_PARAMS = {**set_date_params(False), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
_SHORT_BODY = 300  # characters: less than a short news item, so the page may be a script-rendered shell
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "header",
               "footer", "aside", "nav", "blockquote", "dd", "dt", "pre", "figcaption", "td"}


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))
    clean: CleanOptions = CleanOptions()                                             # plain-text input
    clean_html: CleanOptions = CleanOptions(trim_edges=False, dedup_min_chars=30)    # after trafilatura
    include_tables: bool = True
    favor_recall: bool = False


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.match(text[:2000])) or text.count("</p>") + text.count("</div>") >= 2


def extract(doc: Document, options: ExtractOptions) -> Article:
    if doc.html is not None:
        lines, meta = _from_html(doc, options)
    elif doc.text is not None:
        lines, meta = doc.text.splitlines(), {}
    else:
        raise ExtractError(doc.url, "the document has neither html nor text", "give it one of the two")

    clean_options = options.clean_html if doc.html is not None else options.clean
    cleaned = clean_lines(lines, clean_options, title=doc.title or meta.get("title"))
    published = doc.published or parse_date(meta.get("date"), options.timezone)
    if published is None:
        published = next((d for d in (parse_dateline(x, options.timezone) for x in cleaned.datelines) if d), None)
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=options.timezone)
    return Article(
        url=doc.url,
        title=cleaned.title,
        published=published,
        outlet=doc.source or meta.get("sitename") or _host(doc.url),
        author=meta.get("author") or cleaned.author,
        text="\n".join(cleaned.lines),
        removed=tuple(cleaned.removed),
        canonical=meta.get("url") if same_site(meta.get("url"), doc.url) else None,
    )


def _from_html(doc: Document, options: ExtractOptions) -> tuple[list[str], dict[str, str | None]]:
    html = doc.html or ""
    if not html.strip():
        raise ExtractError(doc.url, "the page is empty", "check that the URL serves an article")
    url = doc.url if doc.url.startswith("http") else None
    try:
        result = trafilatura.bare_extraction(
            html,
            url=url,
            # Off. On and dropped is 13 % faster on heavy pages, but then its short-page rescue and a
            # second comment section read comments back into the body; pruning them ourselves first
            # costs what "off" costs (measured: bench/pipeline.py).
            include_comments=False,
            deduplicate=False,
            include_tables=options.include_tables,
            favor_recall=options.favor_recall,
            config=_TRAFILATURA_CONFIG,
        )
    except Exception as exc:  # trafilatura/lxml raise assorted errors on broken markup
        result, error = None, exc
    else:
        error = None
    meta = _metadata(html, url)
    text = (result.text or "").strip() if result is not None else ""
    prose = sum(len(ln) for ln in text.splitlines() if is_body_like(ln, options.clean_html))
    if prose < _SHORT_BODY:
        # A shell rendered in the browser (menus, no sentences): the body may sit in a script as JSON.
        embedded = embedded_article_lines(html)
        if sum(len(ln) for ln in embedded) > 2 * prose:
            return embedded, meta
    if text:
        meta["title"] = meta.get("title") or (result.title if result is not None else None)
        return text.splitlines(), meta
    lines = _plain_text_of(html)
    if not lines:
        detail = f" ({type(error).__name__})" if error else ""
        raise ExtractError(doc.url, f"no text could be extracted from the page{detail}",
                           "the page may be a script-only app or not an article")
    return lines, meta


def _metadata(html: str, url: str | None) -> dict[str, str | None]:
    """trafilatura's metadata (title, date, author, site name), read from the <head> only.

    Run on the whole page its date search walks the body too and triples the
    cost of extraction; the dates and names it needs live in the head.
    """
    end = _HEAD_END.search(html)  # stops at the head, where html.lower() would copy the whole page
    head = html[: end.end()] + "<body></body></html>" if end else html[:20_000]
    try:
        tree = lxml.html.fromstring(head)
        meta = extract_metadata(tree, default_url=url, date_config=_DATE_PARAMS, extensive=False)
    except Exception:  # metadata is a bonus; a broken head must not lose the article
        return {}
    return {"title": meta.title, "date": meta.date, "author": meta.author, "sitename": meta.sitename, "url": meta.url}


def _plain_text_of(html: str) -> list[str]:
    """Fallback for markup trafilatura gives up on: one line per block element."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return [ln for ln in re.sub(r"<[^>]+>", "\n", html).splitlines() if ln.strip()]
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() == "br":
                continue
            el.text = "\n" + (el.text or "")
    return [ln.strip() for ln in root.text_content().splitlines() if ln.strip()]


_MOBILE_PREFIX = re.compile(r"^(?:www|m|mobile|amp)\.")


def _site(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url and "://" in url else None
    return _MOBILE_PREFIX.sub("", host) if host else None


def same_site(declared: str | None, url: str) -> bool:
    """A canonical link is trusted only for the page's own site (m. and amp. variants folded),
    so no page can claim another outlet's article and have it skipped."""
    return bool(declared) and declared.startswith(("http://", "https://")) and _site(declared) == _site(url)


def canonical_url(url: str, declared: str | None = None) -> str:
    """One key per article: the page's canonical link when it names the same site, else its URL;
    tracking parameters and fragments gone, host lower-cased.

    courlan's non-strict mode keeps parameters that identify the article (idxno,
    aid, no), which its strict mode would drop and so merge different articles.
    """
    if declared and same_site(declared, url):
        url = declared
    if not url.startswith(("http://", "https://")):
        return url
    try:
        return courlan.normalize_url(url)
    except (ValueError, TypeError):
        return url


def _host(url: str) -> str | None:
    host = urlsplit(url).hostname if "://" in url else None
    return host.removeprefix("www.") if host else None


