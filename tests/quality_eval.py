"""Quality evaluations over the labelled fixtures, shared by the tests (pinned floors) and
``bench/quality.py`` (the report). Each runs the real pipeline against a real SQLite file."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.extract import parse_date
from bot.models import Document
from bot.pipeline import Context, process_document
from bot.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def context_of(settings: Settings) -> Context:
    return settings.context()


@dataclass
class TopicReport:
    counts: dict[str, list[int]] = field(default_factory=dict)  # topic -> [tp, fp, fn]
    negatives_with_claims: list[str] = field(default_factory=list)
    positives_without_claims: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def precision(self, topic: str) -> float:
        tp, fp, _ = self.counts[topic]
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, topic: str) -> float:
        tp, _, fn = self.counts[topic]
        return tp / (tp + fn) if tp + fn else 1.0


def evaluate_topics(path: Path = FIXTURES / "topics" / "passages.jsonl") -> TopicReport:
    settings = load_settings()
    ctx = context_of(settings)
    report = TopicReport(counts={t: [0, 0, 0] for t in settings.topic_names})
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/topics.db")
        for i, row in enumerate(rows):
            with store.transaction() as repo:
                result = process_document(Document(url=f"https://eval.example/{i}", text=row["text"]), repo, ctx,
                                          parse_date("2025-02-01T00:00:00+00:00", settings.timezone))
            got, want = set(result.topics), set(row["topics"])
            for topic, c in report.counts.items():
                if topic in got and topic in want:
                    c[0] += 1
                elif topic in got:
                    c[1] += 1
                    report.errors.append(f"false {topic}: {row['id']} ({row['kind']})")
                elif topic in want:
                    c[2] += 1
                    report.errors.append(f"missed {topic}: {row['id']}")
            if row["kind"] != "on-topic" and result.outcomes:
                report.negatives_with_claims.append(row["id"])
            if row["kind"] == "on-topic" and not result.outcomes:
                report.positives_without_claims.append(row["id"])
        store.close()
    return report


@dataclass
class NoveltyReport:
    first_total: int = 0
    first_new: int = 0
    repeat_total: int = 0
    repeat_new: int = 0          # leakage: a repeat flagged new
    repeat_right_cluster: int = 0
    trap_total: int = 0
    trap_new: int = 0
    update_total: int = 0
    update_conflicts: int = 0
    missed: list[str] = field(default_factory=list)   # fact statements not flagged as claims at all
    leaks: list[str] = field(default_factory=list)

    @property
    def leakage(self) -> float:
        return self.repeat_new / self.repeat_total if self.repeat_total else 0.0

    @property
    def first_recall(self) -> float:
        return self.first_new / self.first_total if self.first_total else 1.0


def evaluate_novelty(path: Path = FIXTURES / "novelty" / "stream.jsonl") -> NoveltyReport:
    settings = load_settings()
    ctx = context_of(settings)
    report = NoveltyReport()
    first_cluster: dict[str, str] = {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/novelty.db")
        for row in rows:
            published = parse_date(row["published"], settings.timezone)
            doc = Document(url=row["url"], text=row["text"], title=row.get("title"), published=published,
                           source=row.get("source"))
            with store.transaction() as repo:
                result = process_document(doc, repo, ctx, published)
            for mention in row.get("mentions", []):
                outcome = next((o for o in result.outcomes if o.claim.topic == mention["topic"]
                                and squash(mention["snippet"]) in squash(o.claim.text)), None)
                label = f"{mention['fact']} {mention['role']} in {row['url']}"
                status = outcome.decision.status if outcome else None
                if outcome is None:
                    report.missed.append(label)
                role = mention["role"]
                if role == "first":
                    report.first_total += 1
                    report.first_new += status == "new"
                    if outcome is not None and outcome.decision.cluster:
                        first_cluster[mention["fact"]] = outcome.decision.cluster
                elif role == "repeat":
                    report.repeat_total += 1
                    if status != "repeat":
                        report.repeat_new += 1
                        report.leaks.append(label)
                    elif outcome is not None and outcome.decision.cluster == first_cluster.get(mention["fact"]):
                        report.repeat_right_cluster += 1
                elif role == "trap":
                    report.trap_total += 1
                    report.trap_new += status == "new"
                elif role == "update":
                    report.update_total += 1
                    report.update_conflicts += bool(outcome and outcome.decision.status == "new"
                                                    and outcome.decision.conflicts_with)
        store.close()
    return report


def as_dict(report: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(report).items()}
