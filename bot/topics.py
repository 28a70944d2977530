"""Topic rules: which sentences of an article are about which topic, and why.

A sentence is on a topic when it names an alias (subject to ``context`` and
``exclude``), or when it sits in the same passage as such a sentence and is
tied to it: either it follows the naming sentence directly, or it belongs to a
chain of sentences that each carry a ``related`` term no more than ``max_gap``
sentences apart. Passages are paragraphs, or sections when the text has
headings (◇, ■ …). This finds the factory figures that never say "dark
factory" without dragging in the robotaxi paragraph next door.

Two guards keep spam out. Keyword stuffing: a Korean alias injected bare at
ungrammatical places, where real mentions carry a particle (딥시크는, 딥시크의);
when bare mentions dominate, they stop counting. Spam phrases (casino, betting)
mark the whole article as spam and it yields no topic at all.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Sentence, TopicHit, TopicResult
from .text import Folded, Term, TermIndex, TermSet
from .text import normalize as fold
from .text.script import HANGUL_RANGE

_HANGUL = re.compile(f"[{HANGUL_RANGE}]")
_WIDTH_FORMS = re.compile("[\uff01-\uffef]")
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_OPEN_QUOTES = "'\"‘“「『"
_CLOSE_QUOTES = "'\"’”」』"


@dataclass(frozen=True, slots=True)
class TopicRule:
    id: str
    name: str
    aliases: tuple[Term, ...]
    ambiguous: frozenset[str] = frozenset()
    context: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    related: tuple[Term, ...] = ()
    sets: dict[str, TermSet] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("aliases", "exclude", "related", "context"):
            self.sets[name] = TermSet.of(getattr(self, name))

    def mentions(self, name: str, text: Folded) -> bool:
        return self.sets[name].any(text)

    def needs_context(self, alias: Term) -> bool:
        return bool(self.context) and (not self.ambiguous or alias.text in self.ambiguous)


@dataclass(frozen=True, slots=True)
class TopicOptions:
    rules: tuple[TopicRule, ...]
    spam_phrases: tuple[Term, ...] = ()
    max_gap: int = 2
    carry_after_alias: int = 1
    stuffing_min_bare: int = 4
    stuffing_ratio: float = 2.0   # bare mentions per attached one: "딥시크 사용" compounds are bare too
    spam_min_phrases: int = 2
    story_max_passages: int = 16  # paragraphs: a longer page is a list of stories or a feature; paragraphs decide
    story_max_passage: int = 15   # sentences: a longer run without paragraph breaks is left to the chains
    story_lead: int = 5           # sentences: a story whose lead names the topic is about it
    story_dense: float = 0.6      # a longer page is still one story when this share of its paragraphs is topical ...
    story_dense_named: float = 0.2  # ... and this share names the topic (a post in short lines, not a list)
    index: TermIndex = field(init=False, compare=False, repr=False)
    probe_pattern: re.Pattern[str] = field(init=False, compare=False, repr=False)
    latin_probes: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Every rule's aliases, excludes and related terms in one index: a sentence is looked up
        # once, not once per rule and list. Label 3*i+k is rule i's list k (see _LISTS).
        object.__setattr__(self, "index", TermIndex.of([r.sets[name] for r in self.rules for name in _LISTS]))
        # What any match of an alias must contain once spaces are gone: the whole alias for CJK and
        # Hangul (matched with any spacing), its longest word for Latin (matched word by word).
        probes = {max(a.words, key=len) if a.compact.isascii() and a.words else a.compact
                  for r in self.rules for a in r.aliases}
        # CJK and Hangul probes in one alternation: the regex engine skips ahead on their first
        # characters, rare in a page. Latin probes start with common letters: plain substring tests.
        object.__setattr__(self, "probe_pattern", re.compile(
            "|".join(re.escape(p) for p in sorted(probes, key=len, reverse=True) if not p.isascii()) or "(?!)"))
        object.__setattr__(self, "latin_probes", tuple(sorted(p for p in probes if p.isascii())))

    def lists_in(self, text: Folded) -> set[tuple[int, str]]:
        """(rule position, list name) for each rule list with a term in the text."""
        return {(label // len(_LISTS), _LISTS[label % len(_LISTS)]) for label in self.index.labels(text)}


_LISTS = ("aliases", "exclude", "related")


@dataclass(slots=True)
class _Mention:
    sentence: int
    alias: Term
    bare: bool
    listed: bool = False    # one item of an enumeration: "ChatGPT, Gemini, DeepSeek 등"
    subject: bool = False   # what the sentence is about: 딥시크는…, DeepSeek said…, 深度求索发布…


@dataclass(slots=True)
class _Scan:
    mentions: list[_Mention] = field(default_factory=list)
    excluded: set[int] = field(default_factory=set)
    related: dict[int, list[str]] = field(default_factory=dict)


def may_mention_any(raw: str, options: TopicOptions) -> bool:
    """Does any topic's alias occur anywhere in this raw HTML or text?

    A cheap scan before extraction: most pages in a news feed name no tracked
    topic, and for them extraction, sentences and claims would find nothing.
    It may say yes wrongly (the topic rules decide later), never no: every
    match of an alias holds its probe once spaces are removed and the text
    casefolded. What could hide an alias is undone first: tags inside it, HTML
    entities (다크&nbsp;팩토리), JSON escapes in scripts (where browser-rendered
    pages keep their body) and decomposed Hangul. Full folding (NFKC) of a
    heavy page costs a fifth of its extraction, so it runs only when the page
    holds full- or half-width forms or is not NFC; otherwise casefolding does.
    """
    raw = _TAG.sub("", raw)  # 다크</b> 팩토리: markup inside an alias must not hide it
    if options.probe_pattern.search("".join(raw.split())):
        return True  # the common case for a page on a topic: a CJK or Hangul alias as written
    if "&" in raw:
        raw = html.unescape(raw)
    if "\\u" in raw:
        raw = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw)
    if _INVISIBLE.search(raw):
        raw = _INVISIBLE.sub("", raw)  # soft hyphens and zero-width spaces inside a word
    if _WIDTH_FORMS.search(raw) or not unicodedata.is_normalized("NFC", raw):
        raw = fold(raw)
    else:
        raw = raw.casefold()
    squeezed = "".join(raw.split())
    return options.probe_pattern.search(squeezed) is not None or any(p in squeezed for p in options.latin_probes)


_HTML_TITLE = re.compile(r"<title[^>]*>([^<]{1,500})</title>", re.IGNORECASE)


def page_title(markup: str | None, text: str | None, title: str | None) -> str:
    """What a page says it is about before it is extracted: the feed's title, the HTML <title>,
    or a text's first lines (a pasted text may open with a breadcrumb, then its headline)."""
    if title:
        return title
    head = markup[:20000].split("<body", 1)[0] if markup else ""  # not an <svg><title> in the page
    if m := _HTML_TITLE.search(head):
        return html.unescape(m.group(1))
    return "\n".join([line for line in (text or "")[:2000].splitlines() if line.strip()][:3])[:500]


