"""`claimbot digest`: preview or send what is pending in the database."""

from __future__ import annotations

from pathlib import Path

import click

from ..delivery.console import ConsoleNotifier
from ..digest import build_digest
from ..pipeline import displayed, send_digest, stuffing_patterns
from ..store import Store
from . import main
from .common import config_option, digest_options, friendly, load, now, slack_notifier


@main.command()
@click.option("--send", is_flag=True, help="Post what is pending now to Slack.")
@click.option("--preview", is_flag=True, help="Print it without posting (the default).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help='json: {"messages": [...]}, the Block Kit messages, as `dry-run --format json` prints them.')
@click.option("--explain", is_flag=True, help="With --preview: every claim, its score and why its repeats joined.")
@config_option
@friendly
def digest(send: bool, preview: bool, fmt: str, explain: bool, config_path: Path | None) -> None:
    """Preview or send the digest of claims pending in the database.

    \b
    Example:
      claimbot digest --preview
      claimbot digest --preview --explain
      SLACK_BOT_TOKEN=xoxb-... claimbot digest --send
    """
    if send and preview:
        raise click.UsageError("--preview and --send contradict each other: give one (--preview is the default)")
    settings = load(config_path)
    store = Store.open(settings.database_url)
    if send:
        try:
            outcome = send_digest(store, slack_notifier(settings), settings.topic_names, now(),
                                  post_empty=settings.bot.slack.post_empty, channel=settings.bot.slack.channel,
                                  topic_channels=settings.topic_channels, stuffing=stuffing_patterns(settings.topics),
                                  update_days=settings.bot.slack.update_days)
        finally:
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
    built = build_digest(items, settings.topic_names, period_start=start, period_end=now())
    ConsoleNotifier(digest_options(settings), fmt=fmt, explain=explain).send(built)
