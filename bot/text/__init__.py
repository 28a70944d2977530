"""The shared language toolkit: sentences, content words, figures, and terms for ko/zh/ja/en.

Pure functions and small frozen types; stages import from here as they do
from ``models``.
"""

from __future__ import annotations

from .figures import figures, parse_korean_amount, same_count_unit
from .names import GENERIC, named_entities
from .script import is_cjk, is_hangul, normalize, script_of
from .sentences import is_section_heading, sentences, split_sentences
from .terms import Folded, Lexicon, Term, TermIndex, TermSet, compact
from .tokens import content_tokens, strip_particle

__all__ = [
    "GENERIC", "Folded", "Lexicon", "named_entities", "Term", "TermIndex", "TermSet", "compact", "content_tokens", "figures", "is_cjk", "is_hangul",
    "is_section_heading", "normalize", "parse_korean_amount", "same_count_unit", "script_of", "sentences", "split_sentences",
    "strip_particle",
]
