"""Figures normalised to (value, unit, kind), comparable across languages:
130조 원 = 1.3e14 KRW, 24亿元 = 2.4 billion yuan = 24억 위안, 100배, 10분의 1, 99%."""

from __future__ import annotations

import math
import re
import unicodedata

from ..models import Figure
from .tokens import content_tokens

_NUM = r"(?<![\d])\d+(?:[,，]\d{3})*(?:\.\d+)?"  # never starts inside a run of digits: linear on long runs
# 81 000: thousands grouped by a space. Never starting inside such a run, and at most five groups,
# so a page of "000 000 000 …" costs linear time.
_SPACED = r"(?<![\d\u00a0\u202f])(?<!\d )\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,5}(?![\d\u00a0\u202f])(?! \d)"
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
    "나노": "nm", "nm": "nm", "동": "buildings", "점": "points", "척": "ships", "개국": "country", "개사": "company",
    "가지": "kinds", "部": "units", "座": "sites", "条": "lines", "款": "models", "辆": "vehicles", "颗": "items",
    "社": "company", "件": "cases", "か所": "sites", "カ所": "sites",
}
# Counters written in languages that group thousands with a dot: 1.000 Mitarbeiter is a thousand, 1.125 GW is not.
_EU_COUNTERS = {
    "roboter": "units", "robôs": "units", "роботов": "units", "mitarbeiter": "people", "beschäftigte": "people",
    "employés": "people", "salariés": "people", "empleados": "people", "trabajadores": "people", "dipendenti": "people",
    "lavoratori": "people", "funcionários": "people", "trabalhadores": "people", "сотрудников": "people",
    "рабочих": "people", "человек": "people",
}
_COUNTERS.update(_EU_COUNTERS)

_KO_AMOUNT = re.compile(
    rf"(?P<amount>(?:{_NUM}\s*[천백]?\s*[만억조경]\s*)+(?:{_NUM}\s*천?)?|{_NUM})\s*(?P<unit>원|달러|위안화|위안|엔|유로|파운드)?"
)
_ZH_AMOUNT = re.compile(rf"(?P<num>{_NUM})\s*(?P<big>万亿|万|萬|亿|億|兆)?\s*(?P<unit>美元|欧元|韩元|日元|港元|人民币|元|円|ドル)")
_EN_AMOUNT = re.compile(
    rf"(?P<sym>[$€£₩¥])\s*(?P<num>{_NUM})\s*(?P<big>trillion|billion|million|thousand|tn|bn|mn|[kmbt](?![\w\-&]))?\b"
    rf"|(?P<num2>{_NUM})\s*(?P<big2>trillion|billion|million|thousand|tn|bn|mn)?\s*"
    r"(?P<unit>dollars?|usd|yuan|cny|rmb|won|krw|yen|jpy|euros?|eur)\b",
    re.IGNORECASE,
)
_HALF = re.compile(r"half\s+a\s+(?P<big>trillion|billion|million)\s+(?P<unit>dollars?|yuan|euros?|won|yen)",
                   re.IGNORECASE)
_PERCENT = re.compile(rf"(?P<num>{_NUM})\s*(?:%|％|퍼센트|percent\b|per cent\b)|百分之(?P<zh>{_NUM})", re.IGNORECASE)
_MULTIPLE = re.compile(rf"(?P<num>{_NUM})\s*(?:배|倍|x\b|×|times\b|-fold\b|fold\b)", re.IGNORECASE)
_FRACTION = re.compile(rf"(?P<den>{_NUM})\s*분의\s*(?P<nom>{_NUM})|(?P<zden>{_NUM})\s*分之\s*(?P<znom>{_NUM})")
_RANK = re.compile(rf"(?P<num>{_NUM})\s*(?:위(?!안)|등|位)(?![a-z])|(?:no\.|number)\s*(?P<en>{_NUM})\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:년|年)")
_DURATION = re.compile(rf"(?P<num>{_NUM})\s*(?P<u>년|개월|주|일|시간|years?|months?|weeks?|days?|hours?|天|个月|小时|周)"
                       r"\s*(?:간|동안|에 걸쳐|연속|이내|만에)?", re.IGNORECASE)
