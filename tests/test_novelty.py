"""The pure novelty decision, on claims written for the purpose (not the seeds)."""

from __future__ import annotations

from bot.claims import named_entities
from bot.models import Claim, KnownClaim
from bot.novelty import NoveltyOptions, decide, retrieval_keys
from bot.text import content_tokens, figures

OPTIONS = NoveltyOptions()


def claim(text: str, topic: str = "stargate", alias: str = "") -> Claim:
    terms = (alias,) if alias else ()
    entities = tuple(named_entities(text, terms)) + ((f"topic:{topic}",) if alias else ())
    return Claim(topic=topic, text=text, sentence=0, score=3.0, figures=figures(text), entities=entities,
                 tokens=content_tokens(text))


def known(c: Claim, cluster: str, outlet: str = "Earlier Daily") -> KnownClaim:
    return KnownClaim(claim_id=1, cluster=cluster, topic=c.topic, text=c.text, figures=c.figures,
                      entities=c.entities, tokens=c.tokens, url=f"https://{cluster}.example", outlet=outlet)


def test_restatement_by_another_outlet_is_a_repeat_with_reasons() -> None:
    first = claim("OpenAI and SoftBank will invest $500 billion in Stargate data centers over four years.",
                  alias="stargate")
    again = claim("Stargate, backed by SoftBank and OpenAI, is to spend $500 billion on data centres.",
                  alias="stargate")
    decision = decide(again, [known(first, "c1")], OPTIONS)
    assert decision.status == "repeat" and decision.cluster == "c1"
    assert "$500 billion" in decision.why and "Earlier Daily" in decision.why


def test_same_figure_across_languages_is_a_repeat() -> None:
    english = claim("Alibaba will invest 380 billion yuan in AI infrastructure over three years.", "deepseek")
    korean = claim("알리바바는 3년간 AI 인프라에 3800억 위안을 투자한다고 밝혔다.", "deepseek")
    chinese = claim("阿里巴巴宣布未来三年将投入3800亿元建设AI基础设施。", "deepseek")
    assert decide(korean, [known(english, "c9")], OPTIONS).status == "repeat"
    assert decide(chinese, [known(english, "c9")], OPTIONS).status == "repeat"


def test_same_figure_about_a_different_subject_is_new() -> None:
    revenue = claim("화웨이는 지난해 130조 원의 매출을 올렸다.", "stargate")
    build = claim("오픈AI는 130조 원을 들여 데이터센터를 짓기로 했다.", "stargate")
    assert decide(build, [known(revenue, "c2")], OPTIONS).status == "new"


def test_same_entity_different_event_is_new() -> None:
    launch = claim("DeepSeek released its R1 reasoning model on January 20.", "deepseek", alias="DeepSeek")
    ban = claim("Italy's regulator ordered DeepSeek blocked over privacy concerns.", "deepseek", alias="DeepSeek")
    assert decide(ban, [known(launch, "c3")], OPTIONS).status == "new"


def test_an_updated_figure_for_the_same_measure_conflicts() -> None:
    cheap = claim("딥시크의 모델 개발 비용은 미국 빅테크의 10분의 1 수준에 불과했다.", "deepseek", alias="딥시크")
    dear = claim("딥시크의 모델 개발 비용이 알려진 것보다 100배 가까이 더 들었다는 분석이 나왔다.", "deepseek", alias="딥시크")
    decision = decide(dear, [known(cheap, "c4")], OPTIONS)
    assert decision.status == "new" and decision.conflicts_with == ("c4",)
    assert "100배" in decision.why


def test_figures_of_different_measures_do_not_conflict() -> None:
    score = claim("DeepSeek R1 scored 79.8% on the AIME benchmark.", "deepseek", alias="DeepSeek")
    share = claim("DeepSeek's app reached a 30% share of downloads in China.", "deepseek", alias="DeepSeek")
    assert decide(share, [known(score, "c5")], OPTIONS).conflicts_with == ()


def test_near_verbatim_copy_without_figures_is_a_repeat() -> None:
    a = claim("딥시크는 챗GPT에 들어간 고사양의 칩을 쓰지 않고도 비슷한 성능을 구현한다.", "deepseek", alias="딥시크")
    b = claim("딥시크는 챗GPT에 들어간 고사양 칩을 쓰지 않고도 비슷한 성능을 구현한다고 한다.", "deepseek", alias="딥시크")
    assert decide(b, [known(a, "c6")], OPTIONS).status == "repeat"


def test_other_topics_never_match() -> None:
    a = claim("OpenAI will invest $500 billion.", "stargate")
    b = claim("OpenAI will invest $500 billion.", "deepseek")
    assert decide(b, [known(a, "c7")], OPTIONS).status == "new"


def test_near_equal_figures_share_a_retrieval_key_across_a_rounding_edge() -> None:
    a = claim("Stargate will invest $1.249 billion in Texas.", alias="Stargate")
    b = claim("Stargate will invest $1.251 billion in Texas.", alias="Stargate")
    assert set(retrieval_keys(a, OPTIONS)) & set(retrieval_keys(b, OPTIONS)) & {
        k for k in retrieval_keys(a, OPTIONS) if k.startswith("f:")}


def test_retrieval_keys_are_a_bounded_handful() -> None:
    c = claim("OpenAI, SoftBank, Oracle and MGX will invest $500 billion and $100 billion now in Stargate, "
              "with 10 sites in Texas and 20% of the power from solar.", alias="Stargate")
    keys = retrieval_keys(c, OPTIONS)
    assert len(keys) <= 3 * 2 + 6 + 8 + OPTIONS.token_bands
    assert any(k.startswith("f:money:USD:") for k in keys)