def related_topics(title: str, options: TopicOptions) -> tuple[str, ...]:
    """Topics whose related terms the title uses (a factory, a data centre), where it names none of
    them: such a page may continue a story the topic follows without naming it."""
    folded = Folded.of(title)
    return tuple(r.id for r in options.rules if r.mentions("related", folded) and not r.mentions("exclude", folded))


def continued_story(sents: list[Sentence], topic: str, why: str) -> TopicResult:
    """Every sentence on ``topic``: the page restates figures of claims the topic already holds
    (the pipeline decides that against the store), so it is one more article of that story."""
    hits = tuple(TopicHit(topic, s.index, "passage", why) for s in sents)
    return TopicResult(hits=hits, topics=(topic,), spam=False, spam_reason=None)


def match_topics(sents: list[Sentence], options: TopicOptions, title: str | None = None) -> TopicResult:
    folded = [Folded.of(s.text) for s in sents]
    article = Folded.of("\n".join(s.text for s in sents) + "\n" + (title or ""))

    spam_hits = sorted({t.text for t in options.spam_phrases
                        if t.search(article.folded, article.squeezed, article.words)})
    if len(spam_hits) >= options.spam_min_phrases:
        reason = "spam phrases: " + ", ".join(spam_hits)
        return TopicResult(hits=(), topics=(), spam=True, spam_reason=reason, rejected=(reason,))

    hits: list[TopicHit] = []
    rejected: list[str] = []
    spam_reason: str | None = None
    found = [options.lists_in(f) for f in folded]
    for position, rule in enumerate(options.rules):
        scan = _scan(rule, sents, folded, [{name for i, name in hits if i == position} for hits in found])
        mentions, why_not, stuffed = _valid_mentions(rule, scan, article, options)
        if stuffed:
            spam_reason = stuffed
            rejected.append(f"{rule.id}: {stuffed}")
        rejected.extend(f"{rule.id}: {w}" for w in why_not)
        if mentions:
            salient, why = _salient(rule, sents, scan, mentions, title, options)
            if salient:
                hits.extend(_attribute(rule, sents, scan, mentions, title, options, story=not stuffed))
            else:
                rejected.append(f"{rule.id}: {why}")
    topics = tuple(dict.fromkeys(h.topic for h in hits))
    return TopicResult(hits=tuple(sorted(hits, key=lambda h: (h.sentence, h.topic))), topics=topics,
                       spam=spam_reason is not None, spam_reason=spam_reason, rejected=tuple(rejected))


