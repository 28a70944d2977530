"""The decision: is a claim new, a repeat of a known cluster, or new with a changed fact?

Pure: a fingerprint and the stored claims the store offered as candidates go in;
a Decision with its reasons comes out. A repeat agrees on every fact both claims
state, slot by slot:

* figures in any unit and script, after normalisation ($500 billion = 5000억 달러),
  dates and years exactly;
* places and actors (lexicon ids, and names the lexicon lacks);
* stance: a ban is not an approval, a denial is not a confirmation, and a
  negated statement is not its positive.

A slot that differs makes the claim new; when the differing slot is a figure of
the same measure, it is a conflict, shown beside the earlier claim. What says
two claims state the same thing, once no slot differs: a shared figure about the
same subject, shared words (within one script), shared lexicon ids (across
scripts), or the sentence embeddings' cosine (any language).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Claim, Decision, Figure, Fingerprint, KnownClaim
from ..text import same_count_unit
from .encoder import cosine
from .fingerprint import OPPOSITE
from .options import NoveltyOptions


@dataclass(frozen=True, slots=True)
class Match:
    known: KnownClaim
    shared_figures: tuple[str, ...]
    shared_entities: tuple[str, ...]
    differs: tuple[str, ...]          # "date: 1월 20일 vs 5월 28일", "stance: ban vs allow"
    conflicting: tuple[str, ...]      # figures of the same measure with other values
    words: float
    similarity: float | None
    repeat: bool
    related: bool                     # about the same thing: what a differing slot makes an update
    score: float


def _close(a: float, b: float, tolerance: float) -> bool:
    scale = max(abs(a), abs(b)) or 1.0
    return abs(a - b) / scale <= tolerance


def _same(f: Figure, g: Figure, options: NoveltyOptions) -> bool:
    if f.kind == "date":
        return f.value == g.value  # 2023 is not 2021, however close in relative terms
    return _close(f.value, g.value, options.same_value)


def _comparable(f: Figure, g: Figure, concepts: tuple[set[str], set[str]]) -> bool:
    if f.kind != g.kind or not (f.unit == g.unit or (f.kind == "count" and same_count_unit(f.unit, g.unit))):
        return False
    fm, gm = set(f.context) & concepts[0], set(g.context) & concepts[1]
    return not (fm and gm and fm.isdisjoint(gm))  # 1.2조 원 of profit is not 1.2조 원 of investment


def compare(a: Fingerprint, known: KnownClaim, b: Fingerprint, options: NoveltyOptions, *,
            cheap: bool = False) -> Match:
    cross = a.script != b.script
    who_a, who_b = set(a.actors) | set(a.names), set(b.actors) | set(b.names)
    shared_actors = sorted(who_a & who_b)
    shared_places = sorted(set(a.places) & set(b.places))
    union = len(set(a.words) | set(b.words))
    common = len(set(a.words) & set(b.words)) if not cross else 0
    words = common / union if a.words and b.words and not cross else 0.0
    # The shorter claim's words nearly all in the longer one: a summary of the same report.
    contained = common / min(len(a.words), len(b.words)) if common else 0.0
    similarity = cosine(a.vector, b.vector)
    near_same = words >= 0.5 or (similarity or 0.0) >= 0.8
    concepts = (set(a.concepts), set(b.concepts))

    # The same subject, for a changed figure to be an update of the same measure.
    subject = bool(shared_actors) or (a.names_topic and b.names_topic) or bool(concepts[0] & concepts[1])
    shared: list[str] = []
    matched_a: set[int] = set()
    matched_b: set[int] = set()
    loose_a: set[int] = set()
    for i, f in enumerate(a.figures):
        for j, g in enumerate(b.figures):
            # A number no pattern read ("a global average of 141") may be 141대: the same value never
            # differs, but it is no evidence and states nothing ("ranked 81" is not "81 hires").
            if "number" in (f.kind, g.kind) and "date" not in (f.kind, g.kind) and _same(f, g, options):
                loose_a.add(i)
                matched_b.add(j)
            elif _comparable(f, g, concepts) and _same(f, g, options):
                matched_a.add(i)
                matched_b.add(j)
                if f.strong:
                    shared.append(f"{f.text} = {g.text}")
    # A figure differs only when neither claim states the other's value: a claim that gives both
    # 2,000원 and 1,000원 restates one that gives both, in whatever order.
    differs: list[str] = []
    conflicting: list[str] = []
    for i, f in enumerate(a.figures):
        # Durations and bare numbers say too little alone ("1일(현지시간)" is when it was reported).
        if i in matched_a or i in loose_a or f.kind in ("duration", "number"):
            continue
        for j, g in enumerate(b.figures):
            if j in matched_b or not _comparable(f, g, concepts):
                continue
            slot = "date" if f.kind == "date" else "figure"
            differs.append(f"{slot}: {g.text} → {f.text}")  # beyond the same value: 100 → 120 hires is news
            far = f.kind == "date" or not _close(f.value, g.value, options.conflict_value)
            if far and f.strong and (not set(f.context).isdisjoint(g.context) or subject):
                conflicting.append(f"{g.text} → {f.text}")
            break
    # Where: each names a place the other does not (중국 항저우 → 중국 베이징), not one adding a country.
    if set(a.places) - set(b.places) and set(b.places) - set(a.places):
        differs.append(f"place: {', '.join(sorted(set(b.places) - set(a.places)))} → "
                       f"{', '.join(sorted(set(a.places) - set(b.places)))}")
    # Names read from text are noisy (a source, a title word): other names make another actor only
    # when both sides name known entities, or when the sentences are otherwise the same.
    if (a.actors and b.actors and set(a.actors).isdisjoint(b.actors) and not shared_actors) or \
            (who_a and who_b and not shared_actors and near_same):
        differs.append(f"actor: {', '.join(sorted(who_b)[:2])} → {', '.join(sorted(who_a)[:2])}")
    # Numbers no pattern reads ("scored 81.2") still change the claim when the sentences are the same.
    loose_a = {f.value for i, f in enumerate(a.figures) if f.kind == "number" and i not in matched_a}
    loose_b = {f.value for j, f in enumerate(b.figures) if f.kind == "number" and j not in matched_b}
    if near_same and loose_a and loose_b and loose_a != loose_b:
        differs.append(f"number: {', '.join(f'{v:g}' for v in sorted(loose_b))} → "
                       f"{', '.join(f'{v:g}' for v in sorted(loose_a))}")
    # Another model or part of the same line (910C → 920C, H100 → H800) is another thing.
    shapes = {_shape(w): w for w in set(b.versions) - set(a.versions)}
    for v in sorted(set(a.versions) - set(b.versions)):
        if _shape(v) in shapes:
            differs.append(f"model: {shapes[_shape(v)]} → {v}")
            break
    swapped = _substitution(a, b, words)
    if swapped:
        differs.append(f"word: {swapped}")
    for stance in a.polarity:
        if OPPOSITE.get(stance) in b.polarity and stance not in b.polarity:
            differs.append(f"stance: {OPPOSITE[stance]} → {stance}")
            break
    if not cross and ("not" in a.polarity) != ("not" in b.polarity) and words >= 0.3:
        differs.append("negation")

    canon_a, canon_b = who_a | set(a.concepts), who_b | set(b.concepts)
    canon = canon_a & canon_b
    canon_share = len(canon) / min(len(canon_a), len(canon_b)) if canon_a and canon_b else 0.0
    implied = (who_a | set(a.implied)) & (who_b | set(b.implied))
    same_subject = bool(implied) or (a.names_topic and b.names_topic and bool(shared_places))
    # A large or precise figure, the same in both, is itself the subject: $100 billion, 79.8%, 2,048.
    telling = any(f.strong and (f.kind in ("money", "percent", "multiple") or f.value >= 10)
                  for i, f in enumerate(a.figures) if i in matched_a)
    founder = known.status == "new"  # weak matches anchor on a cluster's founding claim, never chain
    # One shared name is common ground for many claims of a topic (Xiaomi, Huawei); two are a subject.
    anchored = bool(shared) or len(shared_actors) + len(shared_places) >= 2
    # A claim that states a fact the other lacks adds to it: a figure (not the other currency a
    # Korean outlet gives in brackets), a date, or other actors.
    converted = any(f.kind == "money" and i in matched_a for i, f in enumerate(a.figures))
    adds = (any(f.strong and i not in matched_a and not (f.kind == "rank" and f.value == 1)  # "topped" = 1위
                and not (converted and f.kind == "money") for i, f in enumerate(a.figures))
            or (options.dates_add and any(f.kind == "date" and i not in matched_a
                                          and not any(g.unit == f.unit for g in b.dates)
                                          for i, f in enumerate(a.figures)))
            or (bool(who_b) and len(who_a - who_b) >= options.new_actors)
            or bool(set(a.versions) - set(b.versions) - who_b))
    # Weak evidence (shared ids, contained words, meaning) is weighed only in the full pass, where
    # the meaning can also speak against it: a cheap pass folds only what figures and words prove.
    weak_ok = founder and not adds and not cheap and (similarity is None or similarity >= options.weak_floor)
    evidence = (
        (bool(shared) and (telling or same_subject or cross or words >= 0.12 or (similarity or 0) >= 0.3))
        or (not adds and words >= options.words_alone)
        or (weak_ok and common >= options.contained_min and contained >= options.contained)
        or (weak_ok and same_subject and len(canon) >= options.canon_shared and canon_share >= options.canon_overlap
            and len(concepts[0] & concepts[1]) >= options.concepts_shared)
        # Meaning this close folds into the cluster whichever of its claims it meets: a restatement of a restatement.
        or (not adds and similarity is not None and similarity >= options.similar)
        or (weak_ok and similarity is not None and similarity >= options.similar_with_anchor and anchored)
    )
    repeat = evidence and not differs
    # What a differing slot makes an update of: the same report, whatever that slot adds.
    related = (evidence or bool(differs) and (words >= 0.3 or (similarity or 0) >= 0.6)
               or bool(conflicting) and (same_subject or words >= 0.1 or (similarity or 0) >= 0.4))
    entities = tuple(shared_actors + [f"in {p}" for p in shared_places])
    score = 2.0 * len(shared) + words + 0.5 * len(entities) + (similarity or 0.0)
    return Match(known, tuple(shared), entities, tuple(differs), tuple(conflicting), words, similarity, repeat,
                 related, score)


def states(fp: Fingerprint, f: Figure, options: NoveltyOptions) -> Figure | None:
    """The figure of ``fp`` that states ``f`` (the same kind and unit, or counts of things that agree,
    at the same value), if any."""
    return next((g for g in fp.figures if _comparable(f, g, (set(), set())) and _same(f, g, options)), None)


def _shape(code: str) -> str:
    return re.sub(r"[a-z]", "a", re.sub(r"\d", "#", code))


_VERBAL = re.compile(r"(?:다|했|한|하는|하고|하며|며|고|서|면|던|된|될|됐|는|은|을|를|이|가|게|지|죠|요)$")


def _substitution(a: Fingerprint, b: Fingerprint, words: float) -> str | None:
    """The same sentence with one name swapped for another (캠퍼스를 텍사스에 → 미시간에): the
    word that changed is the fact, even where no lexicon knows it. Only nouns count: another
    verb or ending is how outlets restate."""
    if a.script != b.script or words < 0.5 or a.script != "ko":
        return None
    only_a, only_b = set(a.words) - set(b.words), set(b.words) - set(a.words)
    if not (1 <= len(only_a) <= 2 and 1 <= len(only_b) <= 2):
        return None
    if any(_VERBAL.search(w) or w.isdigit() or len(w) < 2 for w in only_a | only_b):
        return None
    return f"{', '.join(sorted(only_b))} → {', '.join(sorted(only_a))}"


def decide(fp: Fingerprint, candidates: Sequence[tuple[KnownClaim, Fingerprint]], options: NoveltyOptions, *,
           cheap: bool = False, text: str = "") -> Decision:
    """``new``, ``repeat`` of the best-matching cluster, or ``new`` with the clusters whose facts it changes.

    ``cheap``: fold only on figures and words; what stays new is embedded and decided again in full.
    ``text``: the claim's sentence; one stored word for word (a syndicated copy) is a repeat at once."""
    if text:
        same = re.sub(r"\s+", "", text)
        copies = [k for k, _ in candidates if k.topic == fp.topic and re.sub(r"\s+", "", k.text) == same]
        if copies:
            first = min(copies, key=lambda k: k.status != "new")  # the founder, where it is among them
            return Decision("repeat", first.cluster, (), f"repeats cluster {first.cluster} word for word"
                            + (f"; first reported by {first.outlet}" if first.outlet else ""), verbatim=True)
    matches = [compare(fp, known, other, options, cheap=cheap) for known, other in candidates
               if known.topic == fp.topic]
    repeats = sorted((m for m in matches if m.repeat), key=lambda m: m.score, reverse=True)
    if repeats:
        best = repeats[0]
        parts = [f"repeats cluster {best.known.cluster}"]
        if best.shared_figures:
            parts.append("same figures: " + "; ".join(best.shared_figures))
        if best.shared_entities:
            parts.append("same actors and places: " + ", ".join(best.shared_entities))
        if best.words:
            parts.append(f"word overlap {best.words:.2f}")
        if best.similarity is not None:
            parts.append(f"meaning {best.similarity:.2f}")
        if best.known.outlet:
            parts.append(f"first reported by {best.known.outlet}")
        return Decision("repeat", best.known.cluster, (), "; ".join(parts), best.shared_figures,
                        best.shared_entities)
    updates = sorted((m for m in matches if m.related and m.differs), key=lambda m: m.score, reverse=True)
    conflicts = [m for m in updates if m.conflicting]
    if conflicts:
        clusters = tuple(dict.fromkeys(m.known.cluster for m in conflicts))
        detail = "; ".join(f"{'; '.join(m.conflicting)} (cluster {m.known.cluster})" for m in conflicts[:3])
        return Decision("new", None, clusters, "conflicting figures: " + detail)
    if updates:
        m = updates[0]
        return Decision("new", None, (), f"changes a fact of cluster {m.known.cluster}: " + "; ".join(m.differs[:3]))
    return Decision("new", None, (), "no stored claim shares its figures, names or words" if not matches
                    else f"closest of {len(matches)} candidates is not a restatement")


def new_cluster_id(claim: Claim, url: str) -> str:
    """Stable without a database sequence, so several workers never collide."""
    compact = re.sub(r"\s+", "", claim.text)
    digest = hashlib.sha1(f"{claim.topic}\n{url}\n{compact}".encode()).hexdigest()
    return f"{claim.topic}-{digest[:10]}"
