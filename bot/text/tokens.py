"""Content words: particles, stop words and digits removed; CJK as character bigrams."""

from __future__ import annotations

import re

from .script import CJK_RANGE, HANGUL_RANGE, is_cjk, is_hangul, normalize

_KO_PARTICLES = sorted(
    """은 는 이 가 을 를 의 에 에서 에게 께서 로 으로 와 과 도 만 까지 부터 보다 처럼 이나 나 이며 며
    이고 고 이다 였다 이었다 에는 에서는 으로는 로는 와의 과의 에도 에서도 으로도 로도 만의 이라는 라는
    이란 란 마다 조차 밖에 하고 한테 인 적 들 들이 들은 들의 들을 들도 씩""".split(),
    key=len, reverse=True,
)
_STOPWORDS = {
    # Korean function words and vague nouns that carry no claim content.
    "것", "수", "등", "및", "이", "그", "저", "더", "또", "또한", "이번", "지난", "현재", "올해", "지난해",
    "우리", "돈", "약", "중", "위해", "대한", "통해", "따르면", "있다", "없다", "했다", "한다", "된다", "됐다",
    "밝혔다", "말했다", "전했다", "것으로", "있는", "하는", "이런", "그런", "같은", "때문", "관련",
    # English
    "the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "is", "are", "was", "were", "be", "been",
    "has", "have", "had", "that", "this", "with", "by", "at", "as", "from", "it", "its", "said", "says",
    "will", "would", "could", "than", "more", "about", "over", "into", "after", "also", "which", "who",
    # Chinese
    "的", "了", "在", "是", "和", "与", "及", "等", "将", "对", "也", "据", "称", "表示",
}
_WORD = re.compile(rf"[{HANGUL_RANGE}]+|[{CJK_RANGE}]+|[a-z0-9][a-z0-9\-]*", re.IGNORECASE)


_SHORT_STEM_PARTICLES = {"을", "를", "은", "는", "의", "에", "에서", "으로", "에게", "과", "와"}
_PARTICLE_END = re.compile("(?:" + "|".join(_KO_PARTICLES) + ")$")


def strip_particle(word: str) -> str:
    """Drop one particle from the end of a Korean word (딥시크는 -> 딥시크), longest first."""
    if not word or not is_hangul(word[-1]):
        return word
    for size in range(min(4, len(word) - 1), 0, -1):
        particle = word[-size:]
        if _PARTICLE_END.fullmatch(particle) is None:
            continue
        stem = len(word) - size
        if stem >= 2 or particle in _SHORT_STEM_PARTICLES:
            return word[:-size]
    return word


# A Sino-Korean verbal noun keeps its meaning whatever ending follows: 금지했다, 금지하였습니다,
# 금지한다, 금지됐다 and 금지 are one word for comparing claims.
_VERB_ENDING = re.compile(
    "^([\uac00-\ud7a3]{2,}?)(?:하였습니다|하였으며|하였다|하였고|했습니다|했으며|했지만|했는데|했다고|했다|했고|했던|"
    "합니다|한다고|한다|하고|하며|하는|하면|하여|해서|하기로|할|한|됐다|되었다|됐으며|됐고|된다|되는|된|될|"
    "시켰다|시킨다|시킨)$")


def stem(word: str) -> str:
    """The verbal noun of a Korean verb form (차단했다 -> 차단); other words as they are."""
    m = _VERB_ENDING.match(word)
    return m.group(1) if m else word


def content_tokens(text: str) -> tuple[str, ...]:
    """Order-free content words: particles, stop words and figures' digits removed.

    Chinese and Japanese runs become overlapping character bigrams, which is the
    usual stand-in for words in scripts without spaces.
    """
    out: set[str] = set()
    for m in _WORD.finditer(normalize(text)):
        w = m.group(0)
        if is_cjk(w[0]):
            out.update(w[i:i + 2] for i in range(max(1, len(w) - 1)) if w[i:i + 2] not in _STOPWORDS)
            continue
        w = stem(strip_particle(w))
        if w in _STOPWORDS or w.isdigit() or len(w) < 2:
            continue
        out.add(w)
    return tuple(sorted(out))
