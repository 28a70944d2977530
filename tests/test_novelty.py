"""The pure novelty decision, on claims written for the purpose (not the seeds, not the dev data)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import load_settings
from bot.models import Claim, Fingerprint, KnownClaim
from bot.novelty import NoveltyOptions, decide, fingerprint, keys
from bot.novelty.encoder import MultilingualEncoder
from bot.text import figures

SETTINGS = load_settings()
OPTIONS = SETTINGS.novelty_options
ENCODER = MultilingualEncoder()


def fp(text: str, topic: str = "stargate", *, names_topic: bool = False, encode: bool = True) -> Fingerprint:
    claim = Claim(topic=topic, text=text, sentence=0, score=3.0, figures=figures(text), names_topic=names_topic)
    return fingerprint(claim, OPTIONS, ENCODER.encode([text])[0] if encode else b"")


def known(f: Fingerprint, text: str, cluster: str, outlet: str = "Earlier Daily") -> tuple[KnownClaim, Fingerprint]:
    return (KnownClaim(claim_id=1, cluster=cluster, topic=f.topic, text=text, figures=f.figures,
                       url=f"https://{cluster}.example", outlet=outlet, fingerprint=f), f)


def verdict(first: str, second: str, topic: str = "stargate") -> str:
    decision = decide(fp(second, topic), [known(fp(first, topic), first, "c1")], OPTIONS)
    if decision.status == "repeat":
        return "repeat"
    return "conflict" if decision.conflicts_with else "new"


def test_restatement_by_another_outlet_is_a_repeat_with_reasons() -> None:
    first = "OpenAI and SoftBank will invest $500 billion in Stargate data centers over four years."
    again = "Stargate, backed by SoftBank and OpenAI, is to spend $500 billion on data centres."
    decision = decide(fp(again), [known(fp(first), first, "c1")], OPTIONS)
    assert decision.status == "repeat" and decision.cluster == "c1"
    assert "$500 billion" in decision.why and "Earlier Daily" in decision.why


def test_other_topics_never_match() -> None:
    a = "OpenAI will invest $500 billion."
    decision = decide(fp(a, "deepseek"), [known(fp(a, "stargate"), a, "c7")], OPTIONS)
    assert decision.status == "new"


def test_the_differing_slot_is_named_in_why() -> None:
    first = "딥시크는 2026년 2월 3일 새 추론 모델을 공개했다."
    second = "딥시크는 2026년 6월 9일 새 추론 모델을 공개했다."
    decision = decide(fp(second, "deepseek"), [known(fp(first, "deepseek"), first, "c2")], OPTIONS)
    assert decision.status == "new" and "date" in decision.why


def test_near_equal_figures_share_a_retrieval_key_across_a_rounding_edge() -> None:
    a, b = fp("Stargate will invest $1.249 billion in Texas."), fp("Stargate will invest $1.251 billion in Texas.")
    figure_keys = {k.text for k in keys(a, OPTIONS) if k.text.startswith("f|")}
    assert figure_keys & {k.text for k in keys(b, OPTIONS)}


def test_retrieval_keys_are_capped_by_the_novelty_stage_itself() -> None:
    many = fp("OpenAI, SoftBank, Oracle, MGX, Arm, Microsoft and Nvidia will invest $500 billion, $100 billion and "
              "$40 billion in Stargate, with 10 sites in Texas, Ohio and Michigan and 20% of the power from solar.")
    assert len(keys(many, OPTIONS, founder=True)) <= OPTIONS.max_keys
    assert len(keys(many, NoveltyOptions(lexicon=OPTIONS.lexicon, max_keys=12))) == 12


def test_without_an_encoder_figures_still_meet_across_languages() -> None:
    english = "Alibaba will invest 380 billion yuan in AI infrastructure over three years."
    korean = "알리바바는 3년간 AI 인프라에 3800억 위안을 투자한다고 밝혔다."
    decision = decide(fp(korean, "deepseek", encode=False), [known(fp(english, "deepseek", encode=False), english,
                                                                   "c9")], OPTIONS)
    assert decision.status == "repeat"


# The probe set: pairs written here, in the shipped languages. The first claim was stored by one
# outlet, the second arrives from another. "repeat" restates it; "new" changes one fact (and
# "conflict" changes a figure of the same measure). Labels were written before the engine ran.
CHANGED = [
    ("deepseek", "딥시크는 출력 토큰 100만 개당 2.19달러를 받는다.", "딥시크는 출력 토큰 100만 개당 1.10달러를 받는다."),
    ("deepseek", "DeepSeek's new model scored 81.2 on the MMLU-Pro benchmark.",
     "DeepSeek's new model scored 75.9 on the MMLU-Pro benchmark."),
    ("deepseek", "The model supports a context of 64K tokens.", "The model supports a context of 160K tokens."),
    ("deepseek", "딥시크는 2026년 2월 3일 새 추론 모델을 공개했다.", "딥시크는 2026년 6월 9일 새 추론 모델을 공개했다."),
    ("deepseek", "The Hangzhou lab behind DeepSeek was founded in 2019.",
     "The Hangzhou lab behind DeepSeek was founded in 2017."),
    ("stargate", "오픈AI는 스타게이트 캠퍼스를 텍사스에 짓는다고 밝혔다.", "오픈AI는 스타게이트 캠퍼스를 미시간에 짓는다고 밝혔다."),
    ("deepseek", "中国杭州的研究团队开发了深度求索模型。", "中国北京的研究团队开发了深度求索模型。"),
    ("deepseek", "국방부는 업무용 PC에서 딥시크 사용을 금지했다.", "국방부는 업무용 PC에서 딥시크 사용을 허용했다."),
    ("stargate", "SoftBank confirmed it will fund the next Stargate site.",
     "SoftBank denied it will fund the next Stargate site."),
    ("stargate", "The regulator approved the Stargate power plan for the Abilene campus.",
     "The regulator rejected the Stargate power plan for the Abilene campus."),
    ("stargate", "Oracle will run the 1.2 gigawatt Stargate campus in Abilene.",
     "Oracle will run the 4.5 gigawatt Stargate campus in Abilene."),
    ("dark_factory", "샤오미의 다크 팩토리는 연간 1000만 대의 스마트폰을 생산한다.",
     "샤오미의 다크 팩토리는 연간 2000만 대의 스마트폰을 생산한다."),
    ("dark_factory", "小米黑灯工厂每年生产1000万台手机。", "小米黑灯工厂每年生产1500万台手机。"),
    ("dark_factory", "The lights-out plant employs 40 engineers on each shift.",
     "The lights-out plant employs 12 engineers on each shift."),
    ("deepseek", "Italy's privacy regulator blocked DeepSeek on January 30.",
     "Italy's privacy regulator blocked DeepSeek on March 14."),
    ("dark_factory", "현대차는 울산 다크 팩토리에 2조 원을 투자한다.", "현대차는 울산 다크 팩토리에 5조 원을 투자한다."),
    ("deepseek", "Liang Wenfeng said DeepSeek will not raise outside money this year.",
     "Liang Wenfeng said DeepSeek will raise outside money this year."),
    ("stargate", "The Stargate UAE campus will start with 200 megawatts in 2026.",
     "The Stargate UAE campus will start with 200 megawatts in 2028."),
    ("deepseek", "딥시크 앱은 40개국 앱스토어에서 1위에 올랐다.", "딥시크 앱은 140개국 앱스토어에서 1위에 올랐다."),
    ("dark_factory", "The dark factory cost 2.4 billion yuan to build.", "The dark factory cost 5.5 billion yuan to build."),
]
RESTATED = [
    ("stargate", "OpenAI, SoftBank and Oracle will invest $500 billion in Stargate over four years.",
     "오픈AI와 소프트뱅크, 오라클은 스타게이트에 4년간 5000억 달러를 투자한다."),
    ("stargate", "The Stargate partners will deploy $100 billion immediately.",
     "星际之门合作伙伴将立即投入1000亿美元。"),
    ("deepseek", "딥시크는 R1 모델 훈련에 560만 달러가 들었다고 밝혔다.",
     "DeepSeek said training its R1 model cost $5.6 million."),
    ("deepseek", "DeepSeek's app topped Apple's App Store in the United States.",
     "딥시크 앱이 미국 애플 앱스토어에서 1위를 차지했다."),
    ("deepseek", "Italy's data protection authority ordered DeepSeek blocked.",
     "이탈리아 개인정보 보호 당국이 딥시크 차단을 명령했다."),
    ("dark_factory", "Xiaomi's dark factory in Changping produces one smartphone per second.",
     "샤오미 창핑 다크 팩토리는 1초에 스마트폰 한 대를 생산한다."),
    ("dark_factory", "小米昌平工厂投资24亿元，占地8.1万平方米。",
     "Xiaomi invested 2.4 billion yuan in the Changping plant, which covers 81,000 square meters."),
    ("stargate", "The first Stargate campus in Abilene, Texas will draw 1.2 gigawatts.",
     "텍사스 애빌린의 첫 스타게이트 캠퍼스는 1.2기가와트의 전력을 쓴다."),
    ("deepseek", "국방부와 외교부는 업무용 PC에서 딥시크 접속을 차단했다.",
     "외교부와 국방부가 업무용 컴퓨터에서 딥시크 접속을 막았다."),
    ("deepseek", "DeepSeek used about 2,000 Nvidia H800 chips to train V3.",
     "딥시크는 V3 훈련에 엔비디아 H800 칩 약 2000개를 썼다."),
    ("dark_factory", "The lights-out plant runs 24 hours a day with 300 robots.",
     "With 300 robots, the lights-out plant operates around the clock, 24 hours a day."),
    ("stargate", "SoftBank will fund the Stargate project with $19 billion.",
     "소프트뱅크는 스타게이트 프로젝트에 190억 달러를 댄다."),
    ("deepseek", "딥시크 R1은 AIME 벤치마크에서 79.8%를 기록했다.", "DeepSeek R1 scored 79.8% on the AIME benchmark."),
    ("dark_factory", "美的集团上海工厂实现无人化生产，人力减少60%。",
     "Midea's Shanghai factory cut its workforce by 60% after going unmanned."),
    ("stargate", "Masayoshi Son said Stargate will create 100,000 jobs.",
     "손정의 회장은 스타게이트가 10만 개의 일자리를 만들 것이라고 말했다."),
    ("deepseek", "DeepSeek released its R1 reasoning model on January 20.",
     "딥시크는 1월 20일 추론 모델 R1을 공개했다."),
    ("deepseek", "The DeepSeek app reached the top of the App Store in 51 countries.",
     "딥시크 앱은 51개국 앱스토어에서 정상에 올랐다."),
    ("stargate", "Stargate UAE will begin with 200 megawatts of capacity in 2026.",
     "星际之门阿联酋项目将于2026年以200兆瓦的容量起步。"),
    ("dark_factory", "Nuri Electronics will spend 1.2 trillion won turning its Gumi plant into a dark factory.",
     "누리전자는 구미 공장을 다크 팩토리로 바꾸는 데 1조2000억 원을 쓴다."),
    ("deepseek", "South Korea's industry ministry blocked access to DeepSeek on work computers.",
     "산업통상자원부는 업무용 컴퓨터에서 딥시크 접속을 차단했다."),
]


@pytest.mark.parametrize(("topic", "first", "second"), CHANGED)
def test_probe_changed_fact(topic: str, first: str, second: str) -> None:
    """Reported through the rate below; one pair may fail without failing the suite."""
    PROBES["changed"].append(verdict(first, second, topic) != "repeat")


@pytest.mark.parametrize(("topic", "first", "second"), RESTATED)
def test_probe_restatement(topic: str, first: str, second: str) -> None:
    PROBES["restated"].append(verdict(first, second, topic) == "repeat")


PROBES: dict[str, list[bool]] = {"changed": [], "restated": []}


def test_probe_rates_meet_the_floors() -> None:
    changed = [verdict(f, s, t) != "repeat" for t, f, s in CHANGED]
    restated = [verdict(f, s, t) == "repeat" for t, f, s in RESTATED]
    assert sum(changed) / len(changed) >= 0.95, [p[2] for p, ok in zip(CHANGED, changed, strict=True) if not ok]
    assert sum(restated) / len(restated) >= 0.85, [p[2] for p, ok in zip(RESTATED, restated, strict=True) if not ok]


def test_a_changed_figure_of_the_same_measure_is_a_conflict() -> None:
    assert verdict("The dark factory cost 2.4 billion yuan to build.", "The dark factory cost 5.5 billion yuan to build.",
                   "dark_factory") == "conflict"


def test_held_out_probe_pairs_keep_the_rates_they_scored_once() -> None:
    """tests/fixtures/novelty/probes_holdout.tsv was written before the engine ran on it and scored once,
    at the end of tuning: changed 20/20, restated 15/20. The floors pin those figures."""
    path = __import__("pathlib").Path(__file__).parent / "fixtures" / "novelty" / "probes_holdout.tsv"
    rows = [line.rstrip("\n").split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    changed = [verdict(a, b, t) != "repeat" for label, t, a, b in rows if label == "changed"]
    restated = [verdict(a, b, t) == "repeat" for label, t, a, b in rows if label == "restated"]
    assert len(changed) == len(restated) == 20
    assert sum(changed) / len(changed) >= 0.95 and sum(restated) / len(restated) >= 0.75


def test_a_number_no_pattern_read_meets_a_count_of_the_same_value() -> None:
    first = "China's factories reached 512 robots per 10,000 workers, well above the world average of 203."
    again = "중국 공장의 자동화율은 근로자 1만 명당 512대로, 세계 평균 203대를 크게 넘었다."
    decision = decide(fp(again, "dark_factory"), [known(fp(first, "dark_factory"), first, "c5")], OPTIONS)
    assert decision.status == "repeat"


def test_a_number_no_pattern_read_is_no_evidence_by_itself() -> None:
    assert verdict("The Ostrava plant ranked 81 on the national index.", "The Ostrava plant hired 81 engineers.",
                   "dark_factory") != "repeat"


@pytest.mark.parametrize(("first", "second"), [
    ("Korvix said its Tarn X40 chip will rival the Helio Z900 in training.",
     "Korvix said its Tarn X50 chip will rival the Helio Z900 in training."),
    ("The lab's Q7 model was trained on Lumen G100 accelerators, the company said.",
     "The lab's Q7 model was trained on Lumen G300 accelerators, the company said."),
])
def test_another_model_code_of_the_same_shape_is_another_fact(first: str, second: str) -> None:
    decision = decide(fp(second, "deepseek"), [known(fp(first, "deepseek"), first, "c6")], OPTIONS)
    assert decision.status == "new" and "model:" in decision.why


def test_a_claim_naming_a_model_the_other_lacks_is_not_folded_on_meaning_alone() -> None:
    first = "Korvix's Tarn chips are used for inference by the lab."
    second = "Korvix plans a next-generation Tarn X90 chip to rival the Helio Z900."
    assert verdict(first, second, "deepseek") == "new"


def test_a_story_continues_on_two_known_figures_not_on_one() -> None:
    from bot.novelty import continues_story
    a = "The Tianjin plant cost 3.7 billion yuan, Harlow said."
    b = "The Tianjin plant covers 64,000 square meters."
    stored = [known(fp(a, "dark_factory"), a, "k1"), known(fp(b, "dark_factory"), b, "k2")]
    page = [fp("它耗资37亿元建成，占地64000平方米。", "dark_factory")]
    assert "37亿元" in (continues_story(page, [stored], OPTIONS) or "")
    one = [fp("它耗资37亿元建成。", "dark_factory")]
    assert continues_story(one, [stored], OPTIONS) is None


def test_common_figures_never_continue_a_story() -> None:
    from bot.novelty import continues_story
    a = "The Harlow plant runs at 100% automation and ranks No. 1 in the region."
    b = "Harlow's robots assemble one tablet per second with 300 workers on site."
    stored = [known(fp(a, "dark_factory"), a, "k1"), known(fp(b, "dark_factory"), b, "k2")]
    strike = [fp("At the Ford plant 100% of members voted to strike; it is the No. 1 seller, making one truck per "
                 "second with 300 workers.", "dark_factory")]
    assert continues_story(strike, [stored], OPTIONS) is None


def test_a_syndicated_copy_is_a_repeat_of_the_founder_word_for_word() -> None:
    text = "Harlow said its Tianjin plant will make 8 million tablets a year."
    f = fp(text, "dark_factory")
    founder = known(f, text, "c8", outlet="Wire")
    copy = (replace(founder[0], claim_id=2, status="repeat", cluster="c8", outlet="Mirror"), f)
    other_topic = (replace(founder[0], claim_id=3, topic="stargate", cluster="s1"), f)
    decision = decide(f, [copy, other_topic, founder], OPTIONS, text="Harlow said its Tianjin plant  will make "
                      "8 million tablets a year.")
    assert decision.status == "repeat" and decision.cluster == "c8" and "word for word" in decision.why
    assert "Wire" in decision.why
