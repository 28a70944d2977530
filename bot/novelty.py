"""The novelty decision: is a claim new, a repeat of a known cluster, or new but conflicting?

Pure: a candidate claim and the stored claims the database offered as similar
go in; a Decision with its reasons comes out. No single signal separates
paraphrases (character MinHash does not; shared words only partly), so the
decision combines them:

* figures are the strongest signal: the same normalised value, unit and kind,
  about the same subject (the words around the figures, the entities or the
  sentences' words overlap), or stated across languages where words cannot;
* entities (lexicon ids such as ``italy`` for 이탈리아/Italy/意大利, Latin and
  quoted names) say whether it is the same subject;
* content words, and lexicon concepts (``~block`` for 차단/block/封禁), catch
  restatements without figures, within a language and across languages.

A conflict is the same subject and the same kind of figure, measuring the same
thing, with a value beyond the tolerance.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .models import Claim, Decision, Figure, KnownClaim
from .text import script_of


@dataclass(frozen=True, slots=True)
class NoveltyOptions:
    same_value: float = 0.03         # relative difference under which two figures are the same
    conflict_value: float = 0.25     # relative difference over which the same measure conflicts
    words_alone: float = 0.45        # content-word Jaccard that makes a repeat without figures
    words_with_figure: float = 0.12  # ... with a shared figure measuring the same thing
    canon_shared: int = 3            # shared lexicon ids (actors and ~concepts, not places) that make a repeat ...
    canon_overlap: float = 0.5       # ... when they are this share of the smaller claim's ids
    concepts_shared: int = 2         # ... and this many of them say what happened (~block, ~download)
    token_bands: int = 8


@dataclass(frozen=True, slots=True)
class Match:
    known: KnownClaim
    shared_figures: tuple[str, ...]
    conflicting: tuple[str, ...]
    shared_entities: tuple[str, ...]
    words: float
    score: float
    repeat: bool
    conflict: bool


def _close(a: float, b: float, tolerance: float) -> bool:
    scale = max(abs(a), abs(b)) or 1.0
    return abs(a - b) / scale <= tolerance


def entities_of(items: tuple[str, ...]) -> list[str]:
    return [e for e in items if not e.startswith("topic:")]


def measures_of(figure: Figure) -> set[str]:
    """What a figure measures, as lexicon concepts found around it (~invest, ~profit, ~power)."""
    return {c for c in figure.context if c.startswith("~")}


def actors_of(items: tuple[str, ...]) -> list[str]:
    """Who a claim is about: its entities less places (``@…``) and the topic itself."""
    return [e for e in items if not e.startswith(("topic:", "@"))]


@dataclass(frozen=True, slots=True)
class _Profile:
    """What compare() needs of one claim, as sets built once: a claim meets dozens of candidates."""

    script: str
    entities: frozenset[str]          # less the topic marker
    actors: frozenset[str]            # entities less places
    places: frozenset[str]
    canon: frozenset[str]             # entities and ~concepts: language-neutral ids
    named: bool                       # the sentence names its topic
    tokens: frozenset[str]
    figures: tuple[tuple[Figure, frozenset[str], frozenset[str]], ...]  # strong figures, context, measures


@lru_cache(maxsize=4096)  # a document's candidates, many times over
def _profile(text: str, entities: tuple[str, ...], tokens: tuple[str, ...], figs: tuple[Figure, ...]) -> _Profile:
    ents = frozenset(entities_of(entities))
    return _Profile(
        script=script_of(text), entities=ents, actors=frozenset(actors_of(entities)),
        places=frozenset(e for e in entities if e.startswith("@")),
        canon=ents | {t for t in tokens if t.startswith("~")},
        named=any(e.startswith("topic:") for e in entities), tokens=frozenset(tokens),
        figures=tuple((f, frozenset(f.context), frozenset(measures_of(f))) for f in figs if f.strong))


def profile_of(claim: Claim | KnownClaim) -> _Profile:
    return _profile(claim.text, claim.entities, claim.tokens, claim.figures)


def compare(claim: Claim, known: KnownClaim, options: NoveltyOptions) -> Match:
    a, b = profile_of(claim), profile_of(known)
    cross = a.script != b.script
    entities = tuple(sorted(a.entities & b.entities))
    same_actor = not a.actors.isdisjoint(b.actors)
    # Apple's $500B is not OpenAI's; across languages the names read differ too much to tell.
    other_actors = bool(a.actors) and bool(b.actors) and not same_actor and not cross
    union = len(a.tokens | b.tokens)
    words = len(a.tokens & b.tokens) / union if a.tokens and b.tokens else 0.0
    canon = a.canon & b.canon
    canon_share = len(canon) / min(len(a.canon), len(b.canon)) if a.canon and b.canon else 0.0
    canon_core = {c for c in canon if not c.startswith("@")}
    named_both = a.named and b.named
    same_place = not a.places.isdisjoint(b.places)
    # The same subject: a shared actor, or both name the topic itself at the same place.
    same_subject = same_actor or (named_both and same_place and not other_actors)
    # A restatement without figures: matched against the cluster's founding claim only, so
    # weak matches never chain from one repeat to the next.
    concepts = {c for c in canon_core if c.startswith("~")}
    restated = (known.status == "new" and same_subject and len(canon_core) >= options.canon_shared
                and len(concepts) >= options.concepts_shared and canon_share >= options.canon_overlap)

    shared: list[str] = []
    conflicting: list[str] = []
    unmatched_a: list[tuple[Figure, frozenset[str]]] = []
    matched_b: set[int] = set()
    for f, f_context, f_measures in a.figures:
        comparable = False
        for n, (g, g_context, g_measures) in enumerate(b.figures):
            if g.kind != f.kind or g.unit != f.unit:
                continue
            if f_measures and g_measures and f_measures.isdisjoint(g_measures):
                continue  # 1.2조 원 of profit is not 1.2조 원 of investment
            if _close(f.value, g.value, options.same_value):
                comparable = True
                matched_b.add(n)
                if not other_actors and (not f_context.isdisjoint(g_context) or same_subject or cross):
                    shared.append(f"{f.text} = {g.text}")
        if not comparable:
            unmatched_a.append((f, f_context))
    # A figure conflicts only when neither claim states the other's value: a claim that gives
    # both 2,000원 and 1,000원 restates one that gives both, whatever their order.
    for f, f_context in unmatched_a:
        for n, (g, g_context, _) in enumerate(b.figures):
            if n in matched_b or g.kind != f.kind or g.unit != f.unit:
                continue
            if not _close(f.value, g.value, options.conflict_value) and not f_context.isdisjoint(g_context) \
                    and not other_actors:
                conflicting.append(f"{f.text} vs {g.text}")
    if shared and not conflicting:
        repeat = True
    elif not shared and not conflicting:
        repeat = (words >= options.words_alone and not other_actors) or restated
    else:
        repeat = False
    conflict = not repeat and bool(conflicting) and (same_subject or named_both or words >= 0.1)
    score = 2.0 * len(shared) + words + 0.5 * len(entities) + (0.2 if cross else 0.0)
    return Match(known, tuple(shared), tuple(conflicting), entities, words, score, repeat, conflict)


def decide(claim: Claim, known: Sequence[KnownClaim], options: NoveltyOptions) -> Decision:
    """``new``, ``repeat`` of the best-matching cluster, or ``new`` with the clusters it conflicts with."""
    matches = [compare(claim, k, options) for k in known if k.topic == claim.topic]
    repeats = sorted((m for m in matches if m.repeat), key=lambda m: m.score, reverse=True)
    if repeats:
        best = repeats[0]
        parts = [f"repeats cluster {best.known.cluster}"]
        if best.shared_figures:
            parts.append("same figures: " + "; ".join(best.shared_figures))
        if best.shared_entities:
            parts.append("same entities: " + ", ".join(best.shared_entities))
        parts.append(f"word overlap {best.words:.2f}")
        if best.known.outlet:
            parts.append(f"first reported by {best.known.outlet}")
        return Decision("repeat", best.known.cluster, (), "; ".join(parts), best.shared_figures, best.shared_entities)
    conflicts = [m for m in matches if m.conflict]
    if conflicts:
        clusters = tuple(dict.fromkeys(m.known.cluster for m in conflicts))
        detail = "; ".join(f"{'; '.join(m.conflicting)} (cluster {m.known.cluster})" for m in conflicts[:3])
        return Decision("new", None, clusters, "conflicting figures: " + detail)
    return Decision("new", None, (), "no stored claim shares its figures, entities or words" if not matches
                    else f"closest of {len(matches)} candidates is not a restatement")


def new_cluster_id(claim: Claim, url: str) -> str:
    """Stable without a database sequence, so several workers never collide."""
    compact = re.sub(r"\s+", "", claim.text)
    digest = hashlib.sha1(f"{claim.topic}\n{url}\n{compact}".encode()).hexdigest()
    return f"{claim.topic}-{digest[:10]}"


@lru_cache(maxsize=32768)  # news vocabulary repeats: most tokens were hashed for an earlier claim
def _band_hash(band: int, token: str) -> bytes:
    return hashlib.blake2b(f"{band}:{token}".encode(), digest_size=8).digest()


def retrieval_keys(claim: Claim, options: NoveltyOptions) -> tuple[str, ...]:
    """Keys the store indexes a claim under: figure buckets, measures, entities and min-hash word bands.

    One-row bands over content words: two claims meet in a band with probability
    equal to their word Jaccard, so eight bands find most restatements while the
    index stays a fixed handful of rows per claim.
    """
    keys = []
    for f in (f for f in claim.figures if f.strong):
        # The buckets of values just below and above too: 1.249 and 1.251 round apart.
        for value in (f.value, f.value * (1 - options.same_value), f.value * (1 + options.same_value)):
            keys.append(f"f:{f.kind}:{f.unit}:{value:.2g}")
    # The same kind of figure about the same measure: where updated and conflicting figures are found.
    keys += [f"m:{f.kind}:{f.unit}:{m}" for f in claim.figures if f.strong for m in sorted(measures_of(f))][:6]
    keys += [f"e:{e}" for e in claim.entities if not e.startswith("topic:")][:8]
    if claim.tokens:
        for band in range(options.token_bands):
            best = min(claim.tokens, key=lambda t: _band_hash(band, t))
            keys.append(f"b{band}:{best}")
    return tuple(dict.fromkeys(k[:200] for k in keys))
