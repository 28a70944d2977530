"""`claimbot feeds`: list the feeds with their health; add, remove, import and export them.

The edits write bot.toml in place (comments kept); a running service picks them up
within schedule.config_watch_seconds, or at once on SIGHUP.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ..config import find_config
from ..config_edit import FeedEntry, add_feeds, list_feeds, parse_opml, remove_feed, to_opml
from ..errors import ConfigError, InputError
from ..store import Store
from . import main
from .common import config_option, friendly, load, now

PICKED_UP = ("a running `claimbot run` picks this up within schedule.config_watch_seconds "
             "(or at once: kill -HUP <pid>, or docker compose kill -s HUP claimbot)")


def _config(ctx: click.Context, config_path: Path | None) -> Path | None:
    return config_path or (ctx.obj or {}).get("config_path")


def _editable(config_path: Path | None) -> Path:
    """The bot.toml to edit; never the defaults installed with claimbot, which an upgrade replaces."""
    source = find_config(config_path)
    if source.how == "installed defaults":
        raise ConfigError(str(source.path), "these are the defaults installed with claimbot, not your config",
                          f"copy them first (mkdir -p config && cp {source.path.parent}/*.toml config/), then run "
                          "this again from that folder, or pass --config or set CLAIMBOT_CONFIG")
    return source.path


@main.group(invoke_without_command=True)
@config_option
@click.pass_context
@friendly
def feeds(ctx: click.Context, config_path: Path | None) -> None:
    """List the configured feeds with their health; manage them with the subcommands.

    A feed is never dropped silently: one that keeps failing stays listed here
    with its error and the time it started failing.

    \b
    Example:
      claimbot feeds
      claimbot feeds add https://example.com/rss.xml --name "Example News"
    """
    ctx.obj = {"config_path": config_path}
    if ctx.invoked_subcommand is None:
        _show(config_path)


@feeds.command("list")
@config_option
@click.pass_context
@friendly
def feeds_list(ctx: click.Context, config_path: Path | None) -> None:
    """The same as `claimbot feeds`: each feed's status, last success, errors and next poll.

    \b
    Example:
      claimbot feeds list --config config/bot.toml
    """
    _show(_config(ctx, config_path))


def _show(config_path: Path | None) -> None:
    settings = load(config_path)
    store = Store.open(settings.database_url)
    with store.transaction() as repo:
        repo.sync_feeds([(f.url, f.name) for f in settings.bot.feeds], now())
        states = {f.url: f for f in repo.feed_states()}
    store.close()
    if not settings.bot.feeds:
        click.echo(f"no feeds configured in {settings.path}: add one with `claimbot feeds add URL`")
        return
    tz = settings.timezone

    def when(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "never"

    for feed in settings.bot.feeds:
        f = states.get(feed.url)
        if f is None:
            continue
        status = "ok" if f.error_count == 0 else f"failing x{f.error_count} since {when(f.error_since)}"
        click.echo(f"{feed.name or f.url}\n  url: {f.url}\n  status: {status}\n  last success: {when(f.last_success_at)}"
                   f"\n  next poll: {when(f.next_poll_at)}" + (f"\n  last error: {f.last_error}" if f.last_error else ""))


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="What logs, alerts and the digest call the feed.")
@click.option("--interval", "interval", type=click.IntRange(min=60), help="Seconds between polls (at least 60).")
@config_option
@click.pass_context
@friendly
def feeds_add(ctx: click.Context, url: str, name: str | None, interval: int | None, config_path: Path | None) -> None:
    """Add a feed to bot.toml (its comments are kept).

    \b
    Example:
      claimbot feeds add https://example.com/rss.xml --name "Example News" --interval 600
    """
    path = _editable(_config(ctx, config_path))
    added, skipped = add_feeds(path, [FeedEntry(url, name, interval)])
    if skipped:
        raise InputError(url, f"already in {path}", "nothing changed; `claimbot feeds` lists the feeds")
    click.echo(f"added {name or url} to {path}; {PICKED_UP}")


@feeds.command("remove")
@click.argument("url_or_name")
@config_option
@click.pass_context
@friendly
def feeds_remove(ctx: click.Context, url_or_name: str, config_path: Path | None) -> None:
    """Remove a feed from bot.toml by URL or name. Its articles and claims stay in the database.

    \b
    Example:
      claimbot feeds remove "Example News"
    """
    path = _editable(_config(ctx, config_path))
    gone = remove_feed(path, url_or_name)
    click.echo(f"removed {gone.name or gone.url} from {path}; {PICKED_UP}")


@feeds.command("import")
@click.argument("opml", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@click.pass_context
@friendly
def feeds_import(ctx: click.Context, opml: Path, config_path: Path | None) -> None:
    """Add every feed of an OPML file (the export of any feed reader) to bot.toml.

    Feeds already configured are skipped; the file is written once, after every
    URL was checked, so a bad entry changes nothing.

    \b
    Example:
      claimbot feeds import subscriptions.opml
    """
    path = _editable(_config(ctx, config_path))
    try:
        data = opml.read_bytes()
    except OSError as exc:
        raise InputError(str(opml), f"cannot be read ({exc.strerror})", "check the path") from None
    added, skipped = add_feeds(path, parse_opml(data, str(opml)))
    click.echo(f"imported {len(added)} feed(s) into {path}" + (f", skipped {len(skipped)} already there" if skipped
                                                                else "") + (f"; {PICKED_UP}" if added else ""))


@feeds.command("export")
@config_option
@click.pass_context
@friendly
def feeds_export(ctx: click.Context, config_path: Path | None) -> None:
    """Print the configured feeds as OPML, for a feed reader or another claimbot.

    \b
    Example:
      claimbot feeds export > claimbot-feeds.opml
    """
    path = find_config(_config(ctx, config_path)).path
    click.echo(to_opml(list_feeds(path)), nl=False)
