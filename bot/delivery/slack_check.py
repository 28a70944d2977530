"""Prove a Slack setup works before the first digest: the token is accepted, the channel
exists, and the bot is in it. Each failure is one line naming the setting to fix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from ..errors import ConfigError


@dataclass(frozen=True, slots=True)
class SlackCheck:
    team: str | None
    bot_user: str | None
    channel_id: str
    channel_name: str


def _error(exc: SlackApiError) -> tuple[str, str | None]:
    data = exc.response.data if exc.response is not None and isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or "unknown_error"), data.get("needed")


def _translate(what: str, exc: Exception) -> ConfigError:
    """slack-sdk's multi-line exceptions as one line naming the setting to fix."""
    if isinstance(exc, SlackApiError):
        error, needed = _error(exc)
        if error == "missing_scope":
            return ConfigError("SLACK_BOT_TOKEN", f"{what} needs the scope {needed or '(unnamed)'}, which the token "
                               "lacks", "add it under OAuth & Permissions and reinstall the app")
        if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
            return ConfigError("SLACK_BOT_TOKEN", f"rejected by Slack ({error})",
                               "copy the Bot User OAuth Token (xoxb-...) of the installed app again")
        return ConfigError("slack", f"{what} failed ({error})", "check the token and slack.channel")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ConfigError("slack", f"Slack could not be reached for {what} ({reason})",
                       "check the network, or SLACK_API_URL if you set it")


def _call(what: str, fn, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return fn(**kwargs)
    except (SlackApiError, SlackClientError, OSError) as exc:
        raise _translate(what, exc) from None


def check_token(client: WebClient) -> str | None:
    """auth.test only (no extra scope): the bot's user name; a rejected token is a ConfigError.

    Slack being unreachable is not the token's fault: that ConfigError says so, and a caller
    that only wants to catch a bad token checks ``subject``.
    """
    return _call("auth.test", client.auth_test).get("user")


def check_slack(client: WebClient, channel: str, setting: str = "slack.channel") -> SlackCheck:
    """auth.test, then the channel by id (conversations.info) or by name (conversations.list)."""
    auth = _call("auth.test", client.auth_test)
    if re.fullmatch(r"[CGD][A-Z0-9]{6,}", channel):
        try:
            info = client.conversations_info(channel=channel)
        except SlackApiError as exc:
            if _error(exc)[0] == "channel_not_found":
                raise ConfigError(setting, f"{channel!r}: no such channel, or the bot cannot see it",
                                  "check the id (channel details, at the bottom) and invite the bot") from None
            info = _call("conversations.info", client.conversations_info, channel=channel)
        found = info.get("channel") or {}
    else:
        name = channel.lstrip("#")
        found = {}
        try:  # later pages are fetched while iterating: their errors need the same translation
            for page in client.conversations_list(types="public_channel,private_channel", limit=1000,
                                                  exclude_archived=True):
                found = next((c for c in page.get("channels", []) or [] if c.get("name") == name), {})
                if found:
                    break
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise _translate("conversations.list", exc) from None
        if not found:
            raise ConfigError(setting, f"{channel!r}: no such channel visible to the bot",
                              "check the spelling in bot.toml; a private channel is visible only after "
                              "/invite @your-bot in it")
    label = f"#{found.get('name')}" if found.get("name") else channel
    if found.get("is_archived"):
        raise ConfigError(setting, f"{label} is archived", "unarchive it or pick another channel")
    if not found.get("is_member"):
        raise ConfigError(setting, f"the bot is not a member of {label}",
                          f"invite it: type /invite @{auth.get('user') or 'your-bot'} in {label}")
    return SlackCheck(team=auth.get("team"), bot_user=auth.get("user"), channel_id=str(found.get("id")),
                      channel_name=label)
