"""The pipeline's two-pass novelty: figures and words first, meaning only for what stays new."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.config import load_settings
from bot.models import Document
from bot.novelty import MultilingualEncoder
from bot.pipeline import process_document
from bot.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class CountingEncoder(MultilingualEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        self.texts += list(texts)
        return super().encode(texts)


def test_claims_folded_by_their_figures_never_reach_the_encoder(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    ctx = replace(load_settings().context(), encoder=encoder)
    store = Store.open(f"sqlite:///{tmp_path}/p.db")
    first = "Kestrel Motors opened a dark factory in Ulsan. The plant cost 420 billion won and runs 300 robots."
    again = "울산에 문을 연 케스트럴모터스의 다크 팩토리는 4200억 원이 들었고 로봇 300대가 일한다."
    with store.transaction() as repo:
        one = process_document(Document(url="https://a.example/1", text=first), repo, ctx, NOW)
    assert one.outcomes and all(o.decision.status == "new" for o in one.outcomes)
    embedded = len(encoder.texts)
    with store.transaction() as repo:
        two = process_document(Document(url="https://b.example/2", text=again), repo, ctx, NOW)
    assert [o.decision.status for o in two.outcomes] == ["repeat"]
    assert len(encoder.texts) == embedded  # the shared figures decided it: nothing more was embedded
    store.close()


def test_a_restatement_in_another_language_without_figures_meets_its_original_by_meaning(tmp_path: Path) -> None:
    ctx = load_settings().context()
    store = Store.open(f"sqlite:///{tmp_path}/p.db")
    first = "Italy's data protection authority ordered DeepSeek blocked over privacy concerns."
    again = "이탈리아 개인정보 보호 당국이 개인정보 우려로 딥시크 차단을 명령했다."
    with store.transaction() as repo:
        process_document(Document(url="https://a.example/1", text=first), repo, ctx, NOW)
    with store.transaction() as repo:
        two = process_document(Document(url="https://b.example/2", text=again), repo, ctx, NOW)
    assert [o.decision.status for o in two.outcomes] == ["repeat"], [o.decision.why for o in two.outcomes]
    store.close()


def test_a_page_of_a_thousand_claims_is_capped_and_compared_by_key(tmp_path: Path, monkeypatch) -> None:
    import sys

    decide_module = sys.modules["bot.novelty.decide"]  # the package exports the function under that name

    calls = {"n": 0}
    real = decide_module.compare

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(decide_module, "compare", counting)
    settings = load_settings()
    ctx = replace(settings.context(), claims=replace(settings.claim_options, max_per_document=150))
    text = "\n\n".join(f"DeepSeek said plant {i} in district {i} shipped {1000 + i} servers." for i in range(1000))
    store = Store.open(f"sqlite:///{tmp_path}/p.db")
    with store.transaction() as repo:
        result = process_document(Document(url="https://a.example/1", text=text), repo, ctx, NOW)
    store.close()
    assert 0 < len(result.outcomes) <= 150
    assert calls["n"] <= 2 * 150 * ctx.novelty.own_candidates  # never all pairs (150 * 149 / 2 per pass)


def test_a_follow_up_that_never_names_the_topic_continues_its_story_by_the_known_figures(tmp_path: Path) -> None:
    ctx = load_settings().context()
    store = Store.open(f"sqlite:///{tmp_path}/p.db")
    first = ("Harlow Electronics runs a dark factory in Tianjin\n\n"
             "Harlow Electronics said its dark factory in Tianjin cost 3.7 billion yuan. "
             "The lights-out plant covers 64,000 square meters and can make 8 million tablets a year.")
    follow = ("Harlow's Tianjin factory starts a second line\n\n"
              "The Tianjin plant, which cost 3.7 billion yuan, spans 64,000 m².\n\n"
              "Harlow said the new line will add 2 million tablets a year from June.")
    other = ("Brennan Foods opens a factory in Leeds\n\n"
             "The Leeds plant cost 90 million pounds and covers 12,000 square meters.\n\n"
             "It will employ 400 people.")
    with store.transaction() as repo:
        process_document(Document(url="https://a.example/1", text=first), repo, ctx, NOW)
    with store.transaction() as repo:
        two = process_document(Document(url="https://b.example/2", text=follow), repo, ctx, NOW)
        three = process_document(Document(url="https://c.example/3", text=other), repo, ctx, NOW)
    assert two.topics == ("dark_factory",)
    statuses = {o.claim.text[:20]: o.decision.status for o in two.outcomes}
    assert "new" in statuses.values() and "repeat" in statuses.values(), statuses
    assert three.topics == () and not three.outcomes
    store.close()


def test_a_copy_word_for_word_files_no_retrieval_keys_of_its_own(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from bot.store.schema import claim_keys

    ctx = load_settings().context()
    store = Store.open(f"sqlite:///{tmp_path}/p.db")
    text = "Kestrel Motors opened a dark factory in Ulsan. The plant cost 420 billion won and runs 300 robots."
    with store.transaction() as repo:
        process_document(Document(url="https://a.example/1", text=text), repo, ctx, NOW)
        before = repo.conn.execute(select(func.count()).select_from(claim_keys)).scalar()
        copy = process_document(Document(url="https://mirror.example/1", text=text), repo, ctx, NOW)
        after = repo.conn.execute(select(func.count()).select_from(claim_keys)).scalar()
    store.close()
    assert copy.outcomes and all(o.decision.status == "repeat" and o.decision.verbatim for o in copy.outcomes)
    assert after == before
