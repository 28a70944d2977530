"""Sentences, tokens and figures for Korean, Chinese, Japanese and Latin-script text.

Sentence splitting is rule based: it handles the run-together sentences that
scraped Korean pages are full of (``현실이다.동영상을``), quotes that close after
the full stop, decimals, Latin abbreviations and CJK stops. It costs microseconds
per sentence, so it runs on every paragraph; see the README's design notes for
the comparison with kiwipiepy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from .models import Figure, Sentence

# Characters that end a sentence, and closers that may follow them.
_STOPS = ".!?。！？"
_CLOSERS = "\"'”’」』)]）》〉"
_HANGUL = "\uac00-\ud7a3"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_SECTION_MARK = re.compile(r"^\s*(?:[◇◆■□▶▷●○★☆]|#{1,4}\s|\[[^\]]{2,40}\]$|<[^>]{2,40}>$)")

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co", "corp",
    "no", "fig", "gen", "gov", "sen", "rep", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "approx", "est", "dept", "univ", "e.g", "i.e", "u.s",
    "u.k", "u.n", "a.m", "p.m",
}

_BOUNDARY = re.compile(
    rf"(?P<stop>[{re.escape(_STOPS)}]+|…+|\.\.\.)(?P<close>[{re.escape(_CLOSERS)}]*)(?P<space>\s*)"
)


def normalize(text: str) -> str:
    """Fold width and compatibility forms for matching; never for text shown to people."""
    return unicodedata.normalize("NFKC", text).casefold()


# --- terms: aliases and keywords matched insensitive to case, width and spacing ----------

_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_LATIN_EDGE = re.compile(r"[a-z0-9]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")


def compact(folded: str) -> str:
    return re.sub(r"\s+", "", folded)


@dataclass(frozen=True, slots=True)
class Term:
    """One alias or keyword, matched insensitive to case, width and spacing.

    Latin terms use a word-boundary pattern (DeepSeek's matches, deepseeker
    does not). Other scripts are compared on the text with all spaces removed,
    so 다크 팩토리 = 다크팩토리, and particles may follow (딥시크가, 딥시크의).
    """

    text: str
    pattern: re.Pattern[str]
    hangul: bool
    plain: bool               # matched as a substring of the space-free text
    compact: str
    words: frozenset[str]     # Latin words that must all occur before the pattern is tried

    @classmethod
    def compile(cls, text: str) -> Term:
        """A trailing ``*`` on a Latin term matches any ending: ``block*`` = block, blocks, blocked."""
        folded = normalize(text).strip()
        prefix = folded.endswith("*")
        folded = folded.rstrip("*")
        squeezed = compact(folded)
        latin = squeezed.isascii()
        body = re.escape(folded).replace(r"\ ", r"[\s\-]+") if latin else r"\s*".join(re.escape(c) for c in squeezed)
        head = r"(?<![a-z0-9])" if _LATIN_EDGE.match(squeezed[0]) else ""
        tail = r"[a-z0-9]*" if prefix else r"(?![a-z0-9])" if _LATIN_EDGE.match(squeezed[-1]) else ""
        plain = not latin and not (head or tail)
        words = _LATIN_WORD.findall(folded)
        if prefix and words:
            words = words[:-1]  # the last word is only a prefix of what the text holds
        return cls(text=text, pattern=re.compile(head + body + tail), hangul=bool(_HANGUL_RE.search(squeezed)),
                   plain=plain, compact=squeezed, words=frozenset(words))

    def finditer(self, folded: str) -> Iterable[re.Match[str]]:
        return self.pattern.finditer(folded)

    def search(self, folded: str, squeezed: str | None = None, words: frozenset[str] | None = None) -> bool:
        if self.plain:
            return self.compact in (squeezed if squeezed is not None else compact(folded))
        if words is not None and not self.words <= words:
            return False
        return self.pattern.search(folded) is not None


@dataclass(frozen=True, slots=True)
class TermSet:
    """Terms tested together cheaply: substring tests, and word-set checks before any regex."""

    terms: tuple[Term, ...]
    plain: tuple[str, ...]
    others: tuple[Term, ...]

    @classmethod
    def of(cls, terms: tuple[Term, ...]) -> TermSet:
        return cls(terms, tuple(t.compact for t in terms if t.plain), tuple(t for t in terms if not t.plain))

    def any(self, text: Folded) -> bool:
        return any(p in text.squeezed for p in self.plain) or \
            any(t.search(text.folded, text.squeezed, text.words) for t in self.others)

    def which(self, text: Folded) -> list[str]:
        return [t.text for t in self.terms if t.search(text.folded, text.squeezed, text.words)]


@dataclass(frozen=True, slots=True)
class Folded:
    """A sentence (or article) in every form the matchers need, computed once."""

    folded: str
    squeezed: str
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Folded:
        folded = normalize(text)
        return cls(folded, compact(folded), frozenset(_LATIN_WORD.findall(folded)))


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Cross-language names: each entry is one entity or concept, written in several languages.

    It lets a Korean and an English sentence about the same thing share
    identifiers (이탈리아 = Italy = 意大利 -> ``italy``; 차단 = block = 封禁 -> ``~block``),
    which their words alone never would.
    """

    entities: tuple[tuple[str, TermSet], ...] = ()
    places: tuple[tuple[str, TermSet], ...] = ()
    concepts: tuple[tuple[str, TermSet], ...] = ()

    @classmethod
    def build(cls, entities: dict[str, list[str]], places: dict[str, list[str]],
              concepts: dict[str, list[str]]) -> Lexicon:
        def compiled(groups: dict[str, list[str]]) -> tuple[tuple[str, TermSet], ...]:
            return tuple((key, TermSet.of(tuple(Term.compile(w) for w in words if w.strip())))
                         for key, words in groups.items())

        return cls(compiled(entities), compiled(places), compiled(concepts))

    def entities_in(self, text: Folded) -> list[str]:
        """Entity ids, then place ids marked with ``@``."""
        return [key for key, terms in self.entities if terms.any(text)] + \
            ["@" + key for key, terms in self.places if terms.any(text)]

    def words_of(self) -> frozenset[str]:
        """Every surface form the lexicon knows, folded: names it already covers."""
        return frozenset(t.compact for _, terms in self.entities + self.places for t in terms.terms)

    def concepts_in(self, text: Folded) -> list[str]:
        return ["~" + key for key, terms in self.concepts if terms.any(text)]


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def is_cjk(ch: str) -> bool:
    return bool(re.match(f"[{_CJK}]", ch))