# A Korean counter ends the word or takes a particle: 1000만대를, 8동 규모. "V3 대비" and "R1 개발" are not counts.
_KO_COUNTER_END = r"(?=$|[^\uac00-\ud7a3]|[를을가이의에로와과는은도씩당째나만까])"
_COUNT = re.compile(
    rf"(?<![A-Za-z\-])(?P<num>{_SPACED}|{_NUM})\s*(?P<big>[만억천]|万|萬|亿|億)?(?:\s*|-)(?P<unit>개국|개사|가지|명|개|대|곳|건|종|층|동|점|척|톤|"
    r"메가와트|기가와트|나노|人|名|台|个|家|部|座|条|款|辆|颗|吨|兆瓦|社|件|か所|カ所"
    r"|people|workers|employees|units|robots|tons|mw|gw|nm|gigawatts?|megawatts?|吉瓦|"
    + "|".join(_EU_COUNTERS) + r")(?![a-zа-я])" + _KO_COUNTER_END,
    re.IGNORECASE,
)
# Counts written with their noun: "10 million phones", "2,048 chips", "64K tokens", "11 líneas".
_NOUN_COUNT = re.compile(
    rf"(?<![\w.$€£¥₩\-])(?P<num>{_SPACED}|{_NUM})\s*(?P<big>thousand|million|billion|trillion|[kmb](?![a-z]))?\s*"
    r"(?P<noun>[a-zà-ÿа-я][a-zà-ÿа-я\-]{2,}|[A-Z][\w\-#]+)(?![\w#])(?P<more>(?:\s+[^\W\d_][\w\-#]*){0,2})",
    re.IGNORECASE,
)
_NOT_NOUNS = {
    "of", "to", "in", "and", "the", "for", "percent", "per", "cent", "or", "year", "years", "month", "months",
    "week", "weeks", "day", "days", "hour", "hours", "minutes", "seconds", "times", "fold", "dollars", "dollar",
    "euros", "euro", "yuan", "won", "yen", "usd", "eur", "cny", "rmb", "krw", "jpy", "million", "billion",
    "thousand", "trillion", "a.m", "p.m", "am", "pm", "gmt", "utc", "kst", "est", "from", "with", "was", "were",
    "are", "is", "has", "had", "have", "that", "this", "will", "would", "at", "on", "by", "as", "than", "more",
    "less", "over", "under", "up", "de", "des", "du", "la", "le", "les", "et", "en", "el", "los", "las", "y", "e",
    "do", "da", "dos", "das", "und", "der", "die", "den", "mil", "millones", "milhões", "millions", "milliards",
    "milliarden", "millionen", "miliardi", "milioni", "bilhões", "mrd", "mio", "млн", "млрд", "трлн", "года", "году",
    "год", "лет", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "but", "not", "also", "only", "just", "out", "off", "into", "onto", "while", "when", "after", "before",
    "since", "until", "because", "yet", "if", "between", "among", "without", "said", "says", "can", "could", "should", "must", "did", "does",
}
# Rates: "a smartphone per second", "un smartphone par seconde", "ein Auto pro Minute", "every 6 seconds".
_ONE = r"(?:\d+(?:[.,]\d+)?|an?|one|un|une|uno|una|um|uma|ein|eine|einen)"
_PER = r"(?:per|a|par|por|pro|al|ao|à|ogni|chaque|cada|je)"
_SPAN = (r"(?:seconds?|minutes?|hours?|days?|secondes?|heures?|jours?|segundos?|minutos?|horas?|días?|dias?|"
         r"secondi|secondo|minuti|ore|giorni|Sekunden?|Minuten?|Stunden?|Tag(?:e)?)")
