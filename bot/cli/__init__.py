"""The command line: the composition root. It reads settings, builds the stages'
options, picks a notifier and a store, and hands them to the library. Errors
from any stage become one line on stderr and exit status 1, never a traceback.

One module per command group; each registers its commands on ``main``.
"""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="claimbot")
def main() -> None:
    """claimbot watches news feeds and tells analysts in Slack only what is new:
    fresh claims about the topics they track, folded across outlets and languages.

    \b
    Start with:  claimbot dry-run           (the seeds, offline, nothing posted)
    Then:        claimbot check-config      (validate the config; --slack, --feeds to try them)
                 claimbot feeds add URL     (or edit bot.toml)
                 claimbot run               (the service: poll, digest, prune)
                 claimbot claims            (search what was seen)

    The config is --config, else $CLAIMBOT_CONFIG, else ./config/bot.toml, else
    the defaults installed with claimbot.
    """


# Registration order is the order of `claimbot --help`.
from . import check, claims, digest, dry_run, extract, feeds, posted, replay, service, topics  # noqa: E402,F401
from .common import build_context, fetcher_for, service_options  # noqa: E402 - the builders, for tests and bench

__all__ = ["build_context", "fetcher_for", "main", "service_options"]
