"""`claimbot claims`: search the claims seen; `claims show CLUSTER`: one story's whole history."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..store import SeenClaim, Store
from . import main
from .common import config_option, friendly, load, now

_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, at: datetime) -> datetime:
    """7d, 12h, 30m, 2w, or an ISO date (2025-02-01 or 2025-02-01T09:00+09:00)."""
    match = _SPAN.fullmatch(value.strip().lower())
    if match:
        return at - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"--since {value}", "not a time span or a date", "use e.g. 7d, 12h, 30m or 2025-02-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=at.tzinfo)


def _json(claim: SeenClaim) -> dict[str, Any]:
    return {"id": claim.claim_id, "cluster": claim.cluster, "topic": claim.topic, "status": claim.status,
            "state": claim.state, "seen_at": claim.seen_at.isoformat(),
            "published": claim.published.isoformat() if claim.published else None, "outlet": claim.outlet,
            "url": claim.url, "outlets": claim.outlets, "conflicts_with": list(claim.conflicts_with),
            "figures": list(claim.figures), "text": claim.text, "why": claim.why}


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


@main.group(invoke_without_command=True)
@click.option("--topic", help="Only this topic id (see `claimbot topics list`).")
@click.option("--since", help="Only claims seen since then: 7d, 12h, 30m, 2w or a date.")
@click.option("--grep", "word", help="Only claims whose text contains this (case-insensitive).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="At most this many, newest first.")
@config_option
@click.pass_context
@friendly
def claims(ctx: click.Context, topic: str | None, since: str | None, word: str | None, fmt: str, limit: int,
           config_path: Path | None) -> None:
    """List the claims seen, newest first: status, cluster, outlets and conflicts.

    The state column says what became of each: posted (in a digest), pending
    (in the next digest), history (recorded on a feed's first poll, never
    posted) or folded (a repeat of an earlier claim, counted under its
    cluster). `claimbot claims show CLUSTER` tells one story in full.

    \b
    Example:
      claimbot claims --topic deepseek --since 7d --grep 달러
      claimbot claims --format csv > claims.csv
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config_path": config_path}
        return
    settings = load(config_path)
    if topic and topic not in settings.topic_names:
        raise InputError(f"--topic {topic}", "no such topic", f"use one of: {', '.join(settings.topic_names)}")
    at = now()
    store = Store.open(settings.database_url)
    try:
        with store.transaction() as repo:
            found = repo.search_claims(topic=topic, since=parse_since(since, at) if since else None, grep=word,
                                       limit=limit)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps([_json(c) for c in found], ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "seen_at", "topic", "status", "state", "cluster", "outlets", "conflicts_with",
                         "outlet", "url", "figures", "text"])
        for c in found:
            writer.writerow([c.claim_id, c.seen_at.isoformat(), c.topic, c.status, c.state, c.cluster, c.outlets,
                             " ".join(c.conflicts_with), c.outlet or "", c.url, "; ".join(c.figures), c.text])
        click.echo(out.getvalue(), nl=False)
        return
    if not found:
        click.echo("no claims match" + ("" if topic or since or word else " (nothing stored yet: run the service "
                                         "or `claimbot replay`)"))
        return
    tz = settings.timezone
    click.echo(f"{'seen':16}  {'state':8}  {'cluster':22}  {'outlets':>7}  claim")
    for c in found:
        conflict = f"  ≠ {', '.join(c.conflicts_with)}" if c.conflicts_with else ""
        click.echo(f"{c.seen_at.astimezone(tz):%Y-%m-%d %H:%M}  {c.state:8}  {c.cluster:22}  {c.outlets:>7}  "
                   f"{_one_line(c.text, 90)}{conflict}")


@claims.command("show")
@click.argument("cluster")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@config_option
@click.pass_context
@friendly
def claims_show(ctx: click.Context, cluster: str, fmt: str, config_path: Path | None) -> None:
    """One story's whole history: every outlet that carried it and every figure, over time.

    CLUSTER is the id `claimbot claims` and the digest's "+N more" show (a
    unique prefix is enough).

    \b
    Example:
      claimbot claims show deepseek-1a2b3c4d5e
    """
    settings = load(config_path or (ctx.obj or {}).get("config_path"))
    store = Store.open(settings.database_url)
    try:
        with store.transaction() as repo:
            story = repo.story_history(cluster)
            similar = [] if story else repo.clusters_matching(cluster)
    finally:
        store.close()
    if story is None:
        hint = (f"it matches several: {', '.join(similar)}; give more of it" if similar
                else "list clusters with `claimbot claims`; old ones are pruned after retention_days")
        raise InputError(f"cluster {cluster}", "no such story" if not similar else "ambiguous", hint)
    if fmt == "json":
        click.echo(json.dumps({"cluster": story.cluster, "topic": story.topic,
                               "first_seen": story.first_seen.isoformat(), "last_seen": story.last_seen.isoformat(),
                               "conflicting_clusters": list(story.conflicting),
                               "claims": [_json(c) for c in story.claims]}, ensure_ascii=False, indent=2))
        return
    tz = settings.timezone
    name = settings.topic_names.get(story.topic, story.topic)
    outlets = {c.url for c in story.claims}
    click.echo(f"story {story.cluster} ({name}): {len(story.claims)} claim(s) from {len(outlets)} source(s), "
               f"{story.first_seen.astimezone(tz):%Y-%m-%d %H:%M} to {story.last_seen.astimezone(tz):%Y-%m-%d %H:%M}")
    if story.conflicting:
        click.echo(f"figures conflict with: {', '.join(story.conflicting)} (claimbot claims show ID)")
    for c in story.claims:
        figures = f"  [{'; '.join(c.figures)}]" if c.figures else ""
        click.echo(f"\n{c.seen_at.astimezone(tz):%Y-%m-%d %H:%M}  {c.status} ({c.state})  "
                   f"{c.outlet or '-'}{figures}\n  {c.text}\n  {c.url}")
        if c.status == "repeat" and c.why:
            click.echo(f"  joined because: {c.why}")