def _is_boundary(text: str, m: re.Match[str]) -> bool:
    stop, close, space = m.group("stop"), m.group("close"), m.group("space")
    start, end = m.start(), m.end()
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if not after:
        return True
    if stop[0] in "。！？":
        return True
    if stop.startswith("…") or stop == "...":
        return bool(space) and (after.isupper() or is_hangul(after) or is_cjk(after) or after in "\"'“‘")
    if stop == "." and not close:
        if before.isdigit() and after.isdigit():
            return False  # 1.5배
        word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[:start])
        if word:
            w = word.group(1).lower().rstrip(".")
            if w in _ABBREVIATIONS or len(w) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):
                return False  # U.S., Mr., initials
        if before.isdigit() and not space:
            return False  # 1.Numbered or 3.0
    if space:
        return not after.islower()
    # Run-together text: a stop glued to the next sentence.
    if is_hangul(after) or is_cjk(after) or after in "\"'“‘[(":
        return is_hangul(before) or is_cjk(before) or bool(close) or before in ")」』"
    return after.isupper() and (before.islower() or bool(close))


def split_sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        if _is_boundary(paragraph, m):
            piece = paragraph[start:m.end()].strip()
            if piece:
                out.append(piece)
            start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def is_section_heading(line: str) -> bool:
    return bool(_SECTION_MARK.match(line)) and len(line) <= 80


def sentences(text: str) -> list[Sentence]:
    """Split cleaned text into sentences that know their paragraph and section.

    A section starts at a heading line (◇, ■, ## …); a paragraph is a line.
    Topic attribution later works within these passages.
    """
    result: list[Sentence] = []
    section = 0
    for passage, line in enumerate(p for p in text.split("\n") if p.strip()):
        if is_section_heading(line):
            section += 1
        for piece in split_sentences(line):
            result.append(Sentence(text=piece, index=len(result), passage=passage, section=section))
    return result


# --- tokens -----------------------------------------------------------------

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
_WORD = re.compile(rf"[{_HANGUL}]+|[{_CJK}]+|[a-z0-9][a-z0-9\-]*", re.IGNORECASE)


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
        w = strip_particle(w)
        if w in _STOPWORDS or w.isdigit() or len(w) < 2:
            continue
        out.add(w)
    return tuple(sorted(out))