_RATE = re.compile(rf"(?<![\w.])(?P<num>{_ONE})\s+(?:[^\W\d]+\s+){{0,3}}?{_PER}\s+(?P<span>{_SPAN})\b"
                   rf"|\b(?:every|chaque|cada|ogni|alle)\s+(?P<every>\d+|two|three|four|five|six|ten|deux|trois|cinq|six|dix)?"
                   rf"\s*(?P<span2>{_SPAN})\b", re.IGNORECASE)
_SPAN_UNIT = {"s": "second", "m": "minute", "h": "hour", "d": "day", "j": "day", "t": "day", "o": "hour", "g": "day"}
_SMALL = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "deux": 2, "trois": 3, "cinq": 5, "dix": 10}
_PRODUCT_BEFORE = re.compile(r"[A-Z][A-Za-z]+\s*$")
_CENTS = re.compile(rf"(?<![\w.])(?P<num>{_NUM})\s*(?:센트|cents?\b|¢|美分)", re.IGNORECASE)
_MONTHS = {m: i for i, names in enumerate((
    "jan january janvier enero janeiro januar gennaio", "feb february février febrero fevereiro februar febbraio",
    "mar march mars marzo março märz", "apr april avril abril aprile", "may mai mayo maio maggio",
    "jun june juin junio junho juni giugno", "jul july juillet julio julho juli luglio",
    "aug august août agosto", "sep sept september septembre septiembre setembro settembre",
    "oct october octobre octubre outubro oktober ottobre", "nov november novembre noviembre novembro",
    "dec december décembre diciembre dezembro dezember dicembre"), start=1) for m in names.split()}
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_DATE = re.compile(
    r"(?<!\d)(?P<m>1[0-2]|0?[1-9])\s*(?:월|月)\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*(?:일|日|号)"
    rf"|\b(?P<mn>{_MONTH_NAME})\.?\s+(?P<dn>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\b(?!\s*(?:%|percent))"
    rf"|(?<!\d)(?P<dn2>3[01]|[12]\d|0?[1-9])(?:er|º)?\s+(?:de\s+)?(?P<mn2>{_MONTH_NAME})\b",
    re.IGNORECASE,
)
_NOT_A_FIGURE = re.compile(r"\d{19,}|(?<!\d)0\d{1,2}-\d{3,4}-\d{4}(?!\d)|(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])")
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-./](?P<m>0?[1-9]|1[0-2])[-./](?P<d>0?[1-9]|[12]\d|3[01])(?!\d)")
_BARE_NUMBER = re.compile(r"(?<![\w#.,:/\-])\d+(?:,\d{3})*(?:\.\d+)?(?![\w#%]|[.,]\d)")
_BARE_YEAR = re.compile(r"(?<![\d,.$€£¥₩\-])(?P<y>(?:19[5-9]|20[0-4])\d)(?![\d%,.]\d|\d|\s*(?:%|년|年))")
# Names with digits are names: R1, V3, H20, B200, GPT-4o, Ascend 910C, Llama-3.1. Masked before any figure is read.
_MODEL_NAME = re.compile(r"(?<![\w$€£¥₩])[A-Za-z]{1,12}-?\d+(?:\.\d+)?[A-Za-z]{0,3}\b|(?<![\w.,])\d{2,4}[A-Z]{1,2}\b")
_UNIT_SUFFIX = re.compile(r"\d(?:K|M|B|T|GW|MW|KW|NM|GB|TB|X|BN|MN|TN|W|G)$", re.IGNORECASE)


# European languages: big-number words, currencies and the decimal comma (5,6 milioni = 5.6 million).
_EU_NUM = r"\d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d{1,2})?(?!\d)"  # groups by . , or a no-break space only
_EU_BIG = {
    "billionen": 1e12, "milliarden": 1e9, "milliarde": 1e9, "mrd": 1e9, "millionen": 1e6, "million": 1e6, "mio": 1e6,
    "milliards": 1e9, "milliard": 1e9, "millions": 1e6, "mil millones": 1e9, "millones": 1e6, "millón": 1e6,
    "miliardi": 1e9, "miliardo": 1e9, "milioni": 1e6, "milione": 1e6, "bilhões": 1e9, "bilhão": 1e9,
    "milhões": 1e6, "milhão": 1e6, "трлн": 1e12, "млрд": 1e9, "млн": 1e6,
}
_EU_CURRENCY = {"dollar": "USD", "dollars": "USD", "dólares": "USD", "dolares": "USD", "dollari": "USD",
                "долларов": "USD", "доллара": "USD", "euro": "EUR", "euros": "EUR", "евро": "EUR", "yuan": "CNY",
                "юаней": "CNY", "won": "KRW", "yen": "JPY", "yenes": "JPY", "$": "USD", "€": "EUR"}
