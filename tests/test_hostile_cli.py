"""Hostile and careless input on the command line: every replay line gets its own answer, no input
grows without bound, and database trouble reads as one line that says what to do."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

from .conftest import ROOT

ON_TOPIC = ("OpenAI, SoftBank and Oracle announced the Stargate project on Tuesday. The companies said they "
            "will invest $500 billion over four years in AI data centers in the United States.")
ON_TOPIC_2 = ("Stargate, the AI infrastructure venture of OpenAI and SoftBank, plans to spend $500 billion on "
              "data centers over the next four years, the firms said.")


def run(args: list[str], stdin: bytes | str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, args, input=stdin)


def line(url: str, text: str, **extra: object) -> bytes:
    return json.dumps({"url": url, "text": text, **extra}, ensure_ascii=False).encode() + b"\n"


def test_a_nul_character_costs_nothing_on_either_database(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(line("https://a.example/1", ON_TOPIC) + line("https://a.example/2", "Stargate\u0000 " + ON_TOPIC_2,
                                                                  title="t\u0000") + line("https://a.example/3", ON_TOPIC))
    result = run(["replay", str(path), "--db", db_url])
    outputs = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(outputs) == 3, result.output
    assert result.exit_code == 0 and all("error" not in o for o in outputs)
    assert outputs[1]["claims"] and "\u0000" not in json.dumps(outputs[1])


def test_deeply_nested_json_is_that_lines_error(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    nested = b'{"url": "https://a.example/2", "text": "x", "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    path.write_bytes(line("https://a.example/1", ON_TOPIC) + nested + line("https://a.example/3", ON_TOPIC_2))
    result = run(["replay", str(path)])
    outputs = [json.loads(x) for x in result.stdout.splitlines()]
    assert [bool(o.get("error")) for o in outputs] == [False, True, False]
    assert "nested too deeply" in outputs[1]["error"] and "line 2" in result.stderr
    assert result.exit_code == 1 and "bug" not in result.output


def test_a_byte_that_is_not_utf8_is_that_lines_error(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(line("https://a.example/1", ON_TOPIC) + b'{"url": "https://a.example/2", "text": "caf\xe9"}\n'
                     + line("https://a.example/3", ON_TOPIC_2))
    result = run(["replay", str(path)])
    outputs = [json.loads(x) for x in result.stdout.splitlines()]
    assert [bool(o.get("error")) for o in outputs] == [False, True, False]
    assert "not UTF-8" in outputs[1]["error"] and outputs[1]["line"] == 2
    assert outputs[2]["claims"] and result.exit_code == 1


def test_an_overlong_line_is_refused_and_the_next_line_still_read(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'topics_file = "{ROOT / "config" / "topics.toml"}"\n[limits]\nmax_line_bytes = 100000\n',
                      encoding="utf-8")
    path = tmp_path / "in.jsonl"
    path.write_bytes(line("https://a.example/1", "x" * 300_000) + line("https://a.example/2", ON_TOPIC))
    result = run(["replay", str(path), "--config", str(config)])
    outputs = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(outputs) == 2 and "longer than 100,000 bytes" in outputs[0]["error"] and outputs[1]["claims"]


PEAK_OF_CHILD = """
import resource, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "bot", "replay", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
chunk = b"x" * (1 << 20)
try:
    for _ in range(int(sys.argv[1])):
        child.stdin.write(chunk)
    child.stdin.close()
except BrokenPipeError:
    pass
out = child.stdout.read()
child.wait()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
print(out.decode()[:300].replace("\\n", " "))
"""


def test_replay_of_a_stream_without_newlines_stays_small() -> None:
    """600 MB with no newline on stdin: the line is cut at limits.max_line_bytes, never held whole."""
    out = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, "600"], capture_output=True, text=True, cwd=ROOT,
                         timeout=300, check=True).stdout.splitlines()
    peak_mb, first = int(out[0]), json.loads(out[1])
    assert "longer than" in first["error"] and first["line"] == 1
    assert peak_mb < 300, f"peak {peak_mb} MB"


def test_extract_of_an_endless_device_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "extract", "/dev/zero"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 1 and "too large" in proc.stderr and "/dev/zero" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_extract_reads_deep_json_lines_from_stdin_as_one_error() -> None:
    deep = '{"url": "u", "html": "<p>x</p>", "d": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    result = run(["extract", "-"], stdin=deep)
    assert result.exit_code == 1 and "nested too deeply" in result.output and "bug" not in result.output


# --- database errors a person can act on -----------------------------------------------------------

def corrupt_sqlite(path: Path) -> None:
    """A real database whose pages in the middle are overwritten: the header still reads fine."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE filler (x TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("y" * 500,) for _ in range(2000)])
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    for offset in range(8192, len(data) - 8192, 4096):
        data[offset:offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["replay", "-"], ["digest", "--preview"]])
def test_a_corrupted_sqlite_file_is_detected(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "bad.db"
    corrupt_sqlite(db)
    config = tmp_path / "bot.toml"
    config.write_text(f'topics_file = "{ROOT / "config" / "topics.toml"}"\ndatabase_url = "sqlite:///{db}"\n',
                      encoding="utf-8")
    args = command + (["--db", f"sqlite:///{db}"] if command[0] == "replay" else ["--config", str(config)])
    result = run(args, stdin=line("https://a.example/1", ON_TOPIC).decode())
    assert result.exit_code == 1
    assert "corrupt" in result.output and str(db) in result.output and "bug" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_sqlite_path_under_proc_is_one_line_naming_it(tmp_path: Path) -> None:
    result = run(["replay", "-", "--db", "sqlite:////proc/claimbot/x.db"], stdin=line("https://a.example/1", "x").decode())
    assert result.exit_code == 1 and "/proc/claimbot" in result.output
    assert "bug" not in result.output and "server is running" not in result.output


def test_a_read_only_database_is_not_told_to_check_the_server(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    sqlite3.connect(db).close()
    result = run(["replay", "-", "--db", f"sqlite:///file:{db}?mode=ro&uri=true"],
                 stdin=line("https://a.example/1", "x").decode())
    assert result.exit_code == 1 and "read-only" in result.output
    assert "server is running" not in result.output and "bug" not in result.output


def test_multi_line_database_errors_keep_their_meaningful_lines() -> None:
    from sqlalchemy.exc import IntegrityError

    from bot.errors import one_line

    orig = Exception('duplicate key value violates unique constraint "articles_pkey"\n'
                     "DETAIL:  Key (id)=(7) already exists.")
    exc = IntegrityError("INSERT INTO articles ...", {"id": 7}, orig)
    text = one_line(exc)
    assert "duplicate key" in text and "Key (id)=(7) already exists" in text
    assert "\n" not in text and "[SQL" not in text and "sqlalche.me" not in text


def test_a_publication_date_in_the_year_9999_is_read_as_unknown(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(line("https://a.example/1", ON_TOPIC, published="9999-12-31T00:00:00+00:00")
                     + line("https://a.example/2", ON_TOPIC_2, published="2025-01-22T09:00:00+00:00"))
    result = run(["replay", str(path)])
    first, second = (json.loads(x) for x in result.stdout.splitlines())
    assert first["published"] is None and "future" in first["warning"] and "line 1" in result.stderr
    assert "9999" not in json.dumps(first["claims"]) and second["published"].startswith("2025-01-22")
    assert result.exit_code == 0
