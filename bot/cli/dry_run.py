"""`claimbot dry-run`: the whole pipeline once, into a temporary database, printed not posted."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from ..config import Settings, seeds_dir
from ..delivery.console import ConsoleNotifier
from ..errors import InputError
from ..models import DigestStats, Document
from ..pipeline import poll_feed, process_document, send_digest, stuffing_patterns
from ..store import Store
from . import main
from .common import build_context, config_option, digest_options, fetcher_for, friendly, load, now


def seed_documents(folder: Path | None = None) -> list[Document]:
    folder = folder or seeds_dir()
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise InputError(str(folder), "no seed documents (*.txt) found", "restore seeds/ from the repository")
    return [Document(url=p.resolve().as_uri(), text=p.read_text(encoding="utf-8"), source=p.name) for p in files]


def seed_history_note(settings: Settings) -> str | None:
    """What the service will do differently from this dry run on its first poll, or None."""
    seeded = [f.name or f.url for f in settings.bot.feeds if f.seed_history]
    if not seeded:
        return None
    return (f"note: seed_history = true for {len(seeded)} of {len(settings.bot.feeds)} feed(s). This dry run shows "
            "every article the feeds hold now; `claimbot run` records those as history on its first poll and posts "
            "nothing for them, then posts only articles that appear later (set seed_history = false on a feed to "
            "post its current articles too)")


@main.command("dry-run")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the digest as plain text; json: {\"messages\": [...]}, the Block Kit messages Slack "
                   "would get (the same shape as `digest --format json`).")
@click.option("--explain", is_flag=True, help="Show each claim's score and why its repeats joined (console only).")
@friendly
def dry_run(config_path: Path | None, fmt: str, explain: bool) -> None:
    """Run the whole pipeline once and print the digest. Posts nothing, stores nothing.

    With no [[feeds]] in the config it reads the seed documents shipped with
    claimbot; otherwise it polls every configured feed once. seed_history is
    not applied, so you see what the rules find in the feeds today; a note on
    stderr says what the service's first poll does instead. State lives in a
    temporary database that is deleted on exit. Exits 1 when any feed failed.

    \b
    Example:
      claimbot dry-run
      claimbot dry-run --format json | jq '.messages[0].blocks'
      claimbot dry-run --explain
    """
    settings = load(config_path)
    ctx = build_context(settings)
    at = now()
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="claimbot-dry-run-") as tmp:
        store = Store.open(f"sqlite:///{tmp}/dry-run.db")
        stats = {"feeds": 0, "articles": 0, "claims": 0, "repeats": 0}
        if settings.bot.feeds:
            fetcher = fetcher_for(settings)
            for feed in settings.bot.feeds:
                name = feed.name or feed.url
                result = poll_feed(feed.url, fetcher, store, ctx, at, progress=_progress(name))
                for warning in result.warnings:
                    click.echo(f"warning: feed {name}: {warning}", err=True)
                if result.more:
                    click.echo(f"note: {name}: read the first {ctx.max_items_per_poll} new items "
                               "(limits.max_items_per_poll); the service reads the rest on later polls", err=True)
                stats["feeds"] += 1
                stats["articles"] += result.new_articles
                stats["claims"] += result.new_claims + result.repeats
                stats["repeats"] += result.repeats
                if result.error:
                    errors.append(feed.name or feed.url)
                    click.echo(f"warning: feed {feed.name or feed.url}: {result.error}", err=True)
                for item_error in result.item_errors:
                    click.echo(f"warning: feed {feed.name or feed.url}: {item_error}", err=True)
            fetcher.close()
            note = seed_history_note(settings)
            if note:
                click.echo(note, err=True)
        else:
            for doc in seed_documents():
                with store.transaction() as repo:
                    out = process_document(doc, repo, ctx, at)
                stats["articles"] += 1
                stats["claims"] += len(out.outcomes)
                stats["repeats"] += sum(o.decision.status == "repeat" for o in out.outcomes)
        digest_stats = DigestStats(feeds_polled=stats["feeds"], articles_read=stats["articles"],
                                   claims_seen=stats["claims"], repeats_folded=stats["repeats"],
                                   feeds_in_error=tuple(errors))
        # The console lists every claim of a story; Slack gets the key ones (see --format json).
        notifier = ConsoleNotifier(digest_options(settings), fmt=fmt, explain=explain, every_claim=True)
        send_digest(store, notifier, settings.topic_names, at, stats=digest_stats, post_empty=True,
                    stuffing=stuffing_patterns(settings.topics))
        store.close()
    if errors:
        raise click.ClickException(f"{len(errors)} of {len(settings.bot.feeds)} feed(s) failed: {', '.join(errors)}. "
                                   "See the warnings above; `claimbot check-config --feeds` tests each feed")


def _progress(name: str, every: int = 25) -> Callable[[int, int], None]:
    """A line on stderr every few items of a long feed, so a long dry run never looks stuck."""

    def report(done: int, total: int) -> None:
        if total >= 2 * every and (done % every == 0 or done == total):
            click.echo(f"dry-run: {name}: {done}/{total} items", err=True)

    return report
