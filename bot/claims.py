"""Which topic sentences are claims: checkable assertions, scored feature by feature.

For a claim: figures (amounts, percentages, multiples, counts, ranks), named
entities, attribution (밝혔다, according to, 据…报道), records and superlatives,
a reported event in the past tense, and the topic being the grammatical subject.
Against: questions, exclamations, greetings and sign-offs, opinion and hedging.
Every score comes with its reasons so ``claimbot topics test`` can show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .models import Claim, Figure, Sentence, TopicResult
from .text import figures, is_section_heading, named_entities, normalize

_ATTRIBUTION = re.compile(
    r"밝혔|전해졌|전해지|파악됐|파악되|분석이\s*나왔|분석이\s*나온|분석(?:이)?다|알려졌|알려진|보도했|전했|말했|발표했|"
    r"공개했|집계됐|나타났|추정했|추산|확인됐|드러났|지적이다|관측이\s*나|전망이다|평가했|공언|설명했|강조했|"
    r"해명했|반박했|주장했|지적했|[”\"]\s*(?:라|이라)?(?:고|며)\s|直言|坦言|指出|强调|強調|透露|"
    r"에\s*따르면|according\s+to|\bsaid\b|\bsays\b|\breported\b|\bannounced\b|\bstated\b|\bestimated?\b|"
    r"\bconfirmed\b|\bdisclosed\b|据.{0,20}(?:报道|消息|透露|显示)|表示|宣布|披露|称|"
    # de, fr, es, pt, it, ru, ja, vi, id: "according to", "said", "announced"
    r"\b(?:laut|zufolge|sagte|teilte\s+mit|kündigte|selon|d'après|a\s+(?:déclaré|annoncé|indiqué)|según|dijo|afirmó|"
    r"anunció|informó|de\s+acordo\s+com|disse|afirmou|anunciou|stando\s+a|ha\s+(?:dichiarato|annunciato)|menurut|"
    r"mengatakan)\b|^\W*(?:Segundo|Según)\s+[A-Z]|"
    r"по\s+данным|по\s+словам|заявил|сообщил|объявил|によると|と発表|と述べ|としている|と明らかに|表示|透露|據悉|据悉|theo\s|cho\s+biết|công\s+bố",
    re.IGNORECASE,
)
_RECORD = re.compile(
    r"세계\s*(?:최대|최초|최고|1위)|역대\s*(?:최대|최고|최저)|사상\s*(?:최대|최고|처음)|최초|처음으로|1위|"
    r"\b(?:largest|biggest|first|record|highest|lowest|world'?s)\b|最大|首次|首个|第一|创纪录",
    re.IGNORECASE,
)
_PAST_EVENT = re.compile(r"[았었였했됐갔왔났졌렸웠켰혔섰냈]\s*(?:다|으며|고|는데|지만|습니다|어요|다는|던)|"
                         r"\b\w+ed\b|了|已经|已")
# Korean headlines and subheads state a fact with a noun: "민간기업도 딥시크 사용 금지", "연간 1000만대 가동".
_HEADLINE_STATEMENT = re.compile(r"(?:금지|제한|차단|반박|가동|출시|공개|돌파|투자|발표|선언|확대|추진|합의|인수|체결|착수|"
                                 r"철수|허용|승인|도입|개발|생산|달성|기록|급등|급락|상승|하락|감소|증가|축소|연기|중단|"
                                 r"전망|논란|의혹|제기)[\"'”’」』)]*\s*$")
_DECLARATIVE_END = re.compile(r"(?:다|니다|요|。|\.)[\"'”’」』)]*\s*$")
_AGAINST = (
    (re.compile(r"[?？]\s*[\"'”’]?\s*$"), -3.0, "question"),
    (re.compile(r"[!！]\s*[\"'”’]?\s*$"), -2.0, "exclamation"),
    (re.compile(r"^.{0,30}(?:입니다|이었습니다|였습니다)\.?\s*$"), -0.5, "sign-off style"),
    (re.compile(r"^(?:안녕하|감사합니다|지금까지|이상\s|thank you|thanks for|hello)", re.IGNORECASE), -3.0, "greeting"),
    (re.compile(r"것\s*같|생각한다|생각합니다|두렵다|해야\s*한다|해야\s*합니다|바란다|\bI think\b|\bshould\b|"
                r"\bin my view\b|我认为|应该", re.IGNORECASE), -1.5, "opinion"),
    (re.compile(r"(?:네요|겠죠|죠|군요|ㅋ|ㅎㅎ)\.?\s*$"), -1.0, "conversational"),
)
_SUBJECT_PARTICLE = re.compile(r"^(?:은|는|이|가|도|의\s|'s\s|\s+(?:is|was|has|had|will|said|says)\b|"
                               r"(?:可|已|将|在|正|是|的|已经|实现|生产|发布|宣布|表示|称))")


@dataclass(frozen=True, slots=True)
class ClaimOptions:
    threshold: float = 1.5
    max_chars: int = 600
    min_chars: int = 12
    max_per_article: int = 12    # claims kept per article and topic, the most check-worthy first
    max_per_document: int = 200  # all claims of one page, whatever names the topic: a 4,000-claim page is an attack
    key_claims: int = 3         # of those, the key claims a digest shows first
    lead_bonus: float = 0.5     # news states its main facts first


def score_sentence(text: str, topic_terms: tuple[str, ...] = ()) -> tuple[float, list[str], tuple[Figure, ...]]:
    """Score one sentence; pure, so the topics test command can show the reasons."""
    score = 0.0
    reasons: list[str] = []
    figs = figures(text)
    strong = [f for f in figs if f.strong]
    dated = [f for f in figs if f.kind in ("date", "duration")]
    if strong:
        score += 2.0
        reasons.append("figure " + ", ".join(f.text for f in strong[:3]))
    elif dated:
        score += 1.0
        reasons.append("date or duration " + dated[0].text)
    elif figs:
        score += 0.5
        reasons.append("number " + figs[0].text)
    if _ATTRIBUTION.search(text):
        score += 1.5
        reasons.append("attribution")
    if _RECORD.search(text):
        score += 1.0
        reasons.append("record or superlative")
    if _PAST_EVENT.search(text):
        score += 1.0
        reasons.append("reported event")
    if _DECLARATIVE_END.search(text):
        score += 0.5
        reasons.append("declarative")
    elif _HEADLINE_STATEMENT.search(text):
        score += 1.5
        reasons.append("headline statement")
    entities = named_entities(text, topic_terms)
    if entities:
        score += min(1.0, 0.5 * len(entities))
        reasons.append("entities " + ", ".join(entities[:3]))
    folded = normalize(text)
    for term in topic_terms:
        at = folded.find(normalize(term))
        if at >= 0 and _SUBJECT_PARTICLE.match(folded[at + len(normalize(term)):]):
            score += 1.0
            reasons.append(f"{term} is the subject")
            break
    attributed = "attribution" in reasons
    for pattern, weight, label in _AGAINST:
        if label == "opinion" and attributed:
            continue  # who said what is checkable, whatever they said
        if pattern.search(text):
            score += weight
            reasons.append(label)
    if len(re.sub(r"\s", "", text)) < 12:
        score -= 2.0
        reasons.append("too short")
    return score, reasons, figs


def find_claims(sents: list[Sentence], topics: TopicResult, options: ClaimOptions) -> list[Claim]:
    """Score every topic sentence and keep those above the threshold, once per topic and text."""
    claims: list[Claim] = []
    seen: set[tuple[str, str]] = set()
    named: dict[tuple[str, int], tuple[str, ...]] = {}
    for hit in topics.hits:
        if hit.how == "alias":
            named[(hit.topic, hit.sentence)] = hit.terms
    for hit in topics.hits:
        sentence = sents[hit.sentence]
        text = sentence.text
        if is_section_heading(text) or not options.min_chars <= len(text) <= options.max_chars * 4:
            continue
        key = (hit.topic, re.sub(r"\s+", "", text))
        if key in seen:
            continue  # a sentence printed twice is one claim
        terms = named.get((hit.topic, hit.sentence), ())
        score, reasons, figs = score_sentence(text, terms)
        if score < options.threshold:
            continue
        seen.add(key)
        before = sents[hit.sentence - 1] if hit.sentence else None
        claims.append(Claim(topic=hit.topic, text=text, sentence=hit.sentence, score=round(score, 2), figures=figs,
                            reasons=tuple(reasons) + (hit.why,), names_topic=bool(terms), topic_terms=terms,
                            before=before.text if before and before.passage == sentence.passage else ""))
    return rank_claims(claims, options, set(named))


def rank_claims(claims: list[Claim], options: ClaimOptions, named: set[tuple[str, int]] | None = None) -> list[Claim]:
    """Each topic's claims ranked by score, the lead's first on a tie; only the best few kept.

    A long article states many checkable things; the analyst needs its main facts,
    and news puts those first. Sentences that name the topic themselves are always
    kept (a page of several stories names it in each); the cap falls on the rest,
    and grows with the number of naming sentences.
    """
    named = named or set()
    out: list[Claim] = []
    for topic in dict.fromkeys(c.topic for c in claims):
        mine = [c for c in claims if c.topic == topic]
        lead = min(c.sentence for c in mine)
        ranked = sorted(mine, key=lambda c: (-(c.score + (options.lead_bonus if c.sentence - lead < 3 else 0.0)),
                                             c.sentence))
        naming = sum((topic, c.sentence) in named for c in ranked)
        # A page that names the topic again and again (several stories) earns a sentence beside each.
        room = max(options.max_per_article, 2 * naming) - naming
        naming_room = 2 * options.max_per_article  # a page repeating the name in every line is no list of stories
        kept = []
        for c in ranked:
            if (topic, c.sentence) in named:
                if naming_room:
                    kept.append(c)
                    naming_room -= 1
            elif room:
                kept.append(c)
                room -= 1
        out.extend(replace(c, rank=n, key=n < options.key_claims) for n, c in enumerate(kept))
    if len(out) > options.max_per_document:
        out = sorted(out, key=lambda c: (c.rank, c.sentence))[:options.max_per_document]
    return sorted(out, key=lambda c: (c.sentence, c.topic))
