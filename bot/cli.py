"""The command line: the composition root. It reads settings, builds the stages'
options, picks a notifier and a store, and hands them to the pipeline. Errors
from any stage become one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from . import __version__
from .claims import find_claims, score_sentence
from .config import SEEDS_DIR, Settings, load_settings
from .delivery import Notifier
from .delivery.console import ConsoleNotifier
from .delivery.slack import SlackNotifier, WebhookNotifier
from .digest import DigestOptions, build_digest, render_messages, render_text
from .errors import ClaimbotError, ConfigError, ExtractError, InputError, one_line
from .extract import extract, looks_like_html, parse_date
from .fetch import Fetcher, FetchOptions, decode
from .models import DigestStats, Document, DocumentResult
from .pipeline import Context, displayed, poll_feed, process_document, send_digest, stuffing_patterns
from .service import Service, ServiceOptions, configure_logging
from .store import Store
from .text import sentences
from .topics import match_topics

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_HELP = "Path to bot.toml (default: config/bot.toml in the project)."


def friendly(fn: F) -> F:
    """Turn claimbot errors into one clear line; the user never sees a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise  # already a user error (UsageError included): click prints it as it is
        except ClaimbotError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except SQLAlchemyError as exc:
            raise click.ClickException(f"store: database error ({type(exc).__name__}: {one_line(exc)}). "
                                       "Check DATABASE_URL and the server") from None
        except Exception as exc:
            if os.environ.get("CLAIMBOT_DEBUG"):
                raise
            raise click.ClickException(f"unexpected error: {type(exc).__name__}: {exc}. This is a bug in claimbot; "
                                       "run again with CLAIMBOT_DEBUG=1 for the traceback and report it") from None

    return wrapper  # type: ignore[return-value]


def _now() -> datetime:
    return datetime.now(UTC)


def build_context(settings: Settings) -> Context:
    return settings.context()


def digest_options(settings: Settings) -> DigestOptions:
    slack = settings.bot.slack
    return DigestOptions(timezone=settings.timezone, layout=slack.layout, claim_chars=slack.claim_chars,
                         item_chars=slack.item_chars, message_chars=slack.message_chars, key_claims=slack.key_claims,
                         conflict_lines=slack.conflict_lines)


def fetcher_for(settings: Settings, *, trusted: bool = False) -> Fetcher:
    limits = settings.bot.limits
    return Fetcher(FetchOptions(read_timeout=limits.fetch_timeout_seconds, max_bytes=limits.max_page_bytes,
                                total_timeout=limits.request_deadline_seconds,
                                max_redirects=limits.max_redirects,
                                allow_private=trusted or limits.allow_private_addresses))


def slack_notifier(settings: Settings) -> Notifier:
    secrets, options = settings.secrets, digest_options(settings)
    if secrets.slack_bot_token:
        return SlackNotifier(secrets.slack_bot_token, settings.bot.slack.channel, options, api_url=secrets.slack_api_url,
                             timeout=settings.bot.slack.timeout_seconds,
                             max_retry_after=settings.bot.slack.max_retry_after_seconds)
    if secrets.slack_webhook_url:
        return WebhookNotifier(secrets.slack_webhook_url, options)
    raise ConfigError("environment", "no Slack credentials",
                      "set SLACK_BOT_TOKEN (with slack.channel in bot.toml) or SLACK_WEBHOOK_URL")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="claimbot")
def main() -> None:
    """claimbot watches news feeds and tells analysts in Slack only what is new:
    fresh claims about the topics they track, folded across outlets and languages.

    \b
    Start with:  claimbot dry-run           (the seeds, offline, nothing posted)
    Then:        claimbot check-config      (validate config/bot.toml and topics)
                 claimbot run               (the service: poll, digest, prune)
    """


# --- dry-run -------------------------------------------------------------------------

def seed_documents(folder: Path = SEEDS_DIR) -> list[Document]:
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise InputError(str(folder), "no seed documents (*.txt) found", "restore seeds/ from the repository")
    return [Document(url=p.resolve().as_uri(), text=p.read_text(encoding="utf-8"), source=p.name) for p in files]


