"""The seed gold (seeds/gold.json) as a test, through the CLI contracts.

A claim hits a gold item when its text contains the gold substring, with
whitespace removed from both. Every required claim is flagged exactly once
under its topic, no forbidden one is, and 004 yields no claim at all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main

from .conftest import SEEDS


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_lines(gold: dict[str, Any], *, with_metadata: bool) -> list[dict[str, Any]]:
    names = sorted(gold, key=lambda n: (gold[n]["published"] is None, gold[n]["published"] or "", n))
    docs = []
    for name in names:
        g = gold[name]
        doc = {"url": f"https://seeds.example/{name}", "text": (SEEDS / name).read_text(encoding="utf-8"),
               "title": None, "published": None, "source": None}
        if with_metadata:
            doc.update(title=g["title"], published=g["published"], source=g["outlet"])
        docs.append(doc)
    return docs


def replay(tmp_path: Path, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "seeds.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module", params=[True, False], ids=["with-metadata", "text-only"])
def replayed(request: pytest.FixtureRequest, gold: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, dict[str, Any]]:
    docs = seed_lines(gold, with_metadata=request.param)
    out = replay(tmp_path_factory.mktemp("gold"), docs)
    return {d["url"].rsplit("/", 1)[1]: o for d, o in zip(docs, out, strict=True)}


def _cases(kind: str) -> list[tuple[str, str, str]]:
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    return [(name, topic, item) for name, g in gold.items() for topic, t in g["topics"].items() for item in t[kind]]


@pytest.mark.parametrize(("seed", "topic", "required"), _cases("required"))
def test_required_claim_is_flagged_exactly_once(replayed: dict[str, dict[str, Any]], seed: str, topic: str,
                                                required: str) -> None:
    claims = [c for c in replayed[seed]["claims"] if c["topic"] == topic]
    hits = [c["text"] for c in claims if squash(required) in squash(c["text"])]
    assert len(hits) == 1, f"{seed} {topic}: {required!r} flagged {len(hits)} times"


@pytest.mark.parametrize(("seed", "topic", "forbidden"), _cases("forbidden"))
def test_forbidden_claim_is_not_flagged(replayed: dict[str, dict[str, Any]], seed: str, topic: str,
                                        forbidden: str) -> None:
    claims = [c["text"] for c in replayed[seed]["claims"] if c["topic"] == topic]
    assert not [c for c in claims if squash(forbidden) in squash(c)]


def test_off_topic_seed_yields_no_claim(replayed: dict[str, dict[str, Any]]) -> None:
    assert replayed["004_6497c23c843cbbd5.txt"]["claims"] == []
    assert replayed["004_6497c23c843cbbd5.txt"]["topics"] == []


def test_stuffed_seed_is_flagged_as_spam_but_keeps_its_real_claims(replayed: dict[str, dict[str, Any]]) -> None:
    doc = replayed["001_1b75fc1a0518b6e3.txt"]
    assert doc["spam"] is True
    assert {"deepseek", "dark_factory"} <= set(doc["topics"])


def test_conflicting_cost_figures_are_linked(replayed: dict[str, dict[str, Any]]) -> None:
    claims = replayed["002_596a87111053103a.txt"]["claims"]
    tenth = next(c for c in claims if "10분의1" in squash(c["text"]))
    hundred = next(c for c in claims if "100배가까이" in squash(c["text"]))
    assert hundred["cluster"] in tenth["conflicts_with"]


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_cleaned_text_has_no_boilerplate_and_keeps_the_body(gold: dict[str, Any], seed: str) -> None:
    result = CliRunner().invoke(main, ["extract", str(SEEDS / seed), "--format", "json"])
    assert result.exit_code == 0, result.output
    text = squash(json.loads(result.stdout)["text"])
    g = gold[seed]
    assert [b for b in g["boilerplate"] if squash(b) in text] == []
    assert [k for k in g["keep"] if squash(k) not in text] == []


def test_dry_run_digest_shows_required_claims_once_and_nothing_forbidden(gold: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["dry-run"])
    assert result.exit_code == 0, result.output
    # Grouped by story: "== DeepSeek: 3 stories, 7 claims ==", then each story's key claims as bullets.
    sections = dict(re.findall(r"== (.+?): \d+ stor(?:y|ies), .*? ==\n(.*?)(?=\n== |\n\d+ feeds? read)", result.stdout,
                               re.S))
    names = {"deepseek": "DeepSeek", "stargate": "Stargate", "dark_factory": "Dark factories"}
    for seed, g in gold.items():
        for topic, t in g["topics"].items():
            bullets = [squash(ln) for ln in sections.get(names[topic], "").splitlines() if ln.strip().startswith("•")]
            for required in t["required"]:
                assert sum(squash(required) in b for b in bullets) == 1, (seed, topic, required)
            for forbidden in t["forbidden"]:
                assert not [b for b in bullets if squash(forbidden) in b], (seed, topic, forbidden)
    everything = squash(result.stdout)
    for g in gold.values():
        for line in g["boilerplate"]:
            if len(squash(line)) > 3:
                assert squash(line) not in everything
