"""`claimbot check-config`: prove the setup works before the service meets it."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import click
from slack_sdk import WebClient

from ..config import load_settings
from ..delivery.slack import SlackNotifier
from ..delivery.slack_check import check_slack
from ..errors import ConfigError
from ..pipeline import probe_feed
from ..store import Store
from . import main
from .common import config_option, fetcher_for, friendly, slack_notifier


@main.command("check-config")
@config_option
@click.option("--slack/--no-slack", default=False,
              help="Also check Slack: the token is accepted, slack.channel exists and the bot is in it.")
@click.option("--feeds/--no-feeds", "try_feeds", default=False,
              help="Also fetch and parse every feed once (nothing is stored) and print a table of results.")
@friendly
def check_config(config_path: Path | None, slack: bool, try_feeds: bool) -> None:
    """Validate bot.toml, topics.toml and the lexicon, and check that the database is reachable.

    Refused, naming the key: unknown keys and wrong types, feed URLs that
    cannot work (no scheme or host, a space, ftp:, javascript:), the same feed
    twice, a cron that never fires, digest_cron together with
    digest_every_seconds, an empty channel, alias or name, a missing topics or
    lexicon file. Exits 1 on the first problem, or when a feed or Slack fails.

    \b
    Example:
      claimbot check-config
      claimbot check-config --config config/bot.toml --slack --feeds
    """
    settings = load_settings(config_path)
    if settings.problems:
        raise settings.problems[0]
    bot = settings.bot
    schedule = (f"digest every {bot.schedule.digest_every_seconds}s" if bot.schedule.digest_every_seconds
                else f"digest at '{bot.schedule.digest_cron}'")
    click.echo(f"config: {settings.path} (from {settings.source}): ok ({len(bot.feeds)} feeds, timezone "
               f"{bot.timezone}, {schedule})")
    click.echo(f"topics: {settings.topics_path}: ok ({', '.join(settings.topic_names)})")
    click.echo(f"lexicon: {settings.path.parent / bot.lexicon_file}: ok" if bot.lexicon_file
               else "lexicon: none (lexicon_file = \"\"): claims meet across languages only through their figures")
    click.echo(f"user agent: {settings.user_agent}" + ("" if bot.http.contact or bot.http.user_agent else
                                                       "  (tip: set [http] contact so sites can reach you)"))
    if not bot.limits.allow_private_addresses:
        for number, feed in enumerate(bot.feeds, 1):
            if _names_private_host(feed.url):
                raise ConfigError(str(settings.path), f"feed #{number} ({feed.name or feed.url}): {feed.url} is on a "
                                  "private or loopback address, which limits.allow_private_addresses = false refuses",
                                  "set allow_private_addresses = true under [limits] for feeds on your own network")
    store = Store.open(settings.database_url)
    store.close()
    click.echo(f"database: {store.engine.url.render_as_string(hide_password=True)}: reachable, migrated")
    failures = []
    if slack:
        notifier = slack_notifier(settings)
        if isinstance(notifier, SlackNotifier):
            # One try per call: a check answers at once; the service's client keeps its retries.
            client = WebClient(token=settings.secrets.slack_bot_token, base_url=notifier.client.base_url,
                               timeout=15, retry_handlers=[])
            found = check_slack(client, bot.slack.channel)
            click.echo(f"slack: token accepted (bot @{found.bot_user}); channel {found.channel_name} "
                       f"({found.channel_id}) exists and the bot is a member")
            for channel in sorted(set(settings.topic_channels.values()) - {bot.slack.channel}):
                topics = ", ".join(t for t, c in sorted(settings.topic_channels.items()) if c == channel)
                other = check_slack(client, channel, setting=f"{settings.topics_path.name}: [topics.{topics}] channel")
                click.echo(f"slack: channel {other.channel_name} ({other.channel_id}) for {topics}: exists and the "
                           "bot is a member")
        else:
            click.echo("slack: webhook URL present (a webhook cannot be checked without posting)")
    if try_feeds:
        if not bot.feeds:
            click.echo("feeds: none configured (dry-run reads the seed documents)")
        fetcher = fetcher_for(settings)
        rows = []
        try:
            for feed in bot.feeds:
                probe = probe_feed(feed.url, fetcher)
                rows.append((feed.name or "-", "ok" if probe.ok else "FAILED", str(probe.items), f"{probe.ms}",
                             feed.url if probe.ok else probe.error or ""))
                if not probe.ok:
                    failures.append(feed.name or feed.url)
        finally:
            fetcher.close()
        if rows:
            header = ("feed", "result", "items", "ms", "url / error")
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
            for row in [header, *rows]:
                click.echo("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    if failures:
        raise click.ClickException(f"{len(failures)} of {len(bot.feeds)} feed(s) failed: {', '.join(failures)}. "
                                   "Fix their url in bot.toml (or [limits] allow_private_addresses = true for feeds "
                                   "on your own network)")


def _names_private_host(url: str) -> bool:
    """A feed written with a loopback or private address (or localhost): refused on every poll unless
    allowed, so refused here without a request. Names that resolve to one are caught by --feeds."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False