_EU_AMOUNT = re.compile(
    rf"(?P<num>{_EU_NUM})\s*(?P<big>{'|'.join(sorted(map(re.escape, _EU_BIG), key=len, reverse=True))})\.?\s*"
    rf"(?:de\s+|d['’]|di\s+)?(?P<unit>{'|'.join(sorted(map(re.escape, _EU_CURRENCY), key=len, reverse=True))})(?![a-zа-я])",
    re.IGNORECASE,
)
# Areas in square metres: 81,000 m² = 8만1000㎡ = 81000平方米 = 81 000 mètres carrés = 872,000 square feet.
_AREA_UNIT = {"平方米": 1.0, "平米": 1.0, "平方公尺": 1.0, "㎡": 1.0, "m²": 1.0, "m2": 1.0, "제곱미터": 1.0, "square meter": 1.0,
              "square metre": 1.0, "sq m": 1.0, "sqm": 1.0, "mètres carrés": 1.0, "metros cuadrados": 1.0,
              "metros quadrados": 1.0, "metri quadrati": 1.0, "quadratmeter": 1.0, "квадратных метров": 1.0,
              "square feet": 0.092903, "square foot": 0.092903, "sq ft": 0.092903, "平方英尺": 0.092903,
              "제곱피트": 0.092903, "acre": 4046.86, "에이커": 4046.86, "英亩": 4046.86, "英畝": 4046.86,
              "hectare": 1e4, "헥타르": 1e4, "公顷": 1e4, "公頃": 1e4, "평": 3.305785}
_BIG = {**_KO_BIG, **_ZH_BIG, **_EN_BIG}
# An M2 is a chip, and 평 begins 평균, 평가, 평화: m2 in lower case, 평 as a word or before a particle.
_AREA_FORMS = {"m2": "(?-i:m2)", "평": "평(?:(?![가-힣])|(?=[을를의에은는도로와과만]))"}
_AREA = re.compile(
    rf"(?P<num>{_SPACED}|{_NUM})\s*(?P<big>만|万|萬|thousand|million)?\s*(?P<rest>\d{{1,4}})?\s*-?\s*"
    r"(?P<unit>" + "|".join(_AREA_FORMS.get(u, re.escape(u).replace(r"\ ", r"[\s-]"))
                            for u in sorted(_AREA_UNIT, key=len, reverse=True))
    + r")(?:e?s)?(?![a-z])",
    re.IGNORECASE,
)
# Counts in the Romance languages and German: "10 millions de smartphones", "2,5 milioni di auto".
_EU_COUNT = re.compile(
    rf"(?P<num>{_EU_NUM})\s*(?P<big>millions?|milliards?|millones|millón|milhões|milhão|milioni|milione|miliardi|"
    r"Millionen|Milliarden)\s+(?:de\s+|d['’]|di\s+)(?P<noun>[a-zà-ÿ][a-zà-ÿ\-]{2,})", re.IGNORECASE)
# A decimal comma before %, or a percent word: 3.125% is English and stays with _PERCENT.
_EU_PERCENT = re.compile(rf"(?P<num>\d+,\d{{1,2}})(?!\d)\s*(?:%|％)|(?P<num2>{_EU_NUM})\s*(?:Prozent|pour\s*cent|"
                         r"por\s*ciento|per\s*cento|por\s*cento|процент\w*)", re.IGNORECASE)
