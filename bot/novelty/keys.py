"""Retrieval keys: what the store indexes a claim under, so that its likely matches are found by key,
not by scanning history. The store treats them as opaque strings; each says how many of the newest
claims under it to read (its fan-out), so a common key costs the same at a million claims as at ten
thousand."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from ..models import Fingerprint, RetrievalKey
from ..text.figures import MEASURES
from .options import NoveltyOptions

FANOUT = 50
BAND_FANOUT = 25      # word bands are common and the least specific
RECENT_FANOUT = 40    # the newest founding claims of a topic: where a restatement in another language is
RECENT = "recent"


def keys(fp: Fingerprint, options: NoveltyOptions, *, founder: bool = False) -> tuple[RetrievalKey, ...]:
    """Most specific first, at most ``options.max_keys``.

    Figures (with the buckets just below and above: 1.249 and 1.251 round apart),
    dates, measures (where an updated figure of the same thing is found), actors
    and places; min-hash bands of the words (two claims meet in a band with the
    probability of their word Jaccard); random-hyperplane bands of the embedding
    (they meet with a probability that grows with the cosine); and, for a claim
    that founds a cluster, the topic's recent founders.
    """
    out = list(figure_keys(fp, options))
    strong = [f for f in fp.figures if f.strong]
    out += [RetrievalKey(f"d|{f.unit}|{f.value:g}", FANOUT) for f in fp.dates[:2]]
    out += [RetrievalKey(f"m|{f.kind}|{f.unit}|{c}", FANOUT)
            for f in strong for c in sorted(set(f.context) & set(fp.concepts))][:4]
    out += [RetrievalKey(f"a|{a}", FANOUT) for a in (fp.actors + fp.names)[:6]]
    out += [RetrievalKey(f"p|{p}", FANOUT) for p in fp.places[:3]]
    if founder:
        out.append(RetrievalKey(RECENT, RECENT_FANOUT))
    if fp.words:
        hashes = [_band_hashes(t, options.token_bands) for t in fp.words]
        for band in range(options.token_bands):
            best = min(range(len(hashes)), key=lambda i: hashes[i][band])  # the first word of least hash
            out.append(RetrievalKey(f"w{band}|{fp.words[best]}", BAND_FANOUT))
    if fp.vector:
        out += [RetrievalKey(f"v{band}|{bits}", BAND_FANOUT)
                for band, bits in enumerate(_vector_bands(fp.vector, options.vector_bands, options.vector_bits))]
    # Keys are cut to the store's 200 characters; the few longer ones are rebuilt, the rest kept as they are.
    unique = list({k.text[:200]: k if len(k.text) <= 200 else RetrievalKey(k.text[:200], k.fanout)
                   for k in out}.values())
    return tuple(unique[:options.max_keys])


def figure_keys(fp: Fingerprint, options: NoveltyOptions) -> tuple[RetrievalKey, ...]:
    """The keys of a claim's first three figures, with the buckets just below and above each value."""
    out: list[RetrievalKey] = []
    for f in [f for f in fp.figures if f.strong][:3]:
        # What is counted is named in each language's own words (smartphones, 대, 台): a count meets
        # any count of the same value, as same_count_unit decides.
        unit = f.unit if f.kind != "count" or f.unit in MEASURES else ""
        for value in (f.value, f.value * (1 - options.same_value), f.value * (1 + options.same_value)):
            out.append(RetrievalKey(f"f|{f.kind}|{unit}|{value:.2g}", FANOUT))
    return tuple(out)


@lru_cache(maxsize=8192)  # news vocabulary repeats: most words were hashed for an earlier claim
def _band_hashes(token: str, bands: int) -> tuple[bytes, ...]:
    """The word's hash in every band: one cache look-up a word, not one a word and band."""
    return tuple(hashlib.blake2b(f"{band}:{token}".encode(), digest_size=8).digest() for band in range(bands))


@lru_cache(maxsize=8)
def _planes(dims: int, count: int) -> np.ndarray:
    # A fixed seed: every process, and every version that keeps it, draws the same hyperplanes.
    return np.random.default_rng(20250121).standard_normal((count, dims)).astype(np.float32)


def _vector_bands(vector: bytes, bands: int, bits: int) -> list[int]:
    v = np.frombuffer(vector, dtype=np.int8).astype(np.float32)
    signs = (_planes(v.size, bands * bits) @ v) > 0
    return [int("".join("1" if s else "0" for s in signs[b * bits:(b + 1) * bits]), 2) for b in range(bands)]
