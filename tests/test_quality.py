"""Quality gates on the labelled fixtures, with pinned floors.

Lowering a floor is a visible decision in a commit message, never a silent edit.
Run ``python bench/quality.py`` for the full report.
"""

from __future__ import annotations

import pytest

from .quality_eval import NoveltyReport, TopicReport, evaluate_novelty, evaluate_topics

TOPIC_PRECISION_FLOOR = 0.90
TOPIC_RECALL_FLOOR = 0.90


@pytest.fixture(scope="module")
def topics() -> TopicReport:
    return evaluate_topics()


@pytest.mark.parametrize("topic", ["deepseek", "stargate", "dark_factory"])
def test_topic_precision_and_recall_stay_above_their_floors(topics: TopicReport, topic: str) -> None:
    assert topics.precision(topic) >= TOPIC_PRECISION_FLOOR, topics.errors
    assert topics.recall(topic) >= TOPIC_RECALL_FLOOR, topics.errors


def test_hard_negatives_yield_no_claim_at_all(topics: TopicReport) -> None:
    assert topics.negatives_with_claims == []


def test_on_topic_passages_yield_claims(topics: TopicReport) -> None:
    assert len(topics.positives_without_claims) <= 2, topics.positives_without_claims