_EU_DURATION = re.compile(
    rf"(?P<num>{_EU_NUM})\s*(?P<u>Jahren|Jahre|Monaten|Monate|Wochen|Tagen|Tage|Stunden|ans|mois|semaines|jours|heures|"
    r"años|meses|semanas|días|horas|anni|mesi|settimane|giorni|ore|anos|dias|лет|месяц(?:ев|а)?|недел[ьи]|дн(?:ей|я)|"
    r"час(?:ов|а)?)(?![a-zа-я])",
    re.IGNORECASE,
)
_EU_DURATION_UNIT = {"jahr": "year", "an": "year", "año": "year", "ann": "year", "ano": "year", "лет": "year",
                     "mon": "month", "moi": "month", "mes": "month", "мес": "month", "woc": "week", "sem": "week",
                     "set": "week", "нед": "week", "tag": "day", "jou": "day", "día": "day", "dia": "day", "gio": "day",
                     "дн": "day", "stu": "hour", "heu": "hour", "hor": "hour", "ore": "hour", "час": "hour"}


# Units of measure stay exact; a counter (개, 台, units) says only that things are counted, so it
# meets any noun ("2,000 chips" = "2000개"), while two nouns must agree.
MEASURES = frozenset({"MW", "GW", "nm", "tons", "%", "x", "rank", "points", "m2"})
CLASSIFIERS = frozenset({"items", "units", "sites", "cases", "kinds", "layers", "buildings", "ships", "lines", "models",
                         "vehicles"})


def _head_noun(first: str, more: str) -> str:
    """What is counted, as written: the plural that ends a short noun phrase ("2,048 NVIDIA H800 GPUs",
    "10 million flagship smartphones", "11 football fields"), else the word after the number."""
    for word in [first] + more.split():
        low = word.lower()
        if low in _NOT_NOUNS or low in _CURRENCY or low in _EU_BIG:
            break
        if low.endswith("s") and not low.endswith("ss") and len(low) > 3 and low.isalpha() and not word.isupper():
            return word
    return first if first.isalpha() and not first.isupper() else ""


def singular(noun: str) -> str:
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"
    if noun.endswith(("ches", "shes", "xes", "sses")):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith("ss") and len(noun) > 3:
        return noun[:-1]
    return noun


def same_count_unit(a: str, b: str) -> bool:
    """Whether two count units can count the same things."""
    if a == b:
        return True
    if a in MEASURES or b in MEASURES:
        return False
    return a in CLASSIFIERS or b in CLASSIFIERS or _cognate(a, b)


def _cognate(a: str, b: str) -> bool:
    """line = línea = linea, robot = robô, smartphone = smartphones: one stem across the Latin-script languages."""
    if a.startswith("per ") or b.startswith("per "):
        return False  # a phone per second is not a phone per minute
    fa, fb = sorted((unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in (a, b)), key=len)
    return len(fa) >= 4 and len(fb) - len(fa) <= 1 and fb.startswith(fa)


def _eu_float(num: str) -> float:
    """1.000,5 / 1,000.5 / 5,6 / 1 000: the last separator followed by one or two digits is the decimal one."""
    num = num.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    m = re.search(r"[.,](\d{1,2})$", num)
    whole, frac = (num[:m.start()], m.group(1)) if m else (num, "")
    whole = whole.replace(".", "").replace(",", "")
    return float(f"{whole}.{frac}" if frac else whole)


_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_WORD_NUMBER = re.compile(r"(?<![a-z])(?<!half )(" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) +
                          r")(?=\s+(?:gigawatts?|megawatts?|trillion|billion|million)\b)", re.IGNORECASE)