def _scan(rule: TopicRule, sents: list[Sentence], folded: list[Folded], lists: list[set[str]]) -> _Scan:
    """The rule's mentions, excluded and related sentences; ``lists`` says which of the rule's
    term lists each sentence holds."""
    scan = _Scan()
    for s, text, has in zip(sents, folded, lists, strict=True):
        if "aliases" in has:
            for alias in rule.aliases:
                for m in alias.finditer(text.folded):
                    scan.mentions.append(_Mention(s.index, alias, alias.hangul and _is_bare(text.folded, m),
                                                  _is_listed(text.folded, m), _is_subject(text.folded, m, alias)))
        if "exclude" in has:
            scan.excluded.add(s.index)
        if "related" in has:
            scan.related[s.index] = rule.sets["related"].which(text)
    return scan


def _is_bare(text: str, m: re.Match[str]) -> bool:
    """A Hangul alias standing alone, with no particle or bracket attached to it."""
    before = text[m.start() - 1] if m.start() > 0 else " "
    after = text[m.end()] if m.end() < len(text) else " "
    if before in _OPEN_QUOTES and after in _CLOSE_QUOTES:
        return False  # ‘딥시크’ is quoted on purpose
    if before in _OPEN_QUOTES:
        return False
    if _HEAD_NOUN.match(text, m.end()):
        return False  # 딥시크 사용을, 딥시크 앱은: the name modifies a noun, as names of products do
    return not (_HANGUL.match(after) or after in "(（[")


# Nouns a product or company name modifies in Korean news: use, access, app, model, shock, founder...
# An alias before one of them is a compound, not a token injected at a random place.
# The noun must take its own particle (딥시크 사용을), so a run of bare nouns injected with the
# name (딥시크 앱 서비스) still reads as stuffing.
_HEAD_NOUN = re.compile(r"\s(?:사용|이용|접속|차단|금지|앱|애플리케이션|서비스|모델|쇼크|충격|열풍|돌풍|사태|효과|창업자|"
                        r"본사|측|관계자|개발|출시|공개|기술|제품|공장|프로젝트|사업|투자|계획|가입자|이용자|사용자|"
                        r"챗봇|플랫폼|주가)(?:을|를|이|가|은|는|의|에|도|으로|로|과|와|에서|까지)")