@main.command("dry-run")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the digest as plain text; json: the Block Kit messages Slack would get.")
@click.option("--explain", is_flag=True, help="Show each claim's score and why its repeats joined (console only).")
@friendly
def dry_run(config_path: Path | None, fmt: str, explain: bool) -> None:
    """Run the whole pipeline once and print the digest. Posts nothing, stores nothing.

    With no [[feeds]] in the config it reads the seed documents in seeds/;
    otherwise it polls every configured feed once (seed_history is ignored, so
    you see what the first digest would hold). State lives in a temporary
    database that is deleted on exit.

    \b
    Example:
      claimbot dry-run
      claimbot dry-run --format json | jq '.messages[0].blocks'
      claimbot dry-run --explain
    """
    settings = load_settings(config_path)
    ctx = build_context(settings)
    now = _now()
    with tempfile.TemporaryDirectory(prefix="claimbot-dry-run-") as tmp:
        store = Store.open(f"sqlite:///{tmp}/dry-run.db")
        stats = {"feeds": 0, "articles": 0, "claims": 0, "repeats": 0}
        errors: list[str] = []
        if settings.bot.feeds:
            fetcher = fetcher_for(settings)
            for feed in settings.bot.feeds:
                result = poll_feed(feed.url, fetcher, store, ctx, now, progress=_progress(feed.name or feed.url))
                for warning in result.warnings:
                    click.echo(f"warning: {warning}", err=True)
                if result.more:
                    click.echo(f"note: {feed.name or feed.url}: read the first {ctx.max_items_per_poll} new items "
                               "(limits.max_items_per_poll); the service reads the rest on later polls", err=True)
                stats["feeds"] += 1
                stats["articles"] += result.new_articles
                stats["claims"] += result.new_claims + result.repeats
                stats["repeats"] += result.repeats
                if result.error:
                    errors.append(feed.name or feed.url)
                    click.echo(f"warning: {result.error}", err=True)
                for item_error in result.item_errors:
                    click.echo(f"warning: {item_error}", err=True)
            fetcher.close()
        else:
            for doc in seed_documents():
                with store.transaction() as repo:
                    out = process_document(doc, repo, ctx, now)
                stats["articles"] += 1
                stats["claims"] += len(out.outcomes)
                stats["repeats"] += sum(o.decision.status == "repeat" for o in out.outcomes)
        digest_stats = DigestStats(feeds_polled=stats["feeds"], articles_read=stats["articles"],
                                   claims_seen=stats["claims"], repeats_folded=stats["repeats"],
                                   feeds_in_error=tuple(errors))
        # The console lists every claim of a story; Slack gets the key ones (see --format json).
        notifier = ConsoleNotifier(digest_options(settings), fmt=fmt, explain=explain, every_claim=True)
        send_digest(store, notifier, settings.topic_names, now, stats=digest_stats, post_empty=True,
                    stuffing=stuffing_patterns(settings.topics))
        store.close()


def _progress(name: str, every: int = 25) -> Callable[[int, int], None]:
    """A line on stderr every few items of a long feed, so a long dry run never looks stuck."""

    def report(done: int, total: int) -> None:
        if total >= 2 * every and (done % every == 0 or done == total):
            click.echo(f"dry-run: {name}: {done}/{total} items", err=True)

    return report


# --- replay ----------------------------------------------------------------------------

_DOC_KEYS = {"url", "title", "published", "source", "text", "html"}


