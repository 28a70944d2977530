"""Feed text made inert for Slack mrkdwn, and Slack's limits.

Everything that came from a feed reaches Slack inert: escaped (&, <, >), stripped of control and
invisible format characters, its mrkdwn markers (* _ ~ `) swapped for look-alikes and its URLs
defanged. Limits are checked on the escaped text, never before escaping.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_MESSAGE_CHARS = 40_000
MAX_URL_CHARS = 1000   # a link's length after escaping; a longer one is shown as plain outlet text
# Invisible letters and symbols that are not format characters (category Cf) but hide text all the same.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")
# Slack mrkdwn markers in article text become look-alikes, so a claim never turns bold, struck or code.
_MARKERS = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|slack)(:/*)")

def visible(text: str | None) -> str:
    """Text without control, format (U+2060, U+061C, U+180E, bidi, tags …) or filler characters."""
    return "".join(ch for ch in text or "" if ch == "\n" or (
        ch not in _FILLERS and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")))


def escape(text: str | None) -> str:
    """Slack mrkdwn escaping for feed-derived text: it can then mention no one and link nowhere."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str | None) -> str:
    """Feed text as Slack shows it: escaped, no formatting markers, no URL Slack could link."""
    return _SCHEME.sub(r"\1[:]", escape(text).translate(_MARKERS))


def safe_url(url: str | None) -> str | None:
    """Only http(s), nothing that could close Slack's <url|label>, and short enough once escaped."""
    if not url or not re.match(r"^https?://[^\s<>|]+$", url):
        return None
    escaped = url.replace("&", "&amp;")
    return escaped if len(escaped) <= MAX_URL_CHARS else None


def trim(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(",;:") + "…"


def cap(mrkdwn: str, limit: int) -> str:
    """A last guard on already-escaped text: cut at a space, never inside an &entity; or a <link>."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    cut = re.sub(r"&[a-z]{0,4}$|<[^>]*$", "", cut)
    return cut + "…"


