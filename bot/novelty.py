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


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def compare(claim: Claim, known: KnownClaim, options: NoveltyOptions, script: str | None = None) -> Match:
    cross = (script or script_of(claim.text)) != script_of(known.text)
    entities = tuple(sorted(set(entities_of(claim.entities)) & set(entities_of(known.entities))))
    actors_a, actors_b = set(actors_of(claim.entities)), set(actors_of(known.entities))
    same_actor = bool(actors_a & actors_b)
    other_actors = bool(actors_a) and bool(actors_b) and not same_actor  # Apple's $500B is not OpenAI's
    words = jaccard(claim.tokens, known.tokens)
    canon_a = set(entities_of(claim.entities)) | {t for t in claim.tokens if t.startswith("~")}
    canon_b = set(entities_of(known.entities)) | {t for t in known.tokens if t.startswith("~")}
    canon = canon_a & canon_b
    canon_share = len(canon) / min(len(canon_a), len(canon_b)) if canon_a and canon_b else 0.0
    canon_core = {c for c in canon if not c.startswith("@")}
    named_both = any(e.startswith("topic:") for e in claim.entities) and \
        any(e.startswith("topic:") for e in known.entities)
    same_place = bool({e for e in claim.entities if e.startswith("@")} & {e for e in known.entities if e.startswith("@")})
    # The same subject: a shared actor, or both name the topic itself at the same place.
    same_subject = same_actor or (named_both and same_place and not other_actors)
    # A restatement without figures: matched against the cluster's founding claim only, so
    # weak matches never chain from one repeat to the next.
    concepts = {c for c in canon_core if c.startswith("~")}
    restated = (known.status == "new" and same_subject and len(canon_core) >= options.canon_shared
                and len(concepts) >= options.concepts_shared and canon_share >= options.canon_overlap)

    shared: list[str] = []
    conflicting: list[str] = []
    for f in (f for f in claim.figures if f.strong):
        for g in (g for g in known.figures if g.strong and g.kind == f.kind and g.unit == f.unit):
            same_measure = bool(set(f.context) & set(g.context))
            if measures_of(f) and measures_of(g) and not measures_of(f) & measures_of(g):
                continue  # 1.2조 원 of profit is not 1.2조 원 of investment
            if _close(f.value, g.value, options.same_value):
                if not other_actors and (same_measure or same_subject):
                    shared.append(f"{f.text} = {g.text}")
            elif not _close(f.value, g.value, options.conflict_value) and same_measure and not other_actors:
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
    script = script_of(claim.text)
    matches = [compare(claim, k, options, script) for k in known if k.topic == claim.topic]
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
            best = min(claim.tokens, key=lambda t: hashlib.blake2b(f"{band}:{t}".encode(), digest_size=8).digest())
            keys.append(f"b{band}:{best}")
    return tuple(dict.fromkeys(k[:200] for k in keys))
