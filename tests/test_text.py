from __future__ import annotations

import pytest

from bot.text import content_tokens, figures, sentences, split_sentences


@pytest.mark.parametrize(("paragraph", "expected"), [
    ("SF영화 이야기가 아니다. 현실이다.동영상을 보면 조명도 없다.", ["SF영화 이야기가 아니다.", "현실이다.", "동영상을 보면 조명도 없다."]),
    ("“먹이를 주는 것이다.”공학자들의 농담은 현실이 됐다.", ["“먹이를 주는 것이다.”", "공학자들의 농담은 현실이 됐다."]),
    ("생산 효율은 1.5배 늘었다. 다음 문장.", ["생산 효율은 1.5배 늘었다.", "다음 문장."]),
    ("The U.S. economy grew 2.5% in Q3. Mr. Lee agreed.", ["The U.S. economy grew 2.5% in Q3.", "Mr. Lee agreed."]),
    ("他说：“成本很低。”随后公司发布了模型！真的吗？是的。", ["他说：“成本很低。”", "随后公司发布了模型！", "真的吗？", "是的。"]),
    ("가격이 반값이라면? 최근 전기차가 등장했다.", ["가격이 반값이라면?", "최근 전기차가 등장했다."]),
    ("中, 진짜 '로켓배송' 쏜다…타오바오, 자국 업체와 맞손", ["中, 진짜 '로켓배송' 쏜다…타오바오, 자국 업체와 맞손"]),
    ("It was slow… Then it sped up.", ["It was slow…", "Then it sped up."]),
])
def test_split_sentences(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected


def test_sentences_know_their_paragraph_and_section() -> None:
    sents = sentences("머리말이다.\n◇ 첫 절\n첫 문장이다. 둘째 문장이다.\n◇ 둘째 절\n셋째 문장이다.")
    assert [(s.passage, s.section) for s in sents] == [(0, 0), (1, 1), (2, 1), (2, 1), (3, 2), (4, 2)]


@pytest.mark.parametrize(("text", "value", "unit", "kind"), [
    ("우리 돈 130조 원을 들여", 1.3e14, "KRW", "money"),
    ("약 1경4,578조원 규모", 1.4578e16, "KRW", "money"),
    ("대당 2만 5000달러짜리", 25000, "USD", "money"),
    ("24亿元", 2.4e9, "CNY", "money"),
    ("2.4 billion yuan", 2.4e9, "CNY", "money"),
    ("24억 위안", 2.4e9, "CNY", "money"),
    ("$500B over four years", 5e11, "USD", "money"),
    ("€1.2 bn", 1.2e9, "EUR", "money"),
    ("5000억 달러", 5e11, "USD", "money"),
    ("99% 이상", 99, "%", "percent"),
    ("百分之三十", None, None, None),
    ("100배 가까이", 100, "x", "multiple"),
    ("2배 이상", 2, "x", "multiple"),
    ("10분의 1 수준", 0.1, "x", "multiple"),
    ("1000명의 근로자", 1000, "people", "count"),
    ("7위인 점", 7, "rank", "rank"),
    ("10x faster", 10, "x", "multiple"),
    ("un investissement de 500 milliards de dollars", 5e11, "USD", "money"),
    ("ein Börsenwert von 590 Milliarden Dollar", 5.9e11, "USD", "money"),
    ("con un costo di 5,6 milioni di dollari", 5.6e6, "USD", "money"),
    ("una inversión de 1.000 millones de dólares", 1e9, "USD", "money"),
    ("бюджет 500 млрд долларов", 5e11, "USD", "money"),
    ("die Aktie fiel um 17,5 Prozent", 17.5, "%", "percent"),
    ("1.000 Mitarbeiter", 1000, "people", "count"),
    ("bis zu 30 Tage", 30, "day", "duration"),
])
def test_figures_normalise_across_languages(text: str, value: float | None, unit: str | None, kind: str | None) -> None:
    found = figures(text)
    if value is None:
        assert not [f for f in found if f.strong]
        return
    assert any(f.kind == kind and f.unit == unit and abs(f.value - value) <= 1e-9 * max(1, value) for f in found), found


def test_content_tokens_drop_particles_and_stopwords() -> None:
    tokens = content_tokens("딥시크는 엔비디아의 칩을 쓰지 않았다고 밝혔다.")
    assert "딥시크" in tokens and "엔비디아" in tokens and "칩" not in tokens
    assert "밝혔다" not in tokens


def test_korean_datelines_are_read_timezone_aware() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.extract.dates import parse_dateline

    seoul = ZoneInfo("Asia/Seoul")
    assert parse_dateline("입력 2024.04.01 05:46", seoul) == datetime(2024, 4, 1, 5, 46, tzinfo=seoul)
    assert parse_dateline("2024-08-26 16:31:05", seoul) == datetime(2024, 8, 26, 16, 31, 5, tzinfo=seoul)
    # forum style: two-digit year first, not 2018-05-25
    assert parse_dateline("작성자 Yeti 작성일25-05-18 16:47 조회1회", seoul) == datetime(2025, 5, 18, 16, 47, tzinfo=seoul)
    assert parse_dateline("2025년 1월 20일 오후 3:05", seoul) == datetime(2025, 1, 20, 15, 5, tzinfo=seoul)


@pytest.mark.parametrize(("text", "value", "unit", "kind"), [
    ("the line turns out 3 million scooters a year", 3e6, "scooter", "count"),
    ("listed in 12 countries", 12, "country", "count"),
    ("la ligne sort une voiture par minute", 1, "per minute", "count"),
    ("the line builds a tractor every ten seconds", 0.1, "per second", "count"),
    ("연구소 건물 5동을 짓는다", 5, "buildings", "count"),
    ("MATH 시험에서 88.2점을 받았다", 88.2, "points", "count"),
    ("출력 토큰 100만 개당 9센트", 0.09, "USD", "money"),
    ("a 256K tokens window", 256000, "token", "count"),
    ("工厂年产500万台空调", 5e6, "units", "count"),
    ("2026년 3월 4일 공개", 304, "month-day", "date"),
    ("9月12日发布", 912, "month-day", "date"),
    ("on March 4 the firm said", 304, "month-day", "date"),
    ("the lab was founded in 2016", 2016, "year", "date"),
    ("cuenta con 7 líneas de montaje", 7, "línea", "count"),
    # What is counted is the plural ending a short noun phrase, past names and model names.
    ("trained on 4,096 AMD MI300 accelerators", 4096, "accelerator", "count"),
    ("a site as big as 30 soccer pitches", 30, "pitch", "count"),
    ("9,000 assembly workers were hired", 9000, "people", "count"),
    ("12 new battery plants", 12, "plant", "count"),
    ("工厂每年能生产三百万辆汽车", 3e6, "vehicles", "count"),
    ("计划投资两千亿元", 2e11, "CNY", "money"),
])
def test_figures_in_the_forms_news_writes_them(text: str, value: float, unit: str, kind: str) -> None:
    assert any(f.kind == kind and f.unit == unit and abs(f.value - value) <= 1e-9 * max(1, value)
               for f in figures(text)), figures(text)


@pytest.mark.parametrize("text", ["Q7 대비 성능이 좋다", "R2 개발에 착수했다", "the K9 chip", "its X300 accelerator",
                                  "Kirin 9010S chips", "GPT-5o answers", "Llama-4 weights"])
def test_names_with_digits_are_not_figures(text: str) -> None:
    assert not [f for f in figures(text) if f.kind != "date"], figures(text)


def test_a_figure_is_shown_as_written_with_its_model_name() -> None:
    assert [f.text for f in figures("trained on 4,096 AMD MI300 accelerators")] == ["4,096 AMD MI300 accelerators"]


def test_a_korean_subhead_stating_a_fact_with_a_noun_is_checkable() -> None:
    from bot.claims import score_sentence

    score, reasons, _ = score_sentence("한빛전자, 구미 공장에 로봇 300대 도입", ("한빛전자",))
    assert "headline statement" in reasons and score >= 1.5


def test_korean_verb_forms_share_their_verbal_noun() -> None:
    assert "차단" in content_tokens("국방부가 접속을 차단하였습니다.") and "차단" in content_tokens("국방부는 접속을 차단했다.")


@pytest.mark.parametrize("text", ["1" * 3000, "9" * 400 + " dollars", "9" * 400 + "분의 " + "9" * 400, "1," * 3000])
def test_hostile_digit_runs_give_no_figure_and_no_infinity(text: str) -> None:
    import math

    assert all(math.isfinite(f.value) and f.value < 1e19 for f in figures(text))


@pytest.mark.parametrize(("text", "not_wanted"), [
    ("call 010-1234-5678 now", 10), ("at 09:30 the line stopped", 9), ("Python 3.1 released", None),
    ("$20 T-shirts sold out", 2e13),
])
def test_phone_numbers_times_versions_and_tshirts_are_not_read_as_figures(text: str, not_wanted: float | None) -> None:
    found = figures(text)
    assert not [f for f in found if f.strong and (not_wanted is None or f.value == not_wanted)], found


def test_iso_dates_and_korean_thousands_are_read() -> None:
    assert {(f.value, f.unit) for f in figures("released on 2025-01-22")} >= {(122, "month-day"), (2025, "year")}
    assert any(f.value == 5.6e12 and f.unit == "KRW" for f in figures("5조6천억원을 투자"))


def test_names_keep_their_camel_case_and_lose_the_sentence_opener() -> None:
    from bot.text import named_entities
    found = named_entities("The QuantaLab team met Mira Solberg in Oslo. In NorthPeak Robotics, work went on.")
    assert "quantalab" in found and "mira solberg" in found and "northpeak robotics" in found
    assert not [n for n in found if n.startswith(("the ", "in "))]


@pytest.mark.parametrize("text", ["这件事十分重要", "他获得第十名", "万一失败了"])
def test_chinese_numeral_words_that_are_no_figures(text: str) -> None:
    assert not figures(text), figures(text)


def test_counted_nouns_meet_their_cognates_across_latin_languages() -> None:
    from bot.text import same_count_unit
    assert same_count_unit("line", "línea") and same_count_unit("robot", "robô")
    assert not same_count_unit("line", "robot") and not same_count_unit("MW", "megawatt")
    assert not same_count_unit("per second", "per minute") and not same_count_unit("engine", "engineer")
    assert not same_count_unit("smartwatch", "smartphone")


@pytest.mark.parametrize("text", ["3평가 결과", "10평균 점수", "5평화 협정", "an M2 chip in 5 M2 units"])
def test_area_units_need_a_word_end(text: str) -> None:
    assert not [f for f in figures(text) if f.kind == "area"], figures(text)


def test_spaced_thousands_are_read_once_and_fast_to_reject() -> None:
    assert [(f.value, f.unit) for f in figures("1 000 000 people")] == [(1e6, "people")]
    assert not [f for f in figures(" ".join(["000"] * 3000)) if f.kind != "number"]


@pytest.mark.parametrize("text", ["10 million the week before", "2 million were sold", "百家争鸣", "十元店"])
def test_no_count_from_english_millions_or_chinese_idioms(text: str) -> None:
    assert not [f for f in figures(text) if f.kind == "count"], figures(text)