def _json(raw: str, where: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(where, f"not valid JSON ({exc.msg} at column {exc.colno})",
                         "each line must be one JSON object") from None
    except RecursionError:
        raise InputError(where, "JSON nested too deeply", "a document is one flat object") from None


def parse_replay_line(raw: str, number: int, tz: Any) -> Document:
    obj = _json(raw, f"line {number}")
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
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
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
    settings = load_settings(config_path, topics_path=topics_path)
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
                future = doc.published is not None and doc.published > _now() + timedelta(days=2)
                if future:
                    # Replayed in time order, a date in the year 9999 would become "now" for
                    # every later line, and its claims would never age out.
                    click.echo(f"replay: line {number}: 'published' {doc.published.isoformat()} is in the "
                               "future; read as unknown", err=True)
                    doc = replace(doc, published=None)
                with store.transaction() as repo:
                    line = result_json(process_document(doc, repo, ctx, doc.published or _now()), doc)
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


# --- extract -----------------------------------------------------------------------------

def _documents_for(path: str, fetcher: Fetcher) -> Iterator[Document]:
    if path == "-":
        for number, raw in enumerate(sys.stdin, 1):
            if raw.strip():
                obj = _json(raw, f"stdin line {number}")
                if not isinstance(obj, dict) or not isinstance(obj.get("html", obj.get("text")), str):
                    raise InputError(f"stdin line {number}", "needs 'url' and 'html' or 'text'", "fix that line")
                yield Document(url=str(obj.get("url") or f"stdin:{number}"), html=obj.get("html"),
                               text=None if "html" in obj else obj.get("text"))
        return
    fetched = fetcher.get(path)
    content = decode(fetched.content, fetched.headers.get("content-type"))
    is_html = path.lower().endswith((".html", ".htm", ".xhtml")) or "html" in fetched.headers.get("content-type", "") \
        or looks_like_html(content)
    url = fetched.final_url if path.startswith(("http://", "https://")) else Path(path).resolve().as_uri() \
        if "://" not in path else path
    yield Document(url=url, html=content if is_html else None, text=None if is_html else content)


@main.command("extract")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@friendly
def extract_cmd(paths: tuple[str, ...], fmt: str, config_path: Path | None) -> None:
    """Print the clean main text of HTML or text files, URLs, or JSON Lines on stdin (-).

    Bytes are decoded by BOM, then the HTTP header, then <meta charset>, then
    detection, so EUC-KR and CP949 pages come out clean. --format json prints one
    line per document: {"source", "title", "published", "outlet", "author", "text"}.
    Files are read up to limits.max_page_bytes whatever size they claim (devices,
    pipes); a pipe with no writer is an error, not a wait.

    \b
    Example:
      claimbot extract page.html https://example.com/news/1 --format json
    """
    settings = load_settings(config_path)
    fetcher = fetcher_for(settings, trusted=True)
    failed = 0
    for path in paths:
        try:
            for doc in _documents_for(path, fetcher):
                article = extract(doc, settings.extract_options)
                if fmt == "json":
                    click.echo(json.dumps({
                        "source": path if path != "-" else doc.url, "url": doc.url, "title": article.title,
                        "published": article.published.isoformat() if article.published else None,
                        "outlet": article.outlet, "author": article.author, "text": article.text,
                    }, ensure_ascii=False))
                else:
                    click.echo(f"# {article.title or path}\n\n{article.text}\n")
        except ClaimbotError as exc:
            failed += 1
            click.echo(f"extract: {exc}", err=True)
    fetcher.close()
    if failed:
        sys.exit(1)


# --- check-config, topics ---------------------------------------------------------------------

@main.command("check-config")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@click.option("--slack/--no-slack", default=False, help="Also check the Slack credentials with auth.test.")
@friendly
def check_config(config_path: Path | None, slack: bool) -> None:
    """Validate bot.toml and topics.toml, and check that the database is reachable.

    \b
    Example:
      claimbot check-config --config config/bot.toml
    """
    settings = load_settings(config_path)
    click.echo(f"config: {settings.path}: ok ({len(settings.bot.feeds)} feeds, timezone {settings.bot.timezone})")
    click.echo(f"topics: {settings.topics_path}: ok ({', '.join(settings.topic_names)})")
    store = Store.open(settings.database_url)
    store.close()
    click.echo(f"database: {store.engine.url.render_as_string(hide_password=True)}: reachable, migrated")
    if slack:
        notifier = slack_notifier(settings)
        client = getattr(notifier, "client", None)
        if isinstance(notifier, SlackNotifier):
            try:
                client.auth_test()  # type: ignore[union-attr]
            except Exception as exc:  # slack-sdk raises several unrelated types here
                raise ConfigError("SLACK_BOT_TOKEN", f"rejected by Slack ({exc})", "create a new bot token") from None
        click.echo("slack: credentials present" + (" and accepted" if isinstance(notifier, SlackNotifier) else ""))


@main.group()
def topics() -> None:
    """Inspect the topic rules."""


@topics.command("test")
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the text (or HTML) from a file instead.")
@click.option("--topics", "topics_path", type=click.Path(path_type=Path),
              help="Path to topics.toml (default: the one bot.toml names).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@friendly
def topics_test(text: str | None, file: Path | None, topics_path: Path | None, config_path: Path | None) -> None:
    """Show which rule fired on which sentence and why, or why nothing fired.

    \b
    Example:
      claimbot topics test "딥시크가 R1 모델을 공개했다. 개발비는 600만 달러였다."
      claimbot topics test --file article.html
    """
    if (text is None) == (file is None):
        raise click.UsageError("give either TEXT or --file")
    settings = load_settings(config_path, topics_path=topics_path)
    raw = file.read_text(encoding="utf-8", errors="replace") if file else str(text)
    doc = Document(url=str(file or "text"), html=raw if looks_like_html(raw) else None,
                   text=None if looks_like_html(raw) else raw)
    article = extract(doc, settings.extract_options)
    sents = sentences(article.text)
    result = match_topics(sents, settings.topics, article.title)
    if result.spam:
        click.echo(f"spam: {result.spam_reason}")
    for line in result.rejected:
        click.echo(f"rejected: {line}")
    if not result.hits:
        click.echo("no topic fired: no alias of any topic occurs (or every mention was rejected above)")
        return
    by_sentence: dict[int, list[Any]] = {}
    for hit in result.hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    # The pipeline's own claim finder, so what is shown here is what replay and the service decide.
    found = {(c.topic, c.sentence): c for c in find_claims(sents, result, settings.claim_options)}
    for index, hits in sorted(by_sentence.items()):
        click.echo(f"\n[{index}] {sents[index].text}")
        for hit in hits:
            claim = found.get((hit.topic, index))
            if claim is not None:
                verdict = f"claim #{claim.rank + 1}{' (key)' if claim.key else ''}, score {claim.score:.1f}: " \
                          + ", ".join(claim.reasons[:-1])
            else:
                score, reasons, _ = score_sentence(sents[index].text, hit.terms if hit.how == "alias" else ())
                verdict = f"not a claim, score {score:.1f}: {', '.join(reasons) or 'nothing checkable'}"
            click.echo(f"    {hit.topic}: {hit.how} ({hit.why}); {verdict}")


# --- digest, run, feeds ---------------------------------------------------------------------

@main.command()
@click.option("--send", "mode", flag_value="send", help="Post what is pending now to Slack.")
@click.option("--preview", "mode", flag_value="preview", default=True, help="Print it without posting (default).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--explain", is_flag=True, help="With --preview: every claim, its score and why its repeats joined.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@friendly
def digest(mode: str, fmt: str, explain: bool, config_path: Path | None) -> None:
    """Preview or send the digest of claims pending in the database.

    \b
    Example:
      claimbot digest --preview
      claimbot digest --preview --explain
      SLACK_BOT_TOKEN=xoxb-... claimbot digest --send
    """
    settings = load_settings(config_path)
    store = Store.open(settings.database_url)
    if mode == "send":
        outcome = send_digest(store, slack_notifier(settings), settings.topic_names, _now(),
                              post_empty=settings.bot.slack.post_empty, channel=settings.bot.slack.channel,
                              topic_channels=settings.topic_channels, stuffing=stuffing_patterns(settings.topics),
                              update_days=settings.bot.slack.update_days)
        store.close()
        if outcome.error:
            raise click.ClickException(outcome.error)
        n = len(outcome.digest.claim_ids)
        click.echo(f"digest: sent {n} claim(s)" if outcome.receipt else "digest: nothing new, nothing sent")
        return
    with store.transaction() as repo:
        items = displayed(repo.pending_claims(), stuffing_patterns(settings.topics))
        start = repo.last_digest_end()
    store.close()
    built = build_digest(items, settings.topic_names, period_start=start, period_end=_now())
    options = digest_options(settings)
    if fmt == "json":
        click.echo(json.dumps([{"text": m.text, "blocks": list(m.blocks), "thread_reply": m.reply}
                               for m in render_messages(built, options)], ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(built, options, explain=explain))


@main.command("story")
@click.argument("url")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@friendly
def story_cmd(url: str, config_path: Path | None) -> None:
    """List every claim stored for one article: what a story's "+N more" in the digest stands for.
    URL is the story's headline link.

    \b
    Example:
      claimbot story https://news.example.com/2025/02/07/deepseek-cost
    """
    settings = load_settings(config_path)
    store = Store.open(settings.database_url)
    with store.transaction() as repo:
        rows = repo.story_claims(url)
    store.close()
    if not rows:
        raise InputError(url[:200], "no stored article has this URL", "copy the story's headline link from the digest")
    for topic, status, text, score in rows:
        click.echo(f"[{settings.topic_names.get(topic, topic)}] {status}, score {score:.1f}: {text}")


@main.command("feedback")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@friendly
def feedback_cmd(config_path: Path | None) -> None:
    """List the analysts' reactions stored as feedback: 🔇 mutes a story (no more updates for it),
    ❌ marks it "not about the topic" or "not a claim". Each digest reads the reactions on the bot's
    story messages of the last week and stores each person's reaction once.

    \b
    Example:
      claimbot feedback
    """
    settings = load_settings(config_path)
    store = Store.open(settings.database_url)
    with store.transaction() as repo:
        rows = repo.feedback()
        texts = repo.claim_texts([cid for r in rows for cid in r["claim_ids"]][:5000])
    store.close()
    if not rows:
        click.echo("no feedback yet: react with 🔇 (mute) or ❌ (not about the topic) on a story in Slack")
        return
    for r in rows:
        when = r["created_at"].astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M")
        first = next((texts[c] for c in r["claim_ids"] if c in texts), "(claims pruned)")
        click.echo(f"{when}  {r['kind']:<12} :{r['reaction']}: by {r['user_id']}  {len(r['claim_ids'])} claim(s): "
                   f"{first[:100]}")


def service_options(settings: Settings) -> ServiceOptions:
    feeds, schedule = settings.bot.feeds, settings.bot.schedule
    return ServiceOptions(
        poll_seconds=schedule.poll_seconds, digest_cron=schedule.digest_cron, prune_cron=schedule.prune_cron,
        timezone=settings.bot.timezone, retention_days=settings.bot.limits.retention_days,
        feed_intervals={f.url: f.interval_seconds for f in feeds if f.interval_seconds},
        feed_seed_history={f.url: f.seed_history for f in feeds}, feed_names={f.url: f.name for f in feeds},
        channel=settings.bot.slack.channel, post_empty=settings.bot.slack.post_empty,
        topic_channels=settings.topic_channels, update_days=settings.bot.slack.update_days,
        concurrency=schedule.concurrency, per_host=schedule.per_host, lease_seconds=schedule.lease_seconds,
        max_backoff_seconds=schedule.max_backoff_seconds, error_threshold=schedule.error_threshold,
        digest_every_seconds=schedule.digest_every_seconds, health_port=schedule.health_port,
        health_host=schedule.health_host,
    )


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@click.option("--console", is_flag=True, help="Print digests to stdout instead of posting them to Slack.")
@click.option("--health-host", help="Address /healthz and /metrics listen on (default: schedule.health_host, "
              "127.0.0.1).")
@click.option("--verbose", is_flag=True, help="Also log the libraries' INFO lines (one per HTTP request).")
@friendly
def run(config_path: Path | None, console: bool, health_host: str | None, verbose: bool) -> None:
    """Run the service: poll feeds, post digests on schedule, prune old history.

    Logs are JSON lines on stdout; /healthz and /metrics listen on
    schedule.health_host:schedule.health_port (127.0.0.1:8080). SIGTERM or SIGINT
    aborts the requests in flight, stops each feed between two items and exits 0.
    Feeds come from bot.toml: edit it and send SIGHUP (or restart) to add or
    remove feeds. Any number of workers may share one PostgreSQL database.

    \b
    Example:
      SLACK_BOT_TOKEN=xoxb-... DATABASE_URL=postgresql+psycopg://claimbot@db/claimbot claimbot run
    """
    settings = load_settings(config_path)
    notifier = ConsoleNotifier(digest_options(settings)) if console else slack_notifier(settings)
    if not settings.bot.feeds:
        raise ConfigError(str(settings.path), "no [[feeds]] configured", "add at least one feed to run the service")
    configure_logging(verbose=verbose)
    store = Store.open(settings.database_url)

    def options(settings: Settings) -> ServiceOptions:
        built = service_options(settings)
        return replace(built, health_host=health_host) if health_host else built

    service = Service(options(settings), store, fetcher_for(settings), notifier, build_context(settings),
                      settings.topic_names)
    try:
        service.run(reload=lambda: options(load_settings(config_path)))
    finally:
        store.close()


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)
@friendly
def feeds(config_path: Path | None) -> None:
    """List the configured feeds with their health: status, last success, errors, next poll.

    A feed is never dropped silently: one that keeps failing stays listed here
    with its error and the time it started failing.

    \b
    Example:
      claimbot feeds
    """
    settings = load_settings(config_path)
    store = Store.open(settings.database_url)
    with store.transaction() as repo:
        repo.sync_feeds([(f.url, f.name) for f in settings.bot.feeds], _now())
        states = repo.feed_states()
    store.close()
    if not states:
        click.echo("no feeds configured: add [[feeds]] to bot.toml")
        return
    tz = settings.timezone

    def when(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "never"

    for f in states:
        status = "ok" if f.error_count == 0 else f"failing x{f.error_count} since {when(f.error_since)}"
        click.echo(f"{f.name or f.url}\n  url: {f.url}\n  status: {status}\n  last success: {when(f.last_success_at)}"
                   f"\n  next poll: {when(f.next_poll_at)}" + (f"\n  last error: {f.last_error}" if f.last_error else ""))
