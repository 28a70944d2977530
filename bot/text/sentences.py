"""Sentence splitting for Korean, Chinese, Japanese and Latin-script text.

Rule based: it handles the run-together sentences that scraped Korean pages
are full of (``현실이다.동영상을``), quotes that close after the full stop,
decimals, Latin abbreviations and CJK stops, at a few microseconds per
sentence, so it runs on every paragraph; see the README's design notes for the
comparison with kiwipiepy.
"""

from __future__ import annotations

import re

from ..models import Sentence
from .script import is_cjk, is_hangul

_STOPS = ".!?。！？"
_CLOSERS = "\"'”’」』)]）》〉"
_SECTION_MARK = re.compile(r"^\s*(?:[◇◆■□▶▷●○★☆]|#{1,4}\s|\[[^\]]{2,40}\]$|<[^>]{2,40}>$)")

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co", "corp",
    "no", "fig", "gen", "gov", "sen", "rep", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "approx", "est", "dept", "univ", "e.g", "i.e", "u.s",
    "u.k", "u.n", "a.m", "p.m",
}

_BOUNDARY = re.compile(
    rf"(?P<stop>[{re.escape(_STOPS)}]+|…+|\.\.\.)(?P<close>[{re.escape(_CLOSERS)}]*)(?P<space>\s*)"
)


def _is_boundary(text: str, m: re.Match[str]) -> bool:
    stop, close, space = m.group("stop"), m.group("close"), m.group("space")
    start, end = m.start(), m.end()
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if not after:
        return True
    if stop[0] in "。！？":
        return True
    if stop.startswith("…") or stop == "...":
        return bool(space) and (after.isupper() or is_hangul(after) or is_cjk(after) or after in "\"'“‘")
    if stop == "." and not close:
        if before.isdigit() and after.isdigit():
            return False  # 1.5배
        word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[:start])
        if word:
            w = word.group(1).lower().rstrip(".")
            if w in _ABBREVIATIONS or len(w) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):
                return False  # U.S., Mr., initials
        if before.isdigit() and not space:
            return False  # 1.Numbered or 3.0
    if space:
        return not after.islower()
    # Run-together text: a stop glued to the next sentence.
    if is_hangul(after) or is_cjk(after) or after in "\"'“‘[(":
        return is_hangul(before) or is_cjk(before) or bool(close) or before in ")」』"
    return after.isupper() and (before.islower() or bool(close))


def split_sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        if _is_boundary(paragraph, m):
            piece = paragraph[start:m.end()].strip()
            if piece:
                out.append(piece)
            start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def is_section_heading(line: str) -> bool:
    return bool(_SECTION_MARK.match(line)) and len(line) <= 80


def sentences(text: str) -> list[Sentence]:
    """Split cleaned text into sentences that know their paragraph and section.

    A section starts at a heading line (◇, ■, ## …); a paragraph is a line.
    Topic attribution later works within these passages.
    """
    result: list[Sentence] = []
    section = 0
    for passage, line in enumerate(p for p in text.split("\n") if p.strip()):
        if is_section_heading(line):
            section += 1
        for piece in split_sentences(line):
            result.append(Sentence(text=piece, index=len(result), passage=passage, section=section))
    return result
