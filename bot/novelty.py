"""The novelty decision: is a claim new, a repeat of a known cluster, or new but conflicting?

Pure: a candidate claim and the stored claims the database offered as similar
go in; a Decision with its reasons comes out. No single signal separates
paraphrases (character MinHash does not; shared words only partly), so the
decision combines them:

* figures are the strongest signal: the same normalised value, unit and kind,
  about the same subject (the words around the figures, the entities or the
  sentences' words overlap), or stated across languages where words cannot;
* entities (aliases, Latin names, quoted names) say whether it is the same subject;
* content words catch restatements without figures.

A conflict is the same subject and the same kind of figure, measuring the same
thing, with a value beyond the tolerance.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .models import Claim, Decision, Figure, KnownClaim

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True, slots=True)
class NoveltyOptions:
    same_value: float = 0.03         # relative difference under which two figures are the same
    conflict_value: float = 0.25     # relative difference over which the same measure conflicts
    words_alone: float = 0.45        # content-word Jaccard that makes a repeat without figures
    words_with_figure: float = 0.12  # ... with a shared figure measuring the same thing
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


def script_of(text: str) -> str:
    counts = {"ko": len(_HANGUL.findall(text)), "cjk": len(_CJK.findall(text)), "latin": len(_LATIN.findall(text))}
    return max(counts, key=lambda k: counts[k])


def _close(a: float, b: float, tolerance: float) -> bool:
    scale = max(abs(a), abs(b)) or 1.0
    return abs(a - b) / scale <= tolerance


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def compare(claim: Claim, known: KnownClaim, options: NoveltyOptions, script: str | None = None) -> Match:
    cross = (script or script_of(claim.text)) != script_of(known.text)
    entities = tuple(sorted(set(e for e in claim.entities if not e.startswith("topic:"))
                            & set(e for e in known.entities if not e.startswith("topic:"))))
    words = jaccard(claim.tokens, known.tokens)
    same_subject = bool(entities) or words >= options.words_with_figure or cross
    shared: list[str] = []
    conflicting: list[str] = []
    for f in (f for f in claim.figures if f.strong):
        for g in (g for g in known.figures if g.strong and g.kind == f.kind and g.unit == f.unit):
            same_measure = bool(set(f.context) & set(g.context))
            if _close(f.value, g.value, options.same_value):
                if same_measure or same_subject:
                    shared.append(f"{f.text} = {g.text}")
            elif not _close(f.value, g.value, options.conflict_value) and same_measure:
                conflicting.append(f"{f.text} vs {g.text}")
    named_both = any(e.startswith("topic:") for e in claim.entities) and \
        any(e.startswith("topic:") for e in known.entities)

    if shared and not conflicting:
        repeat = True
    elif not shared and not conflicting:
        repeat = words >= options.words_alone
    else:
        repeat = False
    conflict = not repeat and bool(conflicting) and (bool(entities) or named_both or words >= 0.1)
    score = 2.0 * len(shared) + words + 0.5 * len(entities)
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
    """Keys the store indexes a claim under: figure buckets, entities and min-hash word bands.

    One-row bands over content words: two claims meet in a band with probability
    equal to their word Jaccard, so eight bands find most restatements while the
    index stays a fixed handful of rows per claim.
    """
    keys = [f"f:{f.key}" for f in claim.figures if f.strong]
    keys += [f"e:{e}" for e in claim.entities if not e.startswith("topic:")][:8]
    if claim.tokens:
        for band in range(options.token_bands):
            best = min(claim.tokens, key=lambda t: hashlib.blake2b(f"{band}:{t}".encode(), digest_size=8).digest())
            keys.append(f"b{band}:{best}")
    return tuple(dict.fromkeys(k[:200] for k in keys))