# --- figures ----------------------------------------------------------------

_NUM = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
_KO_BIG = {"만": 1e4, "억": 1e8, "조": 1e12, "경": 1e16}
_ZH_BIG = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "万亿": 1e12, "兆": 1e12}
_EN_BIG = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
           "b": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12}
_CURRENCY = {
    "원": "KRW", "krw": "KRW", "₩": "KRW", "won": "KRW",
    "달러": "USD", "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "美元": "USD", "ドル": "USD",
    "위안": "CNY", "元": "CNY", "韩元": "KRW", "日元": "JPY", "港元": "HKD", "yuan": "CNY", "cny": "CNY", "rmb": "CNY", "人民币": "CNY", "위안화": "CNY",
    "엔": "JPY", "円": "JPY", "yen": "JPY", "jpy": "JPY", "¥": "JPY",
    "유로": "EUR", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
    "파운드": "GBP", "£": "GBP", "gbp": "GBP",
}
_COUNTERS = {
    "명": "people", "people": "people", "workers": "people", "employees": "people", "人": "people", "名": "people",
    "개": "items", "대": "units", "곳": "sites", "건": "cases", "종": "kinds", "층": "layers", "톤": "tons",
    "units": "units", "robots": "units", "台": "units", "个": "items", "家": "sites", "층의": "layers",
    "tons": "tons", "吨": "tons", "메가와트": "MW", "mw": "MW", "gw": "GW", "기가와트": "GW", "兆瓦": "MW",
    "gigawatt": "GW", "gigawatts": "GW", "megawatt": "MW", "megawatts": "MW", "吉瓦": "GW",
    "나노": "nm", "nm": "nm",
}

_KO_AMOUNT = re.compile(
    rf"(?P<amount>(?:{_NUM}\s*[만억조경]\s*)+(?:{_NUM})?|{_NUM})\s*(?P<unit>원|달러|위안화|위안|엔|유로|파운드)?"
)
_ZH_AMOUNT = re.compile(rf"(?P<num>{_NUM})\s*(?P<big>万亿|万|萬|亿|億|兆)?\s*(?P<unit>美元|欧元|韩元|日元|港元|人民币|元|円|ドル)")
_EN_AMOUNT = re.compile(
    rf"(?P<sym>[$€£₩¥])\s*(?P<num>{_NUM})\s*(?P<big>trillion|billion|million|thousand|tn|bn|mn|[kmbt])?\b"
    rf"|(?P<num2>{_NUM})\s*(?P<big2>trillion|billion|million|thousand|tn|bn|mn)?\s*"
    r"(?P<unit>dollars?|usd|yuan|cny|rmb|won|krw|yen|jpy|euros?|eur)\b",
    re.IGNORECASE,
)
_HALF = re.compile(r"half\s+a\s+(?P<big>trillion|billion|million)\s+(?P<unit>dollars?|yuan|euros?|won|yen)",
                   re.IGNORECASE)
_PERCENT = re.compile(rf"(?P<num>{_NUM})\s*(?:%|％|퍼센트|percent\b|per cent\b)|百分之(?P<zh>{_NUM})", re.IGNORECASE)
_MULTIPLE = re.compile(rf"(?P<num>{_NUM})\s*(?:배|倍|x\b|×|times\b|-fold\b|fold\b)", re.IGNORECASE)
_FRACTION = re.compile(rf"(?P<den>{_NUM})\s*분의\s*(?P<nom>{_NUM})|(?P<zden>{_NUM})\s*分之\s*(?P<znom>{_NUM})")
_RANK = re.compile(rf"(?P<num>{_NUM})\s*(?:위|등|位)(?![a-z])|(?:no\.|number)\s*(?P<en>{_NUM})\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:년|年)")
_DURATION = re.compile(rf"(?P<num>{_NUM})\s*(?P<u>년|개월|주|일|시간|years?|months?|weeks?|days?|hours?|天|个月|小时|周)"
                       r"\s*(?:간|동안|에 걸쳐|연속|이내|만에)?", re.IGNORECASE)
_COUNT = re.compile(
    rf"(?P<num>{_NUM})\s*(?P<big>[만억천])?\s*(?P<unit>명|개|대|곳|건|종|층|톤|메가와트|기가와트|나노|人|名|台|个|家|吨|兆瓦"
    r"|people|workers|employees|units|robots|tons|mw|gw|nm|gigawatts?|megawatts?|吉瓦)(?![a-z])",
    re.IGNORECASE,
)