# Conjunctions that join list items, in the languages news about the topics is written in.
_AND_OR = r"and|or|und|oder|et|ou|y|o|e|и|или|và|hoặc|dan|atau"
_LIST_BEFORE = re.compile(rf"(?:[,、·，]|\b(?:{_AND_OR})|및)\s*$")
# The item may run on for one more word: "물류 자동화, 다크 팩토리 솔루션, 서비스 로봇 등".
_LIST_AFTER = re.compile(rf"^(?:\s?[^\s,、·，]{{1,8}})?(?:[와과]\s|\s*[,、·，]|\s+(?:{_AND_OR}|및)\b)")
_ENUM_AFTER = re.compile(r"^\s*(?:등|等|など|and others|etc\b|und andere|et autres|y otros|y otras|e altri|e outros|"
                         r"и друг|v\.v\.|dll\b)")
_ENUM_BEFORE = re.compile(r"(?:such as|like|including|e\.g\.,?|包括|如|比如|诸如|像)\s*$")
_KO_SUBJECT = re.compile(r"^(?:\([^)]{1,30}\))?[’'”\"]?(?:은|는|이|가|도|측은|측이)(?![\uac00-\ud7a3])")
_ZH_SUBJECT = re.compile(r"^(?:[（(][^)）]{1,30}[)）])?(?:公司)?(?:发布|宣布|表示|称|推出|正在|已|将|的)")


# The last item of a list: two or more items separated by commas before it ("A, B, C and DeepSeek").
_ITEM = r"[^,、，\s]+(?:\s+[^,、，\s]+){0,%d}"
_LIST_TAIL = re.compile(
    # two short items before it, or three and more of up to eight words
    rf"(?:(?:^|[,、，:：])\s*{_ITEM % 2}\s*[,、，]\s*{_ITEM % 2}|(?:\s*{_ITEM % 7}\s*[,、，]){{3}})"
    rf"\s*[,、，]?\s*(?:(?:{_AND_OR}|및)\s+)?(?:[^,、，\s]+\s+){{0,5}}$")


_RANGE = re.compile(r"부터\s*$|\bfrom\s+\S+(?:\s+\S+)?\s+to\s*$|从.{1,10}到\s*$")


def _is_listed(text: str, m: re.Match[str]) -> bool:
    before, after = text[max(0, m.start() - 20):m.start()], text[m.end():m.end() + 12]
    if _ENUM_AFTER.match(after) or _ENUM_BEFORE.search(before):
        return True
    if _LIST_BEFORE.search(before) and _LIST_TAIL.search(text[max(0, m.start() - 80):m.start()]):
        return True
    if _RANGE.search(before) and (after.startswith("까지") or re.search(r"\bto\s*$", before)):
        return True  # "챗지피티부터 딥시크까지", "from ChatGPT to DeepSeek": the ends of a range of names
    return bool(_LIST_BEFORE.search(before) and _LIST_AFTER.match(after))


def _is_subject(text: str, m: re.Match[str], alias: Term) -> bool:
    after = text[m.end():m.end() + 40]
    if alias.hangul:
        return bool(_KO_SUBJECT.match(after))
    lead = re.sub(r"^[\W_]+", "", text[:m.start()])
    if not alias.plain:  # Latin: among the first words, and not a modifier (DeepSeek-driven)
        return len(lead.split()) <= 2 and not after.startswith("-")
    return not lead or bool(_ZH_SUBJECT.match(after))


