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


REPEAT_LEAKAGE_CEILING = 0.10     # repeats wrongly flagged new
FIRST_MENTION_RECALL_FLOOR = 0.90  # first reports flagged new
TRAP_FLOOR = 0.60                  # same entity / same figure traps kept new
CONFLICT_FLOOR = 0.60              # updated figures shown as conflicts


@pytest.fixture(scope="module")
def novelty() -> NoveltyReport:
    return evaluate_novelty()


def test_repeats_across_outlets_and_languages_are_folded(novelty: NoveltyReport) -> None:
    assert novelty.repeat_total >= 30
    assert novelty.leakage <= REPEAT_LEAKAGE_CEILING, novelty.leaks


def test_first_mentions_are_new(novelty: NoveltyReport) -> None:
    assert novelty.first_recall >= FIRST_MENTION_RECALL_FLOOR, novelty.missed


def test_traps_stay_new_and_updates_conflict(novelty: NoveltyReport) -> None:
    assert novelty.trap_new / novelty.trap_total >= TRAP_FLOOR
    assert novelty.update_conflicts / novelty.update_total >= CONFLICT_FLOOR
