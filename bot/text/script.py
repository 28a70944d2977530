"""Script classes and the matching form of text, shared by the rest of the toolkit."""

from __future__ import annotations

import re
import unicodedata

HANGUL_RANGE = "\uac00-\ud7a3"
CJK_RANGE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"


def normalize(text: str) -> str:
    """Fold width and compatibility forms for matching; never for text shown to people."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def is_cjk(ch: str) -> bool:
    return _CJK.match(ch) is not None


_CJK = re.compile(f"[{CJK_RANGE}]")
_SCRIPTS = {"ko": re.compile(f"[{HANGUL_RANGE}]"), "cjk": re.compile(f"[{CJK_RANGE}]"), "latin": re.compile("[A-Za-z]")}


def script_of(text: str) -> str:
    """The script most of the text is written in: "ko", "cjk" or "latin"."""
    return max(_SCRIPTS, key=lambda name: len(_SCRIPTS[name].findall(text)))
