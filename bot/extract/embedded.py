"""Article text that a page carries in a script, for pages whose HTML holds no body.

Several large Korean outlets render the article in the browser: the server
sends an empty shell and the text as JSON (Arc XP's ``Fusion.globalContent``
at Chosun Ilbo, a Next.js or React Query payload at Hankook Ilbo, JSON-LD
``articleBody`` elsewhere). trafilatura finds nothing there. This reads the
JSON string fields whose names CMSs use for the body, and only those: a
page's scripts also hold related-article summaries, captions and notices,
which must not become the article.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterable, Iterator

# Field names CMSs give the article body, most specific first. Captions, summaries
# ("description", "basic", "subheadline") and notices are left out on purpose.
BODY_FIELDS = ("articleBody", "article_body", "contentHtml", "content_html", "bodyHtml", "body_html", "content",
               "body")
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_NAMES = frozenset(BODY_FIELDS)
_SPECIFIC = frozenset(BODY_FIELDS) - {"content", "body"}
# Keys whose values are not this article: comment threads, related and recommended stories, rankings.
_NOT_BODY = re.compile(r"comment|repl(?:y|ies)|related|recommend|popular|ranking|most|latest|trending|sidebar|"
                       r"teaser|promo|更多|相关|댓글|관련|추천|인기", re.IGNORECASE)
_SPACES = re.compile(r"\s*")
_MAX_TRIES = 50
_HAS_FIELD = re.compile(r'"(?:' + "|".join(BODY_FIELDS) + r')"\s*:')
_OBJECT_START = re.compile(r"(?:=|\(|\bJSON\.parse\()\s*\{")
_FIELD = re.compile(r'"(' + "|".join(BODY_FIELDS) + r')"\s*:\s*"((?:[^"\\]|\\.){20,})"', re.DOTALL)
_BLOCK = re.compile(r"<(?:br|/p|p|/div|div|/h\d|h\d|/li|li)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile(r"\$\$[A-Z0-9_]+\$\$|\{\{\s*[A-Za-z0-9_.]+\s*\}\}|%%[A-Z0-9_]+%%")
_SENTENCE_END = re.compile(r"(?:[다요]|[.!?。！？])[\"'”’)]*(?:\s|$)")


def embedded_article_lines(page: str, min_chars: int = 80) -> list[str]:
    """Lines of the article body found in the page's scripts, or [] when there is none to trust.

    Scripts are read as JSON where they assign or pass an object (``x = {…}``,
    ``push({…})``, JSON-LD): the first object holding a body field with at
    least ``min_chars`` of prose wins, and within it the field's shallowest
    occurrences, in page order. Anything under a key that names comments,
    replies or related, recommended or popular stories is skipped, and so are
    related stories nested deeper or cached in a later script. Scripts that
    are not plain JSON fall back to the string literals of the fields only
    an article body is given (``articleBody``, ``contentHtml`` …), never the
    generic ``content`` or ``body``.
    """
    scripts = [s for s in _SCRIPT.findall(page) if _HAS_FIELD.search(s)]
    for script in scripts:
        for obj in _objects(script):
            lines = _body_of(obj, min_chars)
            if lines:
                return lines
    found: dict[str, list[str]] = {}
    for script in scripts:
        for name, raw in _FIELD.findall(script):
            text = _decode(raw)
            if name in _SPECIFIC and text and _SENTENCE_END.search(text):
                found.setdefault(name, []).append(text)
    for name in BODY_FIELDS:
        lines = _lines(found.get(name, ()))
        if sum(len(ln) for ln in lines) >= min_chars:
            return lines
    return []


def _objects(script: str) -> Iterator[object]:
    """JSON values the script assigns or passes; at most a few dozen tries, so a long script of
    code (where most ``= {`` are not JSON) costs little."""
    decoder = json.JSONDecoder()
    starts = [0] if script.lstrip()[:1] in ("{", "[") else []
    starts += [m.end() - 1 for m, _ in zip(_OBJECT_START.finditer(script), range(_MAX_TRIES), strict=False)]
    for start in starts:
        try:
            obj, _ = decoder.raw_decode(script, _SPACES.match(script, start).end())
        except ValueError:
            continue
        yield obj


def _body_of(obj: object, min_chars: int) -> list[str]:
    """The prose of the most specific body field in a decoded object, at its shallowest depth."""
    found: dict[str, list[tuple[int, str]]] = {}
    stack: list[tuple[object, int]] = [(obj, 0)]
    while stack:  # depth first, in document order
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = []
            for key, value in node.items():
                if key in _NAMES and isinstance(value, str):
                    found.setdefault(key, []).append((depth, value))
                elif isinstance(value, (dict, list)) and not _NOT_BODY.search(key):
                    children.append((value, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in reversed(node))
    for name in BODY_FIELDS:
        values = found.get(name, [])
        if not values:
            continue
        top = min(d for d, _ in values)
        texts = [t for t in (_clean(v) for d, v in values if d == top) if t and _SENTENCE_END.search(t)]
        lines = _lines(texts)
        if sum(len(ln) for ln in lines) >= min_chars:
            return lines
    return []


def _lines(texts: Iterable[str]) -> list[str]:
    lines = [ln.strip() for t in dict.fromkeys(texts) for ln in t.splitlines()]
    return [ln for ln in lines if ln]


def _decode(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return ""
    return _clean(value)


def _clean(value: str) -> str:
    """Tags out (block tags become line breaks), entities and template placeholders gone."""
    if value.startswith(("http://", "https://", "/")) and " " not in value:
        return ""
    text = _TAG.sub("", _BLOCK.sub("\n", value))
    return _PLACEHOLDER.sub("", html_lib.unescape(text)).strip()
