"""feedparser's own test feeds, and thousands of corrupted copies, through our feed stage.

Every input must come out as a ParsedFeed or a FeedError; anything else is a crash.
The corpus is not committed: copy ``tests/`` of the kurtmckee/feedparser repository
into a folder and point ``--data`` at it (default: bench/.cache/feedparser-tests).

    python bench/feed_fuzz.py [--data DIR] [--copies 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.errors import FeedError  # noqa: E402
from bot.feeds import parse_feed  # noqa: E402
from bot.models import Fetched  # noqa: E402

DEFAULT = Path(__file__).resolve().parent / ".cache" / "feedparser-tests"


def corrupt(data: bytes, rng: random.Random) -> bytes:
    """One of the ways bytes get damaged on the way: flips, cuts, junk, doubled or lost runs."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(64))
    b = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(max(1, len(b) // 50)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:
        del b[rng.randrange(len(b)):]
    elif kind == 2:
        at = rng.randrange(len(b))
        b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    elif kind == 3:
        at = rng.randrange(len(b))
        b[at:at] = b[at:at + rng.randint(1, 500)] * rng.randint(2, 5)
    elif kind == 4:
        at = rng.randrange(len(b))
        del b[at:at + rng.randint(1, 300)]
    else:
        b = bytearray(bytes(b).replace(b"<", b"<<", rng.randint(1, 20)).replace(b'"', b"", rng.randint(1, 20)))
    return bytes(b)


def run(files: list[Path], copies: int, seed: int = 1) -> Counter[str]:
    rng = random.Random(seed)
    outcome: Counter[str] = Counter()
    for path in files:
        original = path.read_bytes()
        for data in [original] + [corrupt(original, rng) for _ in range(copies)]:
            try:
                parse_feed(Fetched(url=str(path), final_url=str(path), content=data))
                outcome["parsed"] += 1
            except FeedError:
                outcome["feed error"] += 1
            except Exception as exc:  # exactly what this bench counts
                outcome[f"crash: {type(exc).__name__}"] += 1
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    files = sorted(p for p in args.data.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc"))
    if not files:
        sys.exit(f"feed_fuzz: no files under {args.data}; copy feedparser's tests/ there or pass --data")
    start = time.perf_counter()
    outcome = run(files, args.copies)
    total = sum(outcome.values())
    crashes = sum(v for k, v in outcome.items() if k.startswith("crash"))
    print(f"inputs: {total} ({len(files)} feedparser test files + {args.copies} corrupted copies each), "
          f"{time.perf_counter() - start:.0f}s")
    for key, value in sorted(outcome.items()):
        print(f"  {key}: {value}")
    print(f"crashes: {crashes}")


if __name__ == "__main__":
    main()