# Chinese numerals before a counter or a currency: 百万台 = 100万台, 两千家 = 2000家, 十亿元 = 10亿元.
_HAN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HAN_UNITS = {"十": 10, "百": 100, "千": 1000}
# A lone 百 or 千 before a counter is mostly an idiom (百家争鸣, 千人一面, 十元店): two numeral characters,
# or 万/亿 after them, make a figure.
_HAN_COUNTER = r"(?:台|个|個|家|部|座|条|條|款|辆|輛|颗|顆|吨|噸|人|名|元|美元|平方米|公里)"
_HAN_NUMBER = re.compile(r"(?<![零一二两兩三四五六七八九十百千万萬亿億第])"
                         r"([零一二两兩三四五六七八九十百千]*[十百千][零一二两兩三四五六七八九]?)"
                         rf"(?:(?<=[零一二两兩三四五六七八九十百千]{{2}})(?=\s*{_HAN_COUNTER})|(?=[万萬亿億]\s*{_HAN_COUNTER}?))")


def _han_number(text: str) -> str:
    total, digit = 0, 0
    for ch in text:
        if ch in _HAN_DIGITS:
            digit = _HAN_DIGITS[ch]
        else:
            total += (digit or 1) * _HAN_UNITS[ch]
            digit = 0
    return str(total + digit)


def _to_float(num: str) -> float:
    return float(re.sub(r"[,，\s\u00a0\u202f]", "", num))


def parse_korean_amount(amount: str) -> float | None:
    """``1경4,578조`` -> 1.4578e16, ``2만 5000`` -> 25000, ``9조3052억`` -> 9.3052e12, ``5조6천억`` -> 5.6e12."""
    total = 0.0
    rest = amount.replace(" ", "")
    for num, small, big in re.findall(rf"({_NUM})([천백]?)([만억조경]?)", rest):
        value = _to_float(num) * {"천": 1e3, "백": 1e2}.get(small, 1)
        total += value * _KO_BIG[big] if big else value
    return total or None


