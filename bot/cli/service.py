"""`claimbot run`: the long-lived service."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import click

from ..config import Settings, load_settings
from ..delivery.console import ConsoleNotifier
from ..delivery.slack import SlackNotifier
from ..delivery.slack_check import check_token
from ..errors import ConfigError
from ..healthcheck import ask_host, check
from ..logs import configure_logging, event
from ..service import Service, ServiceOptions
from ..store import Store
from . import main
from .common import build_context, config_option, digest_options, fetcher_for, friendly, service_options, slack_notifier


@main.command()
@config_option
@click.option("--console", is_flag=True, help="Print digests to stdout instead of posting them to Slack.")
@click.option("--health-host", help="Address /healthz and /metrics listen on (default: schedule.health_host, "
              "127.0.0.1).")
@click.option("--verbose", "-v", is_flag=True, help="Also log the libraries' INFO lines (httpx, alembic, ...).")
@friendly
def run(config_path: Path | None, console: bool, health_host: str | None, verbose: bool) -> None:
    """Run the service: poll feeds, post digests on schedule, prune old history.

    Logs are JSON lines on stdout (failed polls and errors at level warning);
    /healthz and /metrics listen on schedule.health_host:schedule.health_port
    (127.0.0.1:8080). SIGTERM or SIGINT aborts the requests in flight, stops
    each feed between two items and exits 0. Feeds come from bot.toml:
    `claimbot feeds add/remove` or an edit of the file is picked up within
    schedule.config_watch_seconds (its modification time is checked), or at
    once on SIGHUP. Any number of workers may share one PostgreSQL database.

    \b
    Example:
      SLACK_BOT_TOKEN=xoxb-... DATABASE_URL=postgresql+psycopg://claimbot@db/claimbot claimbot run
    """
    configure_logging(verbose=verbose)
    settings = load_settings(config_path)
    for problem in settings.problems:  # check-config refuses these; the service runs, and says so
        event("config_problem", level=logging.WARNING, error=str(problem))
    notifier = ConsoleNotifier(digest_options(settings)) if console else slack_notifier(settings)
    if not settings.bot.feeds:
        raise ConfigError(str(settings.path), "no [[feeds]] configured",
                          "add one with `claimbot feeds add URL` to run the service")
    if isinstance(notifier, SlackNotifier):
        # A rejected token would fail every digest for as long as the service runs: say so now, in one
        # line. Slack being unreachable at start-up is only a warning; the digest retries.
        try:
            check_token(notifier.client)
        except ConfigError as exc:
            if exc.subject == "SLACK_BOT_TOKEN":
                raise
            event("slack_unreachable", level=logging.WARNING, error=str(exc))
    store = Store.open(settings.database_url)

    def options(settings: Settings) -> ServiceOptions:
        built = service_options(settings)
        return replace(built, health_host=health_host) if health_host else built

    service = Service(options(settings), store, fetcher_for(settings), notifier, build_context(settings),
                      settings.topic_names)
    try:
        service.run(reload=lambda: options(load_settings(settings.path)), watch=settings.path)
    finally:
        store.close()


@main.command()
@config_option
@click.option("--timeout", type=click.FloatRange(min=0.1), default=4.0, show_default=True, help="Seconds to wait.")
@friendly
def healthcheck(config_path: Path | None, timeout: float) -> None:
    """Ask the running service's /healthz on the configured schedule.health_port; exit 0 when healthy.

    The Docker image's HEALTHCHECK runs the same check as `python -m
    bot.healthcheck`, which imports only the standard library and so starts in
    milliseconds; either follows the port the config sets.

    \b
    Example:
      claimbot healthcheck && echo healthy
    """
    settings = load_settings(config_path)
    port = settings.bot.schedule.health_port
    if not port:
        raise ConfigError(str(settings.path), "schedule.health_port is not set, so there is no /healthz to ask",
                          "set health_port (e.g. 8080) in [schedule]")
    ok, line = check(port, timeout, ask_host(settings.bot.schedule.health_host))
    if not ok:
        raise click.ClickException(line)
    click.echo(line)
