"""Novelty: is a claim new, a repeat of a known cluster, or new with a changed fact?

    fingerprint(claim, options, vector) -> Fingerprint   typed slots: figures, dates, actors, places, stance, meaning
    keys(fingerprint, options)          -> RetrievalKeys the store indexes it under (opaque to the store)
    decide(fingerprint, candidates)     -> Decision      new | repeat | new with conflicts, and why

The encoder (sentence embeddings across languages) sits behind a small protocol;
the lexicon is an optional enrichment in the options.
"""

from __future__ import annotations

from .decide import compare, decide, new_cluster_id
from .encoder import Encoder, MultilingualEncoder, NoEncoder, encoder_named
from .fingerprint import fingerprint, names_in
from .keys import RECENT, figure_keys, keys
from .story import continues_story
from .options import NoveltyOptions

__all__ = ["RECENT", "Encoder", "MultilingualEncoder", "NoEncoder", "NoveltyOptions", "compare", "continues_story",
           "decide", "encoder_named", "figure_keys", "fingerprint", "keys", "names_in", "new_cluster_id"]
