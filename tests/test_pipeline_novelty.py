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
