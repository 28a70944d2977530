"""What every command shares: the error wrapper, the --config option and the builders that turn
settings into the stages' options, a fetcher, a notifier and the service's options."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings, load_settings
from ..delivery import Notifier
from ..delivery.slack import SlackNotifier, WebhookNotifier
from ..digest import DigestOptions
from ..errors import ClaimbotError, ConfigError, InputError, one_line
from ..fetch import Fetcher, FetchOptions
from ..pipeline import Context
from ..service import ServiceOptions

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_HELP = ("Path to bot.toml (default: $CLAIMBOT_CONFIG, then ./config/bot.toml, "
               "then the defaults installed with claimbot).")


def config_option(fn: F) -> F:
    return click.option("--config", "config_path", type=click.Path(path_type=Path), help=CONFIG_HELP)(fn)


def friendly(fn: F) -> F:
    """Turn claimbot errors into one clear line; the user never sees a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise  # already a message for the user (a usage error, a failed send)
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


def load(config_path: Path | None, **kwargs: Any) -> Settings:
    """The settings for a one-off command. Problems it can live with (settings.problems, such as a
    missing lexicon) are left to `check-config`, which refuses them, and `run`, which logs them: a
    warning on every replay or extract would bury the output of scripts that use a minimal config."""
    return load_settings(config_path, **kwargs)


def parse_json_line(raw: str, where: str) -> Any:
    """One JSON Lines line; malformed or absurdly nested JSON is that line's one-line error."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(where, f"not valid JSON ({exc.msg} at column {exc.colno})",
                         "each line must be one JSON object") from None
    except RecursionError:
        raise InputError(where, "JSON nested too deeply", "a document is one flat object") from None


def now() -> datetime:
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
                                allow_private=trusted or limits.allow_private_addresses,
                                user_agent=settings.user_agent))


def slack_notifier(settings: Settings) -> Notifier:
    secrets, options = settings.secrets, digest_options(settings)
    if secrets.slack_bot_token:
        return SlackNotifier(secrets.slack_bot_token, settings.bot.slack.channel, options, api_url=secrets.slack_api_url,
                             timeout=settings.bot.slack.timeout_seconds,
                             max_retry_after=settings.bot.slack.max_retry_after_seconds)
    if secrets.slack_webhook_url:
        return WebhookNotifier(secrets.slack_webhook_url, options)
    raise ConfigError("environment", "no Slack credentials",
                      "set SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN_FILE, with slack.channel in bot.toml) "
                      "or SLACK_WEBHOOK_URL")


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
        health_host=schedule.health_host, watch_seconds=schedule.config_watch_seconds,
    )
