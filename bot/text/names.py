"""Names in a sentence: Latin-script names and short quoted names, as written (case-folded)."""

from __future__ import annotations

import re

from .script import normalize

_LATIN_NAME = re.compile(r"(?<![A-Za-z])(?:[A-Z][A-Za-z0-9&.\-]*[A-Z0-9][A-Za-z0-9\-]*|[A-Z][a-z]+(?:[A-Z][a-z0-9]+)*"
                         r"(?:\s+[A-Z][a-z]+(?:[A-Z][a-z0-9]+)*)+)")
# A capitalised word that opens a sentence is not part of the name after it ("The DeepSeek team").
_OPENER = re.compile(r"^(?:the|a|an|this|that|these|in|on|at|by|for|but|and|as|if|when|after|while|with)\s+",
                     re.IGNORECASE)
_QUOTED = re.compile(r"[‘'“\"]([^’'”\"]{2,30})[’'”\"]")
# Acronyms too common to say who a claim is about.
GENERIC = frozenset({
    "ai", "ceo", "cfo", "cto", "coo", "it", "ipo", "gdp", "llm", "llms", "gpu", "gpus", "cpu", "ev", "evs", "ict",
    "r&d", "m&a", "etf", "esg", "vr", "ar", "5g", "6g", "pc", "tv", "sns", "api", "app", "mw", "gw", "kw", "nm", "gb",
    "tb", "usd", "krw", "cny",
})


def named_entities(text: str, topic_terms: tuple[str, ...] = ()) -> list[str]:
    """The topic terms that fired, then Latin and quoted names, in order and once each."""
    found = [normalize(t) for t in topic_terms]
    found += [_OPENER.sub("", m.group(0)).casefold() for m in _LATIN_NAME.finditer(text)]
    found += [normalize(m.group(1)) for m in _QUOTED.finditer(text) if len(m.group(1).split()) <= 4]
    return list(dict.fromkeys(f.strip() for f in found if f.strip()))
