"""Aliases, keywords and the cross-language lexicon, matched insensitive to case, width and spacing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .script import HANGUL_RANGE, normalize

_HANGUL_RE = re.compile(f"[{HANGUL_RANGE}]")
_LATIN_EDGE = re.compile(r"[a-z0-9]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")


def compact(folded: str) -> str:
    return re.sub(r"\s+", "", folded)


@dataclass(frozen=True, slots=True)
class Term:
    """One alias or keyword, matched insensitive to case, width and spacing.

    Latin terms use a word-boundary pattern (DeepSeek's matches, deepseeker
    does not). Other scripts are compared on the text with all spaces removed,
    so 다크 팩토리 = 다크팩토리, and particles may follow (딥시크가, 딥시크의).
    """

    text: str
    pattern: re.Pattern[str]
    hangul: bool
    plain: bool               # matched as a substring of the space-free text
    compact: str
    words: frozenset[str]     # Latin words that must all occur before the pattern is tried

    @classmethod
    def compile(cls, text: str) -> Term:
        """A trailing ``*`` on a Latin term matches any ending: ``block*`` = block, blocks, blocked."""
        folded = normalize(text).strip()
        prefix = folded.endswith("*")
        folded = folded.rstrip("*")
        squeezed = compact(folded)
        latin = squeezed.isascii()
        body = re.escape(folded).replace(r"\ ", r"[\s\-]+") if latin else r"\s*".join(re.escape(c) for c in squeezed)
        head = r"(?<![a-z0-9])" if _LATIN_EDGE.match(squeezed[0]) else ""
        tail = r"[a-z0-9]*" if prefix else r"(?![a-z0-9])" if _LATIN_EDGE.match(squeezed[-1]) else ""
        plain = not latin and not (head or tail)
        words = _LATIN_WORD.findall(folded)
        if prefix and words:
            words = words[:-1]  # the last word is only a prefix of what the text holds
        return cls(text=text, pattern=re.compile(head + body + tail), hangul=bool(_HANGUL_RE.search(squeezed)),
                   plain=plain, compact=squeezed, words=frozenset(words))

    def finditer(self, folded: str) -> Iterable[re.Match[str]]:
        return self.pattern.finditer(folded)

    def search(self, folded: str, squeezed: str | None = None, words: frozenset[str] | None = None) -> bool:
        if self.plain:
            return self.compact in (squeezed if squeezed is not None else compact(folded))
        if words is not None and not self.words <= words:
            return False
        return self.pattern.search(folded) is not None


@dataclass(frozen=True, slots=True)
class TermSet:
    """Terms tested together cheaply: substring tests, and word-set checks before any regex."""

    terms: tuple[Term, ...]
    plain: tuple[str, ...]
    others: tuple[Term, ...]

    @classmethod
    def of(cls, terms: tuple[Term, ...]) -> TermSet:
        return cls(terms, tuple(t.compact for t in terms if t.plain), tuple(t for t in terms if not t.plain))

    def any(self, text: Folded) -> bool:
        return any(p in text.squeezed for p in self.plain) or \
            any(t.search(text.folded, text.squeezed, text.words) for t in self.others)

    def which(self, text: Folded) -> list[str]:
        return [t.text for t in self.terms if t.search(text.folded, text.squeezed, text.words)]


@dataclass(frozen=True, slots=True)
class Folded:
    """A sentence (or article) in every form the matchers need, computed once."""

    folded: str
    squeezed: str
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Folded:
        folded = normalize(text)
        return cls(folded, compact(folded), frozenset(_LATIN_WORD.findall(folded)))


@dataclass(frozen=True, slots=True)
class TermIndex:
    """Many labelled terms looked up in one pass over the text, not one test per term.

    Each term is filed under something the text must contain for it to match:
    its first two characters (one, for a one-character term) when it is CJK or
    Hangul, its longest Latin word, or the first two letters of a Latin stem
    (``block*``). A text only tries the terms filed under what it holds. The
    lexicon has hundreds of terms and a sentence meets a handful of them.
    """

    by_gram: dict[str, tuple[tuple[int, Term], ...]]
    by_word: dict[str, tuple[tuple[int, Term], ...]]
    by_stem: dict[str, tuple[tuple[int, Term], ...]]
    always: tuple[tuple[int, Term], ...]
    single_chars: bool

    @classmethod
    def of(cls, groups: Sequence[TermSet]) -> TermIndex:
        files: dict[str, dict[str, list[tuple[int, Term]]]] = {"gram": {}, "word": {}, "stem": {}}
        always: list[tuple[int, Term]] = []
        for label, terms in enumerate(groups):
            for term in terms.terms:
                key = term.compact
                if not key.isascii():
                    files["gram"].setdefault(key[:2], []).append((label, term))
                elif term.words:
                    files["word"].setdefault(max(term.words, key=len), []).append((label, term))
                elif len(key) >= 2 and key[:2].isalnum():
                    files["stem"].setdefault(key[:2], []).append((label, term))
                else:
                    always.append((label, term))
        frozen = {name: {k: tuple(v) for k, v in d.items()} for name, d in files.items()}
        return cls(frozen["gram"], frozen["word"], frozen["stem"], tuple(always),
                   any(len(k) == 1 for k in frozen["gram"]))

    def labels(self, text: Folded) -> set[int]:
        """The labels (group positions) with at least one term in the text."""
        squeezed = text.squeezed
        grams = {squeezed[i:i + 2] for i in range(len(squeezed) - 1)}
        if self.single_chars:
            grams.update(squeezed)
        tried: list[tuple[int, Term]] = list(self.always)
        for gram in grams:
            tried += self.by_gram.get(gram, ())
        for word in text.words:
            tried += self.by_word.get(word, ())
        for stem in {w[:2] for w in text.words}:
            tried += self.by_stem.get(stem, ())
        return {label for label, term in tried if term.search(text.folded, squeezed, text.words)}


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Cross-language names: each entry is one entity or concept, written in several languages.

    It lets a Korean and an English sentence about the same thing share
    identifiers (이탈리아 = Italy = 意大利 -> ``italy``; 차단 = block = 封禁 -> ``~block``),
    which their words alone never would.
    """

    entities: tuple[tuple[str, TermSet], ...] = ()
    places: tuple[tuple[str, TermSet], ...] = ()
    concepts: tuple[tuple[str, TermSet], ...] = ()
    names: frozenset[str] = frozenset()   # every entity and place form, folded without spaces
    actor_index: TermIndex | None = None  # entities then places, in that order
    concept_index: TermIndex | None = None

    @classmethod
    def build(cls, entities: dict[str, list[str]], places: dict[str, list[str]],
              concepts: dict[str, list[str]]) -> Lexicon:
        def compiled(groups: dict[str, list[str]]) -> tuple[tuple[str, TermSet], ...]:
            return tuple((key, TermSet.of(tuple(Term.compile(w) for w in words if w.strip())))
                         for key, words in groups.items())

        ents, plcs, cons = compiled(entities), compiled(places), compiled(concepts)
        names = frozenset(t.compact for _, terms in ents + plcs for t in terms.terms)
        return cls(ents, plcs, cons, names, TermIndex.of([terms for _, terms in ents + plcs]),
                   TermIndex.of([terms for _, terms in cons]))

    def entities_in(self, text: Folded) -> list[str]:
        """Entity ids (who), in the lexicon's order."""
        if self.actor_index is None:
            return []
        n = len(self.entities)
        return [self.entities[i][0] for i in sorted(self.actor_index.labels(text)) if i < n]

    def places_in(self, text: Folded) -> list[str]:
        """Place ids (where), in the lexicon's order."""
        if self.actor_index is None:
            return []
        n = len(self.entities)
        return [self.places[i - n][0] for i in sorted(self.actor_index.labels(text)) if i >= n]

    def concept_ids_in(self, text: Folded) -> list[str]:
        """Concept ids (what happens), in the lexicon's order."""
        if self.concept_index is None:
            return []
        return [self.concepts[i][0] for i in sorted(self.concept_index.labels(text))]
