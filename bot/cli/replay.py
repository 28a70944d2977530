"""`claimbot replay`: JSON Lines documents through the pipeline, one decision line per input line."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ClaimbotError, ExtractError, InputError, one_line
from ..extract import parse_date
from ..models import Document, DocumentResult
from ..pipeline import process_document
from ..store import Store
from . import main
from .common import build_context, config_option, friendly, load, now, parse_json_line

_DOC_KEYS = {"url", "title", "published", "source", "text", "html"}


def parse_replay_line(raw: str, number: int, tz: Any) -> Document:
    obj = parse_json_line(raw, f"line {number}")
    if not isinstance(obj, dict):
        raise InputError(f"line {number}", "not a JSON object", 'write {"url": ..., "text": ...} on each line')
    url = obj.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InputError(f"line {number}", "missing or empty 'url'", "every document needs a url string")
    for key in ("title", "published", "source"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InputError(f"line {number}", f"'{key}' must be a string or null", "fix that field")
    text, html = obj.get("text"), obj.get("html")
    if not isinstance(text, str) and not isinstance(html, str):
        raise InputError(f"line {number}", "needs a 'text' or an 'html' string", "add the document's content")
    published = None
    if obj.get("published"):
        published = parse_date(obj["published"], tz)
        if published is None:
            raise InputError(f"line {number}", f"'published' is not an ISO-8601 date: {obj['published']!r}",
                             "use e.g. 2025-01-27T09:00:00+09:00 or null")
    return Document(url=_no_nul(url), html=_no_nul(html) if isinstance(html, str) else None,
                    text=_no_nul(text) if isinstance(text, str) and not isinstance(html, str) else None,
                    title=_no_nul(obj.get("title")), published=published, source=_no_nul(obj.get("source")))


def _no_nul(value: str | None) -> str | None:
    """NUL carries no meaning in a document, and PostgreSQL cannot store it in text."""
    return value.replace("\x00", "") if value else value


def result_json(result: DocumentResult, doc: Document) -> dict[str, Any]:
    published = doc.published or result.published
    return {
        "url": doc.url,
        "title": doc.title if doc.title is not None else result.title,
        "published": published.isoformat() if published else None,
        "topics": list(result.topics),
        "spam": result.spam,
        "claims": [{
            "topic": o.claim.topic,
            "text": o.claim.text,
            "status": o.decision.status,
            "cluster": o.decision.cluster,
            "conflicts_with": list(o.decision.conflicts_with),
            "why": o.decision.why,
            "score": o.claim.score,
            "rank": o.claim.rank,
            "key": o.claim.key,
            "figures": [{"value": f.value, "unit": f.unit, "kind": f.kind, "text": f.text} for f in o.claim.figures],
        } for o in result.outcomes],
    }


def _url_of(raw: str) -> str | None:
    """The url of a bad line, when it has one, so its error line can still be matched to it."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    url = obj.get("url") if isinstance(obj, dict) else None
    return url if isinstance(url, str) else None


class _LineTooLong(str):
    """Stands in for a line over the limit, which was skipped rather than held in memory."""


def _lines(path: str, limit: int) -> Iterator[str]:
    """Lines as text, each decoded on its own: a bad byte is that line's error, not the file's.
    A line over ``limit`` bytes is skipped up to its newline, never held whole."""
    try:
        fh = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise InputError(path, "no such file", "check the path, or pass - to read standard input") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})", "check its permissions") from None
    try:
        while True:
            raw = fh.readline(limit + 1)
            if not raw:
                return
            if len(raw) > limit and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = fh.readline(1 << 20)
                yield _LineTooLong()
                continue
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _NotUtf8(f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1}")
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})", "check its permissions") from None
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


class _NotUtf8(str):
    """Stands in for a line that is not UTF-8; its text says where."""


@main.command()
@click.argument("file")
@click.option("--db", "db_url", help="SQLAlchemy URL to replay into (default: a fresh temporary SQLite database).")
@click.option("--topics", "topics_path", type=click.Path(path_type=Path), help="Path to topics.toml.")
@config_option
@friendly
def replay(file: str, db_url: str | None, topics_path: Path | None, config_path: Path | None) -> None:
    """Process JSON Lines documents in file order and print one JSON line per input line.

    Input lines: {"url", "title", "published", "source", and "text" or "html"}.
    Output lines: {"url", "title", "published", "topics", "spam", "claims": [{"topic",
    "text", "status": "new"|"repeat", "cluster", "conflicts_with", "why", "score", "rank",
    "key", "figures"}]}; "key" marks the article's key claims, "rank" 0 is its best.
    A bad line (not JSON, not UTF-8, nested too deeply, over limits.max_line_bytes,
    or refused by the database) is reported on stderr with its number (its output
    line carries "error"); the run goes on and exits 1 at the end.

    \b
    Example:
      claimbot replay articles.jsonl > decisions.jsonl
      cat articles.jsonl | claimbot replay - --db sqlite:///history.db
    """
    settings = load(config_path, topics_path=topics_path)
    ctx = build_context(settings)
    limit = settings.bot.limits.max_line_bytes
    bad = 0
    with tempfile.TemporaryDirectory(prefix="claimbot-replay-") as tmp:
        store = Store.open(db_url or f"sqlite:///{tmp}/replay.db")
        number = 0
        for raw in _lines(file, limit):
            number += 1
            if not isinstance(raw, _LineTooLong | _NotUtf8) and not raw.strip():
                continue
            doc = None
            try:
                if isinstance(raw, _LineTooLong):
                    raise InputError(f"line {number}", f"longer than {limit:,} bytes",
                                     "split the document, or raise limits.max_line_bytes")
                if isinstance(raw, _NotUtf8):
                    raise InputError(f"line {number}", f"not UTF-8 ({raw})", "JSON Lines files must be UTF-8")
                doc = parse_replay_line(raw, number, settings.timezone)
                future = doc.published is not None and doc.published > now() + timedelta(days=2)
                if future:
                    # Replayed in time order, a date in the year 9999 would become "now" for
                    # every later line, and its claims would never age out.
                    click.echo(f"replay: line {number}: 'published' {doc.published.isoformat()} is in the "
                               "future; read as unknown", err=True)
                    doc = replace(doc, published=None)
                with store.transaction() as repo:
                    line = result_json(process_document(doc, repo, ctx, doc.published or now()), doc)
                if future:
                    line["warning"] = "'published' is in the future; read as unknown"
            except ExtractError as exc:
                # A well-formed line whose page holds no text: nothing to report, not a bad line.
                click.echo(f"replay: line {number}: {exc}", err=True)
                line = {"url": doc.url if doc else None, "title": doc.title if doc else None, "published": None,
                        "topics": [], "spam": False, "claims": [], "warning": str(exc)}
            except (ClaimbotError, SQLAlchemyError) as exc:
                bad += 1
                message = str(exc) if isinstance(exc, ClaimbotError) else \
                    f"store: line {number}: {type(exc).__name__}: {one_line(exc)}"
                click.echo(f"replay: {message}", err=True)
                line = {"url": _url_of(raw) if type(raw) is str else None, "title": None,
                        "published": None, "topics": [], "spam": False, "claims": [], "error": message,
                        "line": number}
            click.echo(json.dumps(line, ensure_ascii=False))
        store.close()
    if bad:
        click.echo(f"replay: {bad} bad line(s) of {number}", err=True)
        sys.exit(1)
