"""The CLI contracts an independent evaluation calls: replay, extract, dry-run, check-config."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

from .conftest import ROOT

CLAIM_KEYS = {"topic", "text", "status", "cluster", "conflicts_with"}


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def run(args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, args, input=stdin)


STARGATE_EN = ("OpenAI, SoftBank and Oracle announced the Stargate project on Tuesday. The companies said they "
               "will invest $500 billion over four years in AI data centers in the United States.")
STARGATE_EN_2 = ("Stargate, the AI infrastructure venture of OpenAI and SoftBank, plans to spend $500 billion on "
                 "data centers over the next four years, the firms said.")
STARGATE_KO = ("오픈AI와 소프트뱅크가 추진하는 스타게이트 프로젝트가 미국에 AI 데이터센터를 짓는다. 양사는 향후 4년간 "
               "5000억 달러를 투자한다고 밝혔다.")


def test_replay_output_follows_the_schema_line_by_line(tmp_path: Path) -> None:
    docs = [
        {"url": "https://a.example/1", "title": "Stargate", "published": "2025-01-22T09:00:00+00:00",
         "source": "Outlet A", "text": STARGATE_EN},
        {"url": "https://b.example/2", "title": None, "published": None, "source": None,
         "html": f"<html><body><article><p>{STARGATE_EN_2}</p></article></body></html>"},
        {"url": "https://c.example/3", "title": "날씨", "published": "2025-01-23", "source": "C",
         "text": "내일은 전국이 맑겠습니다. 기온은 평년보다 높겠습니다."},
    ]
    result = run(["replay", str(write_jsonl(tmp_path / "in.jsonl", docs))])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 3
    for doc, line in zip(docs, lines, strict=True):
        assert line["url"] == doc["url"]
        assert {"url", "title", "published", "topics", "claims"} <= set(line)
        assert isinstance(line["topics"], list)
        for claim in line["claims"]:
            assert CLAIM_KEYS <= set(claim)
            assert claim["status"] in ("new", "repeat")
            assert isinstance(claim["cluster"], str) and claim["cluster"]
            assert isinstance(claim["conflicts_with"], list)
    assert lines[0]["published"].startswith("2025-01-22")
    assert lines[2]["topics"] == [] and lines[2]["claims"] == []


def test_a_repeat_carries_the_cluster_of_the_claim_it_repeats(tmp_path: Path) -> None:
    docs = [{"url": "https://a.example/1", "source": "A", "text": STARGATE_EN},
            {"url": "https://b.example/2", "source": "B", "text": STARGATE_EN_2},
            {"url": "https://k.example/3", "source": "K", "text": STARGATE_KO}]
    result = run(["replay", str(write_jsonl(tmp_path / "in.jsonl", docs))])
    first, second, korean = [json.loads(x) for x in result.stdout.splitlines()]
    money = [c for c in first["claims"] if "$500 billion" in c["text"]]
    assert money and money[0]["status"] == "new"
    repeats = [c for c in second["claims"] + korean["claims"] if "500" in c["text"]]
    assert repeats and all(c["status"] == "repeat" and c["cluster"] == money[0]["cluster"] for c in repeats)


def test_replay_reports_bad_lines_by_number_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([
        json.dumps({"url": "https://a.example/1", "text": STARGATE_EN}),
        "{not json",
        json.dumps({"title": "no url", "text": "x"}),
        json.dumps({"url": "https://a.example/4", "published": "yesterday-ish", "text": "x"}),
        json.dumps({"url": "https://a.example/5", "text": STARGATE_EN_2}),
    ]) + "\n", encoding="utf-8")
    result = run(["replay", str(path)])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 5
    assert lines[0]["claims"] and lines[4]["claims"]
    for n in (2, 3, 4):
        assert f"line {n}" in result.stderr
        assert "error" in lines[n - 1]
    assert "Traceback" not in result.output


def test_replay_reads_stdin_and_keeps_history_in_a_given_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/history.db"
    first = run(["replay", "-", "--db", db], stdin=json.dumps({"url": "https://a.example/1", "text": STARGATE_EN}))
    assert first.exit_code == 0, first.output
    # A new process on the same database: nothing is forgotten across restarts.
    again = run(["replay", "-", "--db", db], stdin=json.dumps({"url": "https://b.example/9", "text": STARGATE_EN_2}))
    claims = json.loads(again.stdout)["claims"]
    assert claims and all(c["status"] == "repeat" for c in claims if "500" in c["text"])


def test_replay_of_a_missing_file_is_one_clear_line_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "replay", str(tmp_path / "nope.jsonl")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert "nope.jsonl" in proc.stderr and "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_extract_json_has_the_contract_fields_and_decodes_euc_kr(tmp_path: Path) -> None:
    body = "딥시크가 새로운 추론 모델을 공개했다고 회사가 20일 밝혔다. 개발 비용은 600만 달러로 알려졌다."
    html = (f'<html><head><meta charset="euc-kr"><title>딥시크 새 모델</title></head><body><article>'
            f"<h1>딥시크 새 모델</h1><p>{body}</p><p>{body[:30]} 추가 문장이다.</p></article></body></html>")
    page = tmp_path / "page.html"
    page.write_bytes(html.encode("euc-kr"))
    result = run(["extract", str(page), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"source", "title", "published", "outlet", "text"} <= set(out)
    assert body in out["text"]


def test_extract_reads_json_lines_from_stdin() -> None:
    lines = [json.dumps({"url": "https://a.example/1", "text": "첫 문서 본문이다. 두 번째 문장이다."}),
             json.dumps({"url": "https://a.example/2", "html": "<p>둘째 문서의 본문 문장이 여기에 있습니다.</p>"})]
    result = run(["extract", "-", "--format", "json"], stdin="\n".join(lines))
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_dry_run_json_is_block_kit_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'topics_file = "{ROOT / "config" / "topics.toml"}"\n'
                      f'database_url = "sqlite:///{tmp_path}/must-not-exist/x.db"\n', encoding="utf-8")
    result = run(["dry-run", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)["messages"]
    assert messages and all(m["text"] and m["blocks"] for m in messages)
    assert not (tmp_path / "must-not-exist").exists()


@pytest.mark.parametrize(("content", "expected"), [
    ("colour = 1\n", ["unknown key 'colour'"]),
    ('[schedule]\ndigest_cron = "61 * * * *"\n', ["schedule.digest_cron", "cron"]),
    ('[schedule]\npoll_seconds = "often"\n', ["schedule.poll_seconds"]),
    ('[[feeds]]\nurl = "https://x.example/rss"\ninterval = 5\n', ["feed #1", "unknown key 'interval'"]),
    ("timezone = 'Mars/Base'\n", ["timezone"]),
    ("[slack\n", ["not valid TOML"]),
])
def test_check_config_errors_name_the_file_and_the_key(tmp_path: Path, content: str, expected: list[str]) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(content, encoding="utf-8")
    result = run(["check-config", "--config", str(config)])
    assert result.exit_code == 1
    assert str(config) in result.output
    for piece in expected:
        assert piece in result.output
    assert "Traceback" not in result.output


def test_check_config_names_the_topic_with_a_bad_key(tmp_path: Path) -> None:
    topics = tmp_path / "topics.toml"
    topics.write_text('[topics.stargate]\nname = "Stargate"\naliases.en = ["Stargate"]\nalias = ["x"]\n')
    config = tmp_path / "bot.toml"
    config.write_text(f'topics_file = "{topics}"\n')
    result = run(["check-config", "--config", str(config)])
    assert result.exit_code == 1
    assert "topic 'stargate'" in result.output and "unknown key 'alias'" in result.output


def test_check_config_accepts_the_shipped_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/ok.db")
    result = run(["check-config", "--config", str(tmp_path / "config" / "bot.toml")])
    assert result.exit_code == 0, result.output
    assert "deepseek" in result.output and "reachable" in result.output


ODD_DOCUMENTS = [
    {"url": "https://x.example/empty", "text": ""},
    {"url": "https://x.example/blank-html", "html": ""},
    {"url": "https://x.example/garbage", "html": "<<<>>><div><p>unclosed <b>bold"},
    {"url": "https://x.example/script-only", "html": "<html><body><script>var a=1;</script></body></html>"},
    {"url": "https://x.example/ja", "text": "ディープシークは新しいモデルを発表した。開発費は600万ドルだった。"},
    {"url": "https://x.example/zh", "text": "据路透社报道，深度求索的模型训练成本约为560万美元。"},
    {"url": "https://x.example/long", "text": "딥시크가 " + "매우 " * 20000 + "좋다."},
    {"url": "https://x.example/control", "text": "DeepSeek\x00 said\x1b[31m costs fell 90%.\u202e"},
    {"url": "https://x.example/huge-number", "text": "DeepSeek raised 1e309 dollars and 9999999999999999999999조 원."},
    {"url": "https://x.example/surrogate", "text": "\udcff DeepSeek 딥시크가 발표했다."},
]


def test_odd_documents_keep_the_schema_and_never_crash(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in ODD_DOCUMENTS), encoding="utf-8")
    result = run(["replay", str(path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [line["url"] for line in lines] == [d["url"] for d in ODD_DOCUMENTS]
    for line in lines:
        assert isinstance(line["topics"], list) and isinstance(line["claims"], list)
        for claim in line["claims"]:
            assert CLAIM_KEYS <= set(claim)
            assert not any(ch in claim["text"] for ch in "\x00\x1b\u202e")
    assert "Traceback" not in result.output


def test_topics_test_shows_exactly_the_claims_replay_flags(tmp_path: Path) -> None:
    text = ("Kestrel Motors opened a dark factory in Ulsan on Monday.\n\n"
            "The company said the site cost 420 billion won and runs 300 robots.\n\n"
            "Would you work there? Nobody knows!\n\n"
            "Its lines assemble 80,000 gearboxes a year, the firm's chief executive Mina Cho said.")
    replayed = run(["replay", "-"], json.dumps({"url": "https://k.example/1", "text": text}) + "\n")
    flagged = {c["text"] for c in json.loads(replayed.output.splitlines()[0])["claims"]}
    shown = run(["topics", "test", text]).output
    said_claim = {line.strip()[1:].split("] ", 1)[1] for line, verdict in zip(shown.splitlines(), shown.splitlines()[1:], strict=False)
                  if line.startswith("[") and "; claim #" in verdict}
    assert flagged and said_claim == flagged