_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_WORD_NUMBER = re.compile(r"(?<![a-z])(?<!half )(" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) +
                          r")(?=\s+(?:gigawatts?|megawatts?|trillion|billion|million)\b)", re.IGNORECASE)


def _to_float(num: str) -> float:
    return float(num.replace(",", "").replace("，", ""))


def parse_korean_amount(amount: str) -> float | None:
    """``1경4,578조`` -> 1.4578e16, ``2만 5000`` -> 25000, ``9조3052억`` -> 9.3052e12."""
    total = 0.0
    rest = amount.replace(" ", "")
    for num, big in re.findall(rf"({_NUM})([만억조경]?)", rest):
        value = _to_float(num)
        total += value * _KO_BIG[big] if big else value
    return total or None


def figures(text: str) -> tuple[Figure, ...]:
    """Every figure in a sentence as (value, unit, kind), comparable across languages."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: float, unit: str, kind: str) -> None:
        span = (m.start(), m.end())
        if any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        window = folded[max(0, span[0] - 24):span[0]] + " " + folded[span[1]:span[1] + 16]
        context = tuple(t for t in content_tokens(window) if not any(ch.isdigit() for ch in t))
        found.append(Figure(value=round(value, 6), unit=unit, kind=kind, text=m.group(0).strip(),  # type: ignore[arg-type]
                            context=context))

    folded = unicodedata.normalize("NFKC", text)
    # "one gigawatt", "two billion dollars": spelled-out small numbers become digits first.
    folded = _WORD_NUMBER.sub(lambda m: str(_WORD_NUMBERS[m.group(1).lower()]), folded)
    for m in _HALF.finditer(folded):
        add(m, 0.5 * _EN_BIG[m.group("big").lower()], _CURRENCY.get(m.group("unit").lower(), "USD"), "money")
    for m in _ZH_AMOUNT.finditer(folded):
        big = _ZH_BIG.get(m.group("big") or "", 1)
        add(m, _to_float(m.group("num")) * big, _CURRENCY[m.group("unit")], "money")
    for m in _EN_AMOUNT.finditer(folded):
        if m.group("sym"):
            sym = "$" if m.group("sym") == "$" else m.group("sym")
            big = _EN_BIG.get((m.group("big") or "").lower(), 1)
            add(m, _to_float(m.group("num")) * big, _CURRENCY.get(sym, "USD"), "money")
        else:
            big = _EN_BIG.get((m.group("big2") or "").lower(), 1)
            add(m, _to_float(m.group("num2")) * big, _CURRENCY[m.group("unit").lower()], "money")
    for m in _FRACTION.finditer(folded):
        den = m.group("den") or m.group("zden")
        nom = m.group("nom") or m.group("znom")
        if _to_float(den):
            add(m, _to_float(nom) / _to_float(den), "x", "multiple")
    for m in _PERCENT.finditer(folded):
        add(m, _to_float(m.group("num") or m.group("zh")), "%", "percent")
    for m in _MULTIPLE.finditer(folded):
        add(m, _to_float(m.group("num")), "x", "multiple")
    for m in _YEAR.finditer(folded):
        add(m, float(m.group("y")), "year", "date")
    for m in _RANK.finditer(folded):
        add(m, _to_float(m.group("num") or m.group("en")), "rank", "rank")
    for m in _KO_AMOUNT.finditer(folded):
        if not m.group("unit") and not re.search("[만억조경]", m.group("amount")):
            continue
        value = parse_korean_amount(m.group("amount"))
        if value is None:
            continue
        unit = m.group("unit")
        if unit:
            add(m, value, _CURRENCY[unit], "money")
        elif not re.match(r"\s*(?:명|개|대|곳|건|종|층|톤)", folded[m.end():]):
            add(m, value, "", "number")
    for m in _COUNT.finditer(folded):
        big = {"만": 1e4, "억": 1e8, "천": 1e3}.get(m.group("big") or "", 1)
        add(m, _to_float(m.group("num")) * big, _COUNTERS[m.group("unit").lower()], "count")
    for m in _DURATION.finditer(folded):
        unit = m.group("u").lower().rstrip("s")
        unit = {"년": "year", "개월": "month", "주": "week", "일": "day", "시간": "hour", "天": "day", "个月": "month",
                "小时": "hour", "周": "week"}.get(unit, unit)
        add(m, _to_float(m.group("num")), unit, "duration")
    return tuple(found)


