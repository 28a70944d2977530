"""The novelty stage's one options object, built once by config.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..text import Lexicon


@dataclass(frozen=True, slots=True)
class NoveltyOptions:
    same_value: float = 0.03         # relative difference under which two figures are the same
    conflict_value: float = 0.25     # relative difference over which the same measure conflicts
    words_alone: float = 0.45        # content-word Jaccard that makes a repeat without figures (one script)
    contained: float = 0.5           # ... or this share of the shorter claim's words in the other ...
    contained_min: int = 4           # ... when they are at least this many
    canon_shared: int = 3            # shared lexicon ids (actors and concepts, not places) that make a repeat ...
    canon_overlap: float = 0.5       # ... when they are this share of the smaller claim's ids
    concepts_shared: int = 2         # ... and this many of them say what happened (block, download)
    similar: float = 0.72            # embedding cosine that alone makes a restatement
    similar_with_anchor: float = 0.5  # ... with a shared figure, actor or place and nothing that differs
    story_restated: int = 2          # known figures a page must restate to continue the topic's story
    weak_floor: float = 0.35         # meaning under which shared ids or words never make a restatement
    new_actors: int = 3
    dates_add: bool = False              # actors a claim names beyond the other's that make it add a fact
    token_bands: int = 8             # min-hash bands over content words
    vector_bands: int = 6            # random-hyperplane bands over the embedding ...
    vector_bits: int = 6             # ... of this many bits each
    max_keys: int = 40               # retrieval keys per claim, most specific first
    own_candidates: int = 32         # earlier claims of the same article a claim is compared with
    lexicon: Lexicon = field(default_factory=Lexicon)  # optional enrichment: names and concepts across languages
