"""Slack delivery through slack-sdk: a bot token (threads) or an incoming webhook (one message).

Retries for connection errors, 5xx and 429 (honouring Retry-After) come from
slack-sdk's own retry handlers. Every message carries metadata with the digest
id, so after a crash between Slack's answer and our commit the channel history
tells whether the digest already went out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from ..digest import DigestOptions, Message, escape, render_messages
from ..errors import DeliveryError
from ..models import Digest
from . import Receipt

EVENT_TYPE = "claimbot_digest"


def default_retry_handlers(max_retries: int = 3) -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=max_retries),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries)]


def _base_url(api_url: str | None) -> str:
    url = api_url or "https://slack.com/api/"
    return url if url.endswith("/") else url + "/"


class SlackNotifier:
    def __init__(self, token: str, channel: str, options: DigestOptions, *, api_url: str | None = None,
                 timeout: int = 30, retry_handlers: list[RetryHandler] | None = None) -> None:
        self.client = WebClient(token=token, base_url=_base_url(api_url), timeout=timeout,
                                retry_handlers=retry_handlers if retry_handlers is not None else default_retry_handlers())
        self.channel = channel
        self.options = options
        self._channel_id: str | None = None

    def channel_id(self) -> str:
        """The channel's id (C…): history lookups after a crash need it, not the #name.

        A name is resolved once through conversations.list (scope channels:read);
        without that scope the name is kept and the crash check is weaker.
        """
        if self._channel_id is None:
            self._channel_id = self._resolve(self.channel)
        return self._channel_id

    def _resolve(self, channel: str) -> str:
        if re.fullmatch(r"[CGD][A-Z0-9]{6,}", channel):
            return channel
        name = channel.lstrip("#")
        try:
            for page in self.client.conversations_list(types="public_channel,private_channel", limit=1000,
                                                       exclude_archived=True):
                for found in page.get("channels", []) or []:
                    if found.get("name") == name:
                        return str(found["id"])
        except (SlackApiError, SlackClientError, OSError):
            pass
        return channel

    def send(self, digest: Digest, on_first_message: Callable[[Receipt], None] | None = None,
             resume: Receipt | None = None) -> Receipt:
        messages = render_messages(digest, self.options)
        channel, first_ts = self.channel_id(), None
        if resume is not None:  # the summary is already in the channel: post the replies under it
            channel, first_ts = resume.channel or channel, resume.message_ts
            messages = [m for m in messages if m.reply]
        elif on_first_message is not None:
            on_first_message(Receipt(channel=channel, message_ts=None))  # where to look after a crash
        delivered: list[int] = []
        for message in messages:
            thread_ts = first_ts if message.reply else None
            try:
                response = self._post(channel, message, thread_ts, digest.digest_id)
            except DeliveryError as exc:
                exc.delivered = tuple(delivered)  # these went out: never post them twice
                raise
            delivered.extend(message.claim_ids)
            if first_ts is None:
                first_ts, channel = response.get("ts"), response.get("channel", channel)
                if on_first_message is not None:
                    on_first_message(Receipt(channel=channel, message_ts=first_ts))
        return Receipt(channel=channel, message_ts=first_ts)

    def _post(self, channel: str, message: Message, thread_ts: str | None, digest_id: int | None) -> dict:
        try:
            response = self.client.chat_postMessage(
                channel=channel, text=message.text, blocks=list(message.blocks), thread_ts=thread_ts,
                unfurl_links=False, unfurl_media=False,
                metadata={"event_type": EVENT_TYPE,
                          "event_payload": {"digest_id": digest_id or 0, "claims": list(message.claim_ids)}},
            )
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
            retryable = error in ("ratelimited", "internal_error", "fatal_error", "service_unavailable",
                                  "request_timeout")
            raise DeliveryError(f"slack channel {channel}", f"chat.postMessage failed: {error}",
                                "check SLACK_BOT_TOKEN, the channel name and that the app is in the channel"
                                if not retryable else "claims stay pending and go out with the next digest",
                                retryable=retryable) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"slack channel {channel}", f"Slack could not be reached ({exc})",
                                "claims stay pending and go out with the next digest") from None
        return response.data if isinstance(response.data, dict) else {}

    def already_sent(self, digest_id: int, channel: str | None) -> Receipt | None:
        channel = channel if channel and not channel.startswith("#") else self.channel_id()
        try:
            response = self.client.conversations_history(channel=channel, limit=100, include_all_metadata=True)
        except (SlackApiError, SlackClientError, OSError):
            return None
        for message in response.get("messages", []) or []:
            if _digest_of(message) == digest_id:
                return Receipt(channel=channel, message_ts=message.get("ts"),
                               claim_ids=self._claims_in_thread(channel, message, digest_id))
        return None

    def _claims_in_thread(self, channel: str, summary: dict, digest_id: int) -> tuple[int, ...] | None:
        """The claims the summary's thread holds: replies not posted before the crash are not counted.
        None (all) when the replies cannot be read or the digest was a single message."""
        claims = list((summary.get("metadata") or {}).get("event_payload", {}).get("claims") or [])
        try:
            replies = self.client.conversations_replies(channel=channel, ts=summary["ts"], include_all_metadata=True)
        except (SlackApiError, SlackClientError, OSError, KeyError):
            return None
        for reply in replies.get("messages", []) or []:
            if reply.get("ts") != summary.get("ts") and _digest_of(reply) == digest_id:
                claims += (reply.get("metadata") or {}).get("event_payload", {}).get("claims") or []
        return tuple(claims)


    def alert(self, text: str) -> None:
        self._post(self.channel_id(), Message(text=escape(text), blocks=(
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}},)), None, None)


def _digest_of(message: dict) -> int | None:
    meta = message.get("metadata") or {}
    return (meta.get("event_payload") or {}).get("digest_id") if meta.get("event_type") == EVENT_TYPE else None


class WebhookNotifier:
    """Incoming webhooks have no threads: the single-message layout, split as needed."""

    def __init__(self, url: str, options: DigestOptions, *, timeout: int = 30,
                 retry_handlers: list[RetryHandler] | None = None) -> None:
        self.client = WebhookClient(url=url, timeout=timeout,
                                    retry_handlers=retry_handlers if retry_handlers is not None else default_retry_handlers())
        self.options = options

    def send(self, digest: Digest, on_first_message: Callable[[Receipt], None] | None = None,
             resume: Receipt | None = None) -> Receipt:
        delivered: list[int] = []
        for message in render_messages(digest, self.options, layout="single"):
            try:
                response = self.client.send(text=message.text, blocks=list(message.blocks))
            except (SlackClientError, OSError) as exc:
                raise DeliveryError("slack webhook", f"could not be reached ({exc})",
                                    "claims stay pending and go out with the next digest",
                                    delivered=tuple(delivered)) from None
            # WebhookClient returns 429 and 5xx as responses instead of raising: check them.
            if response.status_code != 200:
                raise DeliveryError("slack webhook", f"HTTP {response.status_code}: {response.body[:200]}",
                                    "check SLACK_WEBHOOK_URL; claims stay pending and go out with the next digest",
                                    retryable=response.status_code == 429 or response.status_code >= 500,
                                    delivered=tuple(delivered))
            delivered.extend(message.claim_ids)
        return Receipt(channel="webhook")

    def already_sent(self, digest_id: int, channel: str | None) -> Receipt | None:
        return None  # a webhook cannot read history; a digest left 'sending' is re-sent

    def alert(self, text: str) -> None:
        response = self.client.send(text=escape(text))
        if response.status_code != 200:
            raise DeliveryError("slack webhook", f"HTTP {response.status_code} for an alert", "it is retried next poll")