def _salient(rule: TopicRule, sents: list[Sentence], scan: _Scan, mentions: list[_Mention], title: str | None,
             options: TopicOptions) -> tuple[bool, str]:
    """Is the article about the topic, or does it only mention it in passing?"""
    folded_title = fold(title) if title else ""
    if any(not _is_listed(folded_title, m) for a in rule.aliases for m in a.finditer(folded_title)):
        return True, "named in the title"
    free = [m for m in mentions if not m.listed]
    if len({m.sentence for m in free}) >= 2 or len({m.sentence for m in mentions}) >= 3:
        return True, "named in several sentences"
    leads = {min(s.index for s in sents if s.passage == p) for p in {s.passage for s in sents}}
    if any(m.subject or m.sentence in leads for m in free):
        return True, "the subject of a sentence, or named where its paragraph begins"
    if any(m.sentence in scan.related for m in free):
        return True, "named beside a related term"
    named = {m.sentence for m in free}
    for chain in _chains(sents, scan, named, options):
        if named & set(chain) and len(set(chain) & set(scan.related) - named) >= 2:
            return True, "a passage of related sentences around it"
    return False, "passing mention only (in a list, or once without being what the sentence is about)"


def _valid_mentions(rule: TopicRule, scan: _Scan, article: Folded, options: TopicOptions
                    ) -> tuple[list[_Mention], list[str], str | None]:
    why_not: list[str] = []
    mentions = [m for m in scan.mentions if m.sentence not in scan.excluded]
    if len(mentions) < len(scan.mentions):
        why_not.append(f"{len(scan.mentions) - len(mentions)} mention(s) vetoed by an exclude term")
    has_context = rule.mentions("context", article)
    kept = [m for m in mentions if has_context or not rule.needs_context(m.alias)]
    if len(kept) < len(mentions):
        why_not.append("ambiguous alias without any context term in the article: "
                       + ", ".join(sorted({m.alias.text for m in mentions if m not in kept})))
    bare = sum(m.bare for m in kept)
    attached = sum(m.alias.hangul and not m.bare for m in kept)
    stuffed = None
    if bare >= options.stuffing_min_bare and bare >= options.stuffing_ratio * attached:
        stuffed = f"keyword stuffing suspected: {bare} bare mentions against {attached} with particles"
        kept = [m for m in kept if not m.bare]
    return kept, why_not, stuffed


def _attribute(rule: TopicRule, sents: list[Sentence], scan: _Scan, mentions: list[_Mention], title: str | None,
               options: TopicOptions, *, story: bool = True) -> list[TopicHit]:
    named: dict[int, list[str]] = {}
    for m in mentions:
        named.setdefault(m.sentence, []).append(m.alias.text)
    out = [TopicHit(rule.id, i, "alias", "names " + ", ".join(dict.fromkeys(a)), tuple(dict.fromkeys(a)))
           for i, a in sorted(named.items())]
    inherited: dict[int, str] = {}

    # Sentences right after a naming sentence usually elaborate on it.
    for i in named:
        for j in range(i + 1, min(i + 1 + options.carry_after_alias, len(sents))):
            if sents[j].passage == sents[i].passage and j not in named and j not in scan.excluded:
                inherited.setdefault(j, f"follows sentence {i} which names {rule.name}")

    for chain in _chains(sents, scan, set(named), options):
        anchors = [i for i in chain if i in named]
        if not anchors:
            continue
        for j in range(chain[0], chain[-1] + 1):
            if j not in named and j not in scan.excluded:
                terms = scan.related.get(j)
                why = f"related term {terms[0]!r} in a passage about {rule.name}" if terms else \
                    f"between related sentences of a passage that names {rule.name} (sentence {anchors[0]})"
                inherited.setdefault(j, why)
    if story:  # a keyword-stuffed page has no story to carry: only its real mentions count
        for j, why in _story(rule, sents, scan, mentions, title, options).items():
            if j not in named:
                inherited.setdefault(j, why)
    out.extend(TopicHit(rule.id, j, "passage", why, tuple(scan.related.get(j, ())))
               for j, why in sorted(inherited.items()))
    return out


