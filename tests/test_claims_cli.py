"""`claimbot claims` searches what was seen; `claims show` tells one story's whole history."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.cli.claims import parse_since
from bot.errors import InputError
from bot.models import Article, Claim, Decision, Figure, Fingerprint
from bot.store import Store

from .conftest import ROOT

NOW = datetime.now(UTC)


def save(store: Store, url: str, outlet: str, text: str, decision: Decision, *, topic: str = "deepseek",
         days_ago: float = 0, figures: tuple[Figure, ...] = (), seeded: bool = False) -> None:
    at = NOW - timedelta(days=days_ago)
    with store.transaction() as repo:
        aid, _ = repo.save_article(Article(url, "t", at, outlet, None, "b"), url, topics=[topic], spam=False,
                                   spam_reason=None, now=at)
        repo.save_claims(aid, [(Claim(topic, text, 0, 3.0, figures), decision,
                                Fingerprint(topic, "latin", False, figures), [])], url=url, outlet=outlet, now=at,
                         suppressed=seeded)


@pytest.fixture
def seen(db_url: str, tmp_path: Path) -> tuple[Path, str]:
    """A story told by three outlets with a later conflicting figure, an old claim, and seeded history."""
    store = Store.open(db_url)
    six = (Figure(6_000_000, "USD", "money", "600만 달러"),)
    save(store, "https://a.example/1", "Outlet A", "딥시크는 모델 훈련에 600만 달러를 썼다고 밝혔다.",
         Decision("new", "deepseek-aaaa111111"), days_ago=2, figures=six)
    save(store, "https://b.example/2", "Outlet B", "DeepSeek said training cost $6 million.",
         Decision("repeat", "deepseek-aaaa111111", why="same figure 6000000 USD"), days_ago=1.5, figures=six)
    save(store, "https://c.example/3", "Outlet C", "DeepSeek's training run cost 5.6 million dollars, a filing shows.",
         Decision("new", "deepseek-bbbb222222", conflicts_with=("deepseek-aaaa111111",)), days_ago=1,
         figures=(Figure(5_600_000, "USD", "money", "5.6 million dollars"),))
    save(store, "https://d.example/4", "Outlet D", "Stargate will spend 100% of_its budget on data centers.",
         Decision("new", "stargate-cccc333333"), topic="stargate", days_ago=30)
    save(store, "https://e.example/5", "Outlet E", "DeepSeek opened an office in Seoul.",
         Decision("new", "deepseek-dddd444444"), days_ago=0.5, seeded=True)
    store.close()
    shutil.copytree(ROOT / "config", tmp_path / "config")
    return tmp_path / "config" / "bot.toml", db_url


def cli(seen: tuple[Path, str], *args: str) -> Result:
    config, db_url = seen
    return CliRunner().invoke(main, [*args, "--config", str(config)], env={"DATABASE_URL": db_url})


def test_claims_lists_newest_first_with_state_cluster_outlets_and_conflicts(seen: tuple[Path, str]) -> None:
    result = cli(seen, "claims")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]
    assert [ln.split()[3] for ln in lines] == ["deepseek-dddd444444", "deepseek-bbbb222222", "deepseek-aaaa111111",
                                              "deepseek-aaaa111111", "stargate-cccc333333"]
    assert [ln.split()[2] for ln in lines] == ["history", "pending", "folded", "pending", "pending"]
    assert "≠ deepseek-aaaa111111" in lines[1]
    assert lines[2].split()[4] == "2"  # two outlets in that story


def test_claims_filters_by_topic_time_and_word(seen: tuple[Path, str]) -> None:
    rows = json.loads(cli(seen, "claims", "--format", "json", "--topic", "deepseek", "--since", "7d").output)
    assert {r["cluster"] for r in rows} == {"deepseek-aaaa111111", "deepseek-bbbb222222", "deepseek-dddd444444"}
    rows = json.loads(cli(seen, "claims", "--format", "json", "--grep", "MILLION").output)
    assert [r["outlet"] for r in rows] == ["Outlet C", "Outlet B"]
    # LIKE's wildcards are plain characters here
    rows = json.loads(cli(seen, "claims", "--format", "json", "--grep", "100% of_").output)
    assert [r["cluster"] for r in rows] == ["stargate-cccc333333"]
    assert json.loads(cli(seen, "claims", "--format", "json", "--grep", "0%_o").output) == []


def test_claims_json_and_csv_carry_the_same_fields(seen: tuple[Path, str]) -> None:
    rows = json.loads(cli(seen, "claims", "--format", "json", "--since", "36h").output)
    conflict = next(r for r in rows if r["conflicts_with"])
    assert conflict["status"] == "new" and conflict["figures"] == ["5.6 million dollars"]
    assert conflict["outlets"] == 1 and conflict["url"] == "https://c.example/3"
    table = list(csv.DictReader(io.StringIO(cli(seen, "claims", "--format", "csv", "--since", "36h").output)))
    assert [r["cluster"] for r in table] == [r["cluster"] for r in rows]
    assert table[1]["conflicts_with"] == "deepseek-aaaa111111"


def test_claims_show_tells_the_whole_story_by_a_prefix(seen: tuple[Path, str]) -> None:
    result = cli(seen, "claims", "show", "deepseek-aaaa")
    assert result.exit_code == 0, result.output
    assert "story deepseek-aaaa111111" in result.output and "2 claim(s) from 2 source(s)" in result.output
    assert result.output.index("Outlet A") < result.output.index("Outlet B")
    assert "600만 달러" in result.output and "joined because: same figure" in result.output
    assert "figures conflict with: deepseek-bbbb222222" in result.output
    story = json.loads(cli(seen, "claims", "show", "deepseek-aaaa111111", "--format", "json").output)
    assert [c["outlet"] for c in story["claims"]] == ["Outlet A", "Outlet B"]


@pytest.mark.parametrize(("cluster", "piece"), [("deepseek-", "ambiguous"), ("nope", "no such story")])
def test_claims_show_of_an_unknown_or_ambiguous_cluster_is_one_line(seen: tuple[Path, str], cluster: str,
                                                                    piece: str) -> None:
    result = cli(seen, "claims", "show", cluster)
    assert result.exit_code == 1 and piece in result.output and result.output.count("\n") == 1


def test_an_unknown_topic_names_the_known_ones(seen: tuple[Path, str]) -> None:
    result = cli(seen, "claims", "--topic", "deepseak")
    assert result.exit_code == 1 and "deepseek" in result.output


def test_since_reads_spans_and_dates() -> None:
    at = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)
    assert parse_since("7d", at) == at - timedelta(days=7)
    assert parse_since("12h", at) == at - timedelta(hours=12)
    assert parse_since("2025-02-01", at) == datetime(2025, 2, 1, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_since("last week", at)