def figures(text: str) -> tuple[Figure, ...]:
    """Every figure in a sentence as (value, unit, kind), comparable across languages."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: float, unit: str, kind: str, end: int | None = None) -> None:
        span = (m.start(), m.end() if end is None else end)
        if not math.isfinite(value) or abs(value) > 1e18 or any(s < span[1] and span[0] < e for s, e in taken):
            return  # 9…9 dollars is no amount: inf would poison the stored fingerprint
        taken.append(span)
        window = folded[max(0, span[0] - 24):span[0]] + " " + folded[span[1]:span[1] + 16]
        context = tuple(t for t in content_tokens(window) if not any(ch.isdigit() for ch in t))
        found.append(Figure(value=round(value, 6), unit=unit, kind=kind, text=shown[span[0]:span[1]].strip(),  # type: ignore[arg-type]
                            context=context))

    folded = unicodedata.normalize("NFKC", text)
    # "one gigawatt", "two billion dollars": spelled-out small numbers become digits first.
    folded = _WORD_NUMBER.sub(lambda m: str(_WORD_NUMBERS[m.group(1).lower()]), folded)
    folded = _HAN_NUMBER.sub(lambda m: _han_number(m.group(1)), folded)
    # Runs of digits no news figure has, phone numbers and clock times are masked, keeping their place.
    folded = _NOT_A_FIGURE.sub(lambda m: "#" * len(m.group(0)), folded)
    shown = folded
    for m in _ISO_DATE.finditer(folded):
        add(m, int(m.group("m")) * 100 + int(m.group("d")), "month-day", "date")
        add_year = float(m.group("y"))
        found.append(Figure(value=add_year, unit="year", kind="date", text=m.group("y")))
    # Before model names are masked: m2 is a unit here, not a name.
    for m in _AREA.finditer(folded):
        big = _BIG.get((m.group("big") or "").lower(), 1)
        value = _eu_float(m.group("num")) * big + float(m.group("rest") or 0)
        add(m, value * _AREA_UNIT[re.sub(r"[\s-]+", " ", m.group("unit").lower())], "m2", "area")
    # Model names keep their place (contexts are read around positions) but lose their digits;
    # a figure's text is shown as written ("2,048 H800 GPUs").
    folded = _MODEL_NAME.sub(lambda m: m.group(0) if _UNIT_SUFFIX.search(m.group(0)) and m.group(0)[0].isdigit()
                             else re.sub(r"\d", "#", m.group(0)), folded)
    for m in _HALF.finditer(folded):
        add(m, 0.5 * _EN_BIG[m.group("big").lower()], _CURRENCY.get(m.group("unit").lower(), "USD"), "money")
    for m in _CENTS.finditer(folded):
        add(m, _to_float(m.group("num")) / 100, "USD", "money")
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
    for m in _EU_AMOUNT.finditer(folded):
        add(m, _eu_float(m.group("num")) * _EU_BIG[m.group("big").lower()], _EU_CURRENCY[m.group("unit").lower()],
            "money")
    for m in _EU_PERCENT.finditer(folded):
        add(m, _eu_float(m.group("num") or m.group("num2")), "%", "percent")
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
        big = {"만": 1e4, "억": 1e8, "천": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}.get(m.group("big") or "", 1)
        num = m.group("num")
        european = m.group("unit").lower() in _EU_COUNTERS
        value = _eu_float(num) if european and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", num) else _to_float(num)
        add(m, value * big, _COUNTERS[m.group("unit").lower()], "count")
    for m in _DAY_DATE.finditer(folded):
        month = int(m.group("m")) if m.group("m") else _MONTHS[(m.group("mn") or m.group("mn2")).lower()]
        day = int(m.group("d") or m.group("dn") or m.group("dn2"))
        add(m, month * 100 + day, "month-day", "date")
    for m in _DURATION.finditer(folded):
        unit = m.group("u").lower().rstrip("s")
        unit = {"년": "year", "개월": "month", "주": "week", "일": "day", "시간": "hour", "天": "day", "个月": "month",
                "小时": "hour", "周": "week"}.get(unit, unit)
        add(m, _to_float(m.group("num")), unit, "duration")
    for m in _EU_DURATION.finditer(folded):
        u = m.group("u").lower()
        unit = next((v for k, v in _EU_DURATION_UNIT.items() if u.startswith(k)), "day")
        add(m, _eu_float(m.group("num")), unit, "duration")
    for m in _RATE.finditer(folded):
        span = (m.group("span") or m.group("span2")).lower()
        unit = "per " + ("minute" if span.startswith("min") else "hour" if span[0] in "ho" or span.startswith("stund")
                         else "day" if span[0] in "djtg" else "second")
        if m.group("span2"):
            every = m.group("every")
            value = float(_SMALL.get((every or "").lower(), every or 1))
            add(m, 1 / value if value else 1.0, unit, "count")
        else:
            num = m.group("num").lower()
            add(m, _eu_float(num) if num[0].isdigit() else 1.0, unit, "count")
    for m in _EU_COUNT.finditer(folded):
        noun = m.group("noun").lower()
        if noun not in _EU_CURRENCY and noun not in _CURRENCY:
            add(m, _eu_float(m.group("num")) * _EU_BIG[m.group("big").lower()], _COUNTERS.get(noun) or singular(noun),
                "count")
    for m in _NOUN_COUNT.finditer(folded):
        head = _head_noun(m.group("noun"), m.group("more"))
        if not head:
            continue
        noun, end = head.lower(), folded.index(head, m.start("noun")) + len(head)
        if noun in _NOT_NOUNS or noun in _CURRENCY or noun in _EU_BIG or noun.endswith(("ed", "ly")) \
                or _PRODUCT_BEFORE.search(folded[max(0, m.start() - 20):m.start()]) \
                or re.fullmatch(r"(?:19|20)\d{2}", m.group("num")):
            continue  # "released", "Python 3.1 released", "RTX 4090 costs", "the 2024 Olympics"
        big = _EN_BIG.get((m.group("big") or "").lower(), 1)
        add(m, _to_float(m.group("num")) * big, _COUNTERS.get(noun) or singular(noun), "count", end)
    for m in _BARE_YEAR.finditer(folded):
        add(m, float(m.group("y")), "year", "date")
    for m in _BARE_NUMBER.finditer(folded):  # what no pattern read: compared only between near-equal sentences
        add(m, _to_float(m.group(0)), "", "number")
    return tuple(found)