def _story(rule: TopicRule, sents: list[Sentence], scan: _Scan, mentions: list[_Mention], title: str | None,
           options: TopicOptions) -> dict[int, str]:
    """The sentences of the story that is about the topic, wherever they stand in it.

    News pages put each paragraph in its own block, and the plant's output two
    paragraphs below the sentence that names the dark factory is still about it.
    A page with headings carries one story per section. A story is about the
    topic when its title or its lead names the topic, or when the topic is named
    in a third of its paragraphs; then every paragraph of it belongs to the
    topic, except one holding an exclude term, which has changed subject (the TV
    series beside the data centre), and the rest of a paragraph after a turn such
    as "Meanwhile" or "한편" that does not name the topic itself. What is not a compact story keeps to the
    paragraph rules: a page of many short summaries (a list of other stories, where
    few paragraphs name the topic or a related term), or text that runs on without
    paragraph breaks (a flattened forum post).
    """
    sectioned = any(s.section for s in sents)
    stories: dict[int, list[Sentence]] = {}
    for s in sents:
        stories.setdefault(s.section if sectioned else 0, []).append(s)
    in_title = bool(title) and any(a.search(fold(title or "")) for a in rule.aliases)
    free = [m for m in mentions if not m.listed]
    named_at = {m.sentence for m in free}
    out: dict[int, str] = {}
    for key, members in stories.items():
        passages: dict[tuple[int, int], list[int]] = {}
        turn = 0
        for s in members:
            if _TURN.match(s.text):
                turn = s.index  # "Meanwhile, …": the paragraph goes on about something else
            passages.setdefault((s.passage, turn if turn and sents[turn].passage == s.passage else 0),
                                []).append(s.index)
        topical = sum(1 for indices in passages.values() if any(i in scan.related or i in named_at for i in indices))
        naming = sum(1 for indices in passages.values() if any(i in named_at for i in indices))
        # A long page is a list of other stories, unless nearly every paragraph is about the topic and
        # many name it (a post broken into short lines on one model; not twenty items that each say "factory").
        dense = topical >= options.story_dense * len(passages) and naming >= options.story_dense_named * len(passages)
        if (len(passages) > options.story_max_passages and not dense) or \
                max(len(p) for p in passages.values()) > options.story_max_passage:
            continue
        order = {s.index: n for n, s in enumerate(members)}
        named = [order[m.sentence] for m in free if m.sentence in order]
        if not named:
            continue
        covered = {p for p, indices in passages.items() if any(order[i] in named for i in indices)}
        lead = min(named) < max(options.story_lead, len(members) / 3)
        if not (lead or (in_title and key == min(stories)) or 3 * len(covered) >= len(passages)):
            continue
        why = f"in a story about {rule.name}"
        for (passage, turn), indices in passages.items():
            if any(i in scan.excluded for i in indices) or (turn and (passage, turn) not in covered):
                continue
            for i in indices:
                out[i] = why
    return out


# Words that turn a paragraph to another subject, in the languages news about the topics is written in.
_TURN = re.compile(r"^\W*(?:한편|이와\s*별도로|Meanwhile|Separately|In other news|Elsewhere|与此同时|另一方面|另外|一方|"
                   r"Unterdessen|Indes|Par ailleurs|Parallèlement|Por otra parte|Mientras tanto|Enquanto isso|"
                   r"Por outro lado|Между тем|Тем временем)\b", re.IGNORECASE)


def _chains(sents: list[Sentence], scan: _Scan, named: set[int], options: TopicOptions) -> list[list[int]]:
    """Runs of topical sentences (naming or related) at most ``max_gap`` apart, inside one
    passage (a section when the text has headings)."""
    sectioned = any(s.section for s in sents)

    def scope(s: Sentence) -> tuple[str, int]:
        return ("section", s.section) if sectioned else ("passage", s.passage)

    chains: list[list[int]] = []
    for i in sorted(named | set(scan.related) - scan.excluded):
        if chains and i - chains[-1][-1] <= options.max_gap + 1 and scope(sents[i]) == scope(sents[chains[-1][-1]]):
            chains[-1].append(i)
        else:
            chains.append([i])
    return chains


def compile_terms(words: Iterable[str]) -> tuple[Term, ...]:
    return tuple(Term.compile(w) for w in words if w.strip())
