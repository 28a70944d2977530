"""The quality report over the labelled fixtures: topic precision and recall per topic, and the
novelty stream's repeat leakage and first-mention recall. The tests pin floors on the same numbers.

    python bench/quality.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.quality_eval import evaluate_novelty, evaluate_topics  # noqa: E402


def main() -> None:
    topics = evaluate_topics()
    print("topics (tests/fixtures/topics/passages.jsonl)")
    print(f"  {'topic':14} {'precision':>9} {'recall':>7}   tp  fp  fn")
    for topic, (tp, fp, fn) in topics.counts.items():
        print(f"  {topic:14} {topics.precision(topic):9.2f} {topics.recall(topic):7.2f}  {tp:3} {fp:3} {fn:3}")
    print(f"  hard negatives with claims: {len(topics.negatives_with_claims)} {topics.negatives_with_claims}")
    print(f"  on-topic passages without claims: {topics.positives_without_claims}")
    for line in topics.errors:
        print(f"  - {line}")
    novelty = evaluate_novelty()
    print("novelty (tests/fixtures/novelty/stream.jsonl)")
    print(f"  first mentions flagged new: {novelty.first_new}/{novelty.first_total} = {novelty.first_recall:.0%}")
    print(f"  repeats flagged new (leakage): {novelty.repeat_new}/{novelty.repeat_total} = {novelty.leakage:.0%}"
          f"; repeats joined to the right cluster: {novelty.repeat_right_cluster}")
    print(f"  traps kept new: {novelty.trap_new}/{novelty.trap_total}; "
          f"updates shown as conflicts: {novelty.update_conflicts}/{novelty.update_total}")
    for label in novelty.missed:
        print(f"  - not a claim: {label}")
    for label in novelty.leaks:
        print(f"  - leaked: {label}")


if __name__ == "__main__":
    main()
