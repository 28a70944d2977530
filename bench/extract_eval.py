"""Our extractor's F1 on trafilatura's own evaluation set, beside bare ``trafilatura.extract``.

The set is not committed (it is trafilatura's, and large). Take a copy of
``tests/evaldata.json``, ``tests/cache/`` and ``tests/eval/`` from the
adbar/trafilatura repository into one folder and point ``--data`` at it
(default: bench/.cache/trafilatura-eval).

Scoring follows trafilatura's: a page's "with" snippets found in the output are
true positives, its "without" snippets found are false positives.

    python bench/extract_eval.py [--data DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402

from bot.errors import ExtractError  # noqa: E402
from bot.extract import ExtractOptions, extract  # noqa: E402
from bot.fetch import decode  # noqa: E402
from bot.models import Document  # noqa: E402

DEFAULT = Path(__file__).resolve().parent / ".cache" / "trafilatura-eval"


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0
        self.seconds = 0.0

    def add(self, item: dict, result: str | None) -> None:
        text = norm(result or "")
        tp = sum(1 for w in item["with"] if norm(w) in text) if result else 0
        fp = sum(1 for w in item["without"] if norm(w) in text) if result else 0
        self.tp += tp
        self.fp += fp
        self.fn += len(item["with"]) - tp
        self.tn += len(item["without"]) - fp

    def f1(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


def ours(url: str, raw: bytes, options: ExtractOptions) -> str | None:
    try:
        return extract(Document(url=url, html=decode(raw)), options).text
    except ExtractError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    index = args.data / "evaldata.json"
    if not index.exists():
        sys.exit(f"extract_eval: {index} not found. Copy tests/evaldata.json, tests/cache/ and tests/eval/ from "
                 "the adbar/trafilatura repository into that folder, or pass --data")
    evaldata = json.loads(index.read_text(encoding="utf-8"))
    items = list(evaldata.items())[: args.limit or None]
    base, mine = Score(), Score()
    options = ExtractOptions()
    pages = 0
    for url, item in items:
        path = next((p for p in (args.data / "cache" / item["file"], args.data / "eval" / item["file"]) if p.exists()),
                    None)
        if path is None:
            continue
        raw = path.read_bytes()
        pages += 1
        start = time.perf_counter()
        base.add(item, trafilatura.extract(raw))
        base.seconds += time.perf_counter() - start
        start = time.perf_counter()
        mine.add(item, ours(url, raw, options))
        mine.seconds += time.perf_counter() - start
    print(f"pages: {pages}")
    print(f"{'':28} {'precision':>9} {'recall':>7} {'F1':>7} {'ms/page':>8}")
    for name, score in (("trafilatura.extract default", base), ("claimbot extract", mine)):
        p, r, f = score.f1()
        print(f"{name:28} {p:9.3f} {r:7.3f} {f:7.3f} {score.seconds / max(pages, 1) * 1000:8.2f}")
    print(f"F1 difference (ours - baseline): {mine.f1()[2] - base.f1()[2]:+.4f}")


if __name__ == "__main__":
    main()
