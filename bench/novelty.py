"""Novelty decision cost as history grows: per-claim cost at N = 1,000,000 stored claims against N = 10,000.

Fills a store with synthetic claims (Zipf-distributed entities, figures, words,
so popular keys have long posting lists, as in real news), then times the
decision path for new claims — candidate retrieval through the database plus
the pure decision — at each size. Prints the ratio, resident memory at each
size, and the database size per million claims. Runs on SQLite, and on
PostgreSQL when it is reachable.

    python bench/novelty.py [--big 1000000] [--small 10000] [--probes 300] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from bot.models import Figure, Fingerprint  # noqa: E402
from bot.novelty import NoveltyOptions, decide, keys  # noqa: E402
from bot.novelty.encoder import quantize  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store import schema as t  # noqa: E402
from bot.store.repository import _fingerprint_to_json  # noqa: E402

PG_URL = os.environ.get("CLAIMBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOPICS = ("deepseek", "stargate", "dark_factory")
NOW = datetime(2025, 6, 1, tzinfo=UTC)
OPTIONS = NoveltyOptions()


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Synth:
    """Synthetic claims whose keys are as skewed as real ones, with random sentence embeddings."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.entities = [f"org{i}" for i in range(5000)]
        self.places = [f"place{i}" for i in range(300)]
        self.concepts = [f"c{i}" for i in range(60)]
        self.words = [f"w{i}" for i in range(50_000)]

    def zipf(self, items: list[str]) -> str:
        return items[min(len(items) - 1, int(self.rng.paretovariate(1.1)) - 1)]

    def claim(self) -> Fingerprint:
        r = self.rng
        topic = r.choice(TOPICS)
        concepts = tuple(sorted({self.zipf(self.concepts) for _ in range(3)}))
        figures = tuple(Figure(value=float(r.randint(1, 999)) * 10 ** r.randint(6, 12), unit=r.choice(["USD", "KRW"]),
                               kind="money", text="x", context=concepts[:2])
                        for _ in range(r.randint(0, 2)))
        vector = self.np.standard_normal(512).astype(np.float32)
        return Fingerprint(topic=topic, script="latin", names_topic=True, figures=figures,
                           actors=tuple({self.zipf(self.entities) for _ in range(r.randint(1, 3))}),
                           places=(r.choice(self.places),), concepts=concepts,
                           words=tuple(sorted({self.zipf(self.words) for _ in range(12)})),
                           vector=quantize(vector / np.linalg.norm(vector)))


def fill(engine, synth: Synth, start: int, count: int, batch: int = 5000) -> None:  # type: ignore[no-untyped-def]
    """Bulk-insert ``count`` claims (10 per article), their clusters and retrieval keys."""
    done = 0
    while done < count:
        n = min(batch, count - done)
        base = start + done
        articles, clusters, claims, rows = [], [], [], []
        for i in range(n):
            cid = base + i + 1
            when = NOW - timedelta(minutes=(start + count - cid))
            if i % 10 == 0:
                articles.append({"id": cid // 10 + 1, "url": f"https://s.example/{cid}",
                                 "canonical_url": f"https://s.example/{cid}", "fetched_at": when, "topics": [],
                                 "spam": False, "text_chars": 0})
            c = synth.claim()
            clusters.append({"id": f"k{cid}", "topic": c.topic, "created_at": when, "last_seen_at": when})
            claims.append({"id": cid, "article_id": (cid - 1) // 10 + 1, "cluster_id": f"k{cid}", "topic": c.topic,
                           "text": " ".join(c.words), "text_key": uuid.uuid4().hex, "status": "new",
                           "conflicts_with": [], "why": "", "score": 3.0, "figures": [vars_of(f) for f in c.figures],
                           "entities": [], "tokens": [], "fingerprint": _fingerprint_to_json(c),
                           "vector": c.vector, "created_at": when, "suppressed": True})
            rows += [{"claim_id": cid, "key": k.text, "topic": c.topic, "created_at": when}
                     for k in keys(c, OPTIONS, founder=True)]
        with engine.begin() as conn:
            conn.execute(insert(t.articles), articles)
            conn.execute(insert(t.clusters), clusters)
            conn.execute(insert(t.claims), claims)
            conn.execute(insert(t.claim_keys), rows)
        done += n


def vars_of(f: Figure) -> dict[str, object]:
    return {"value": f.value, "unit": f.unit, "kind": f.kind, "text": f.text, "context": list(f.context)}


def time_decisions(store: Store, probes: list[Fingerprint]) -> float:
    """Seconds per claim for retrieval plus decision, best of three passes."""
    since = NOW - timedelta(days=3650)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with store.transaction() as repo:
            for fp in probes:
                found = repo.similar_claims(fp.topic, keys(fp, OPTIONS), since)
                decide(fp, [(k, k.fingerprint) for k in found if k.fingerprint is not None], OPTIONS)
        best = min(best, (time.perf_counter() - start) / len(probes))
    return best


def db_bytes(engine, url: str) -> int:  # type: ignore[no-untyped-def]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar() or 0)


def run(backend: str, small: int, big: int, probes_n: int) -> None:
    tmp = tempfile.mkdtemp(prefix="claimbot-bench-")
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/novelty.db"
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    store = Store.open(url)
    synth = Synth(1)
    probes = [Synth(99).claim() for _ in range(probes_n)]
    try:
        start = time.perf_counter()
        fill(store.engine, synth, 0, small)
        small_cost = time_decisions(store, probes)
        small_rss = rss_mb()
        fill(store.engine, synth, small, big - small)
        fill_seconds = time.perf_counter() - start
        if backend == "postgresql":
            with store.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        big_cost = time_decisions(store, probes)
        big_rss = rss_mb()
        size = db_bytes(store.engine, url)
        print(f"{backend}: fill {big:,} claims in {fill_seconds:.0f}s")
        print(f"  per-claim decision at N={small:,}: {small_cost * 1000:.2f} ms   at N={big:,}: {big_cost * 1000:.2f} ms"
              f"   ratio {big_cost / small_cost:.2f} (target <= 2)")
        print(f"  resident memory: {small_rss:.0f} MB at N={small:,}, {big_rss:.0f} MB at N={big:,}")
        print(f"  database size: {size / 1e6:.0f} MB, {size / 1e6 * 1_000_000 / big:.0f} MB per million claims")
    finally:
        store.close()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        try:
            run(backend, args.small, args.big, args.probes)
        except Exception as exc:  # a missing PostgreSQL must not hide the SQLite figures
            print(f"{backend}: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    print(json.dumps({"note": "ratios are cost per claim at N=big over N=small, measured in the same run"}))


if __name__ == "__main__":
    main()
