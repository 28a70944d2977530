"""A claim's facts as typed slots: figures, dates, who, where, what happened, which way, and its meaning."""

from __future__ import annotations

import re
from dataclasses import replace

from ..models import Claim, Fingerprint
from ..text import GENERIC, Folded, content_tokens, named_entities, normalize, script_of
from .options import NoveltyOptions

# Stances that reverse a claim, in the shipped languages. Each pair is opposite: a claim that bans
# is not a repeat of one that allows, whatever else they share.
_STANCES: dict[str, re.Pattern[str]] = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
    "ban": r"금지|차단|제한했|\bban(?:s|ned)?\b|\bblock(?:s|ed|ing)?\b|prohibit|restrict|禁止|封禁|禁用|限制|屏蔽|禁じ|遮断|"
           r"interdi|prohíb|bloque[óa]|proíb|bloquei|verbiet|verbot|запрет|блокир",
    "allow": r"허용|허가|해제|\ballow(?:s|ed)?\b|\bpermit(?:s|ted)?\b|lift(?:s|ed)? (?:the|its) ban|允许|解禁|许可|許可|"
             r"autoris|permiti[óo]|permitiu|erlaub|разреш",
    "confirm": r"확인했|인정했|시인|\bconfirm(?:s|ed)?\b|\badmit(?:s|ted)?\b|acknowledg|证实|承认|確認し|confirm[óé]|"
               r"confirmou|bestätig|подтверд",
    "deny": r"부인|부정했|\bden(?:y|ies|ied)\b|否认|否定|否認|dément|desmint|negó|negou|dementier|опроверг",
    "approve": r"승인|\bapprov(?:e|es|ed)\b|批准|承認|aprob[óo]|aprovou|genehmig|одобр",
    "reject": r"거부|거절|\breject(?:s|ed)?\b|\brefus(?:e|es|ed)\b|拒绝|拒否|rechaz|recus|ablehn|отклон|отказ",
    "rise": r"상승|증가|급등|늘었|\bros(?:e|en)\b|\brises?\b|\bincreas(?:e|es|ed)\b|\bjump(?:s|ed)?\b|\bsurg(?:e|es|ed)\b|"
            r"上涨|增长|上升|上昇|hausse|aument|subi[óu]|stieg|вырос|рост",
    "fall": r"하락|감소|급락|줄었|\bf[ae]ll(?:s)?\b|\bdrop(?:s|ped)?\b|\bdeclin(?:e|es|ed)\b|\bplung(?:e|es|ed)\b|下跌|下降|"
            r"减少|下落|baisse|caíd|cayó|queda|caiu|fiel|паден|снизил|упал",
    "not": r"\bnot\b(?!\s+(?:only|just|least|yet\s+clear)\b)|n't\b|\bnever\b|no longer|않|못했|못한다|아니다|并不|没有|未能|不会|不是|ません|ない。|\bpas\b|"
           r"\bnão\b|\bnicht\b|\bkein|\bне\b",
}.items()}
OPPOSITE = {"ban": "allow", "allow": "ban", "confirm": "deny", "deny": "confirm", "approve": "reject",
            "reject": "approve", "rise": "fall", "fall": "rise"}


def fingerprint(claim: Claim, options: NoveltyOptions, vector: bytes = b"") -> Fingerprint:
    """Slots for the decision. Lexicon ids where the lexicon knows a name, place or concept
    (이탈리아 -> italy, 차단 -> block); names as written where it does not. Each figure's
    context gains the concepts around it, so "$500 billion to invest" meets "5000억 달러를 투자"."""
    text = claim.text
    lexicon = options.lexicon
    folded = Folded.of(text)
    # The topic itself is common ground of every claim about it, not an actor that tells two apart.
    own = set(lexicon.entities_in(Folded.of(" ".join(claim.topic_terms)))) if claim.topic_terms else set()
    own_names = {normalize(t).replace(" ", "") for t in claim.topic_terms}
    actors = tuple(a for a in lexicon.entities_in(folded) if a not in own)
    names = tuple(n for n in _other_names(text, options) if n.replace(" ", "") not in own_names)
    # "The companies" and "양사" are who the sentence before named: a crude coreference, enough to
    # tell OpenAI's $500B from Apple's.
    implied = () if actors or names or not claim.before else names_in(claim.before, options)
    figures = tuple(replace(f, context=f.context + tuple(lexicon.concept_ids_in(Folded.of(_window(text, f.text)))))
                    for f in claim.figures)
    return Fingerprint(
        topic=claim.topic, script=script_of(text), names_topic=claim.names_topic, figures=figures,
        actors=actors, names=names, implied=implied, places=tuple(lexicon.places_in(folded)),
        concepts=tuple(lexicon.concept_ids_in(folded)),
        words=content_tokens(text), polarity=tuple(name for name, p in _STANCES.items() if p.search(text)),
        versions=versions_in(text), vector=vector)


# Codes that mix letters and digits name a model or part (H800, R1, Ascend 910C, GPT-4o); a number
# with its unit (10GW, 7nm, $10B, 64K) is a figure, read elsewhere.
# A code may end before a Korean particle (V3.1을, H800으로); a year inside it makes it a date or a
# disease (Q1-2025, COVID-19), not a model.
_CODE = re.compile(r"(?<![A-Za-z0-9.])(?=[A-Za-z0-9.-]*\d)(?=[A-Za-z0-9.-]*[A-Za-z])[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*"
                   r"(?![A-Za-z0-9])")
_YEAR_IN_CODE = re.compile(r"(?:^|\D)(?:19|20)\d\d(?:\D|$)|^covid", re.IGNORECASE)
_UNIT_ONLY = re.compile(r"\d+(?:[.,]\d+)?(?:k|m|b|bn|t|tn|gw|mw|kw|gwh|nm|mm|cm|km|kg|gb|tb|mb|g|x|s|st|nd|rd|th|pm|am)",
                        re.IGNORECASE)


def versions_in(text: str) -> tuple[str, ...]:
    """Model and part codes, case-folded, once each."""
    codes = (m.group(0) for m in _CODE.finditer(text))
    return tuple(dict.fromkeys(_singular_code(c.casefold()) for c in codes
                               if not _UNIT_ONLY.fullmatch(c) and not _YEAR_IN_CODE.search(c)))


def _singular_code(code: str) -> str:
    return code[:-1] if code.endswith("s") and code[-2:-1].isdigit() else code  # 400,000 GB200s


def _window(text: str, figure: str) -> str:
    at = text.find(figure)
    return text if at < 0 else text[max(0, at - 40):at + len(figure) + 30]


def _other_names(text: str, options: NoveltyOptions) -> tuple[str, ...]:
    known = options.lexicon.names
    return tuple(n for n in named_entities(text) if n not in GENERIC and normalize(n).replace(" ", "") not in known)


def names_in(text: str, options: NoveltyOptions) -> tuple[str, ...]:
    """Who a sentence names, for "the company" in the next one: lexicon actors, then other names."""
    return tuple(dict.fromkeys(list(options.lexicon.entities_in(Folded.of(text))) + list(_other_names(text, options))))
