"""`claimbot story` and `claimbot feedback`: what became of the stories already posted to Slack."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ..store import Store
from . import main
from .common import config_option, friendly, load


@main.command("story")
@click.argument("url")
@config_option
@friendly
def story_cmd(url: str, config_path: Path | None) -> None:
    """List every claim stored for one article: what a story's "+N more" in the digest stands for.
    URL is the story's headline link.

    \b
    Example:
      claimbot story https://news.example.com/2025/02/07/deepseek-cost
    """
    settings = load(config_path)
    store = Store.open(settings.database_url)
    with store.transaction() as repo:
        rows = repo.story_claims(url)
    store.close()
    if not rows:
        raise InputError(url[:200], "no stored article has this URL", "copy the story's headline link from the digest")
    for topic, status, text, score in rows:
        click.echo(f"[{settings.topic_names.get(topic, topic)}] {status}, score {score:.1f}: {text}")


@main.command("feedback")
@config_option
@friendly
def feedback_cmd(config_path: Path | None) -> None:
    """List the analysts' reactions stored as feedback: 🔇 mutes a story (no more updates for it),
    ❌ marks it "not about the topic" or "not a claim". Each digest reads the reactions on the bot's
    story messages of the last week and stores each person's reaction once.

    \b
    Example:
      claimbot feedback
    """
    settings = load(config_path)
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
