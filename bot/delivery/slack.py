"""Slack delivery through slack-sdk: a bot token (threads) or an incoming webhook (one message).

Retries for connection errors, 5xx and 429 (honouring Retry-After) come from
slack-sdk's own retry handlers. Every message carries metadata with the digest
id, so after a crash between Slack's answer and our commit the channel history
tells whether the digest already went out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime
from urllib.error import URLError

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from ..digest import (
    DigestOptions,
    Message,
    Story,
    escape,
    render_messages,
    stories,
    story_fallback,
    story_message,
    update_message,
)
from ..errors import DeliveryError
from ..models import Digest, Reaction
from . import Receipt

EVENT_TYPE = "claimbot_digest"
MAX_RETRY_AFTER_SECONDS = 60
# Slack refused the message itself, not the token or the channel: split it so one bad item cannot
# hold the others back.
REFUSED = ("invalid_blocks", "invalid_blocks_format", "msg_too_long", "too_many_attachments", "invalid_arguments",
           "no_text", "msg_blocks_too_long")
RETRYABLE = ("ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout")
AUTH = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
        "ekm_access_denied", "not_allowed_token_type")
CHANNEL = ("channel_not_found", "not_in_channel", "is_archived", "restricted_action")


class CappedRateLimitHandler(RateLimitErrorRetryHandler):
    """Honours Retry-After up to a cap; a longer wait is not waited out: the 429 surfaces, the claims
    stay pending and go out with the next digest, and `digest --send` does not block for hours."""

    def __init__(self, max_retry_count: int, max_wait_seconds: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_seconds = max_wait_seconds

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def]
        if response is None or response.status_code != 429:
            return False
        wait = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        try:
            return float(wait[0] if isinstance(wait, list) else wait) <= self.max_wait_seconds
        except (TypeError, ValueError):
            return False


def default_retry_handlers(max_retries: int = 3,
                           max_retry_after: float = MAX_RETRY_AFTER_SECONDS) -> list[RetryHandler]:
    # Only errors raised before the request was sent (urllib wraps those in URLError) are retried:
    # after a reset or a timeout Slack may have posted the message, and a retry would post it twice.
    return [ConnectionErrorRetryHandler(max_retry_count=max_retries, error_types=[URLError]),
            CappedRateLimitHandler(max_retries, max_retry_after),
            ServerErrorRetryHandler(max_retry_count=max_retries)]


def _base_url(api_url: str | None) -> str:
    url = api_url or "https://slack.com/api/"
    return url if url.endswith("/") else url + "/"


def _slack_error(exc: SlackApiError) -> tuple[str, str | None]:
    data = exc.response.data if exc.response is not None and isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or "unknown_error"), data.get("needed")


def _hint(error: str, needed: str | None) -> str:
    if error == "missing_scope":
        return f"add the scope {needed or '(named in the Slack app settings)'} to the Slack app and reinstall it"
    if error in AUTH:
        return "check SLACK_BOT_TOKEN"
    if error in CHANNEL:
        return "check slack.channel in bot.toml and invite the app to that channel"
    if error in REFUSED:
        return "Slack refused the message's content; the claims it held stay pending (see `claimbot digest --preview`)"
    return "claims stay pending and go out with the next digest"


class SlackNotifier:
    def __init__(self, token: str, channel: str, options: DigestOptions, *, api_url: str | None = None,
                 timeout: int = 30, retry_handlers: list[RetryHandler] | None = None,
                 max_retry_after: float = MAX_RETRY_AFTER_SECONDS) -> None:
        handlers = retry_handlers if retry_handlers is not None else default_retry_handlers(
            max_retry_after=max_retry_after)
        self.client = WebClient(token=token, base_url=_base_url(api_url), timeout=timeout, retry_handlers=handlers)
        self.channel = channel
        self.options = options
        self._channel_id: str | None = None

    def for_channel(self, channel: str) -> SlackNotifier:
        """The same client and options, posting to another channel (a topic's own)."""
        other = copy.copy(self)
        other.channel, other._channel_id = channel, None
        return other

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
        layout = self.options.layout
        channel, first_ts = self.channel_id(), None
        if resume is not None:  # part of the digest is already in the channel: post the rest after it
            channel, first_ts = resume.channel or channel, resume.message_ts
            if digest.is_empty:
                messages = []
            elif layout == "thread":
                messages = [m for m in render_messages(digest, self.options) if m.reply]
            else:
                messages = render_messages(digest, self.options, continued=True)
        else:
            # A digest of updates alone posts no summary: the replies go to the stories' own threads.
            messages = [] if digest.is_empty and digest.updates else render_messages(digest, self.options)
            if on_first_message is not None and messages:
                on_first_message(Receipt(channel=channel, message_ts=None))  # where to look after a crash
        items = {cid: (topic.name, story) for topic in digest.topics for story in stories(topic)
                 for cid in story.claim_ids}
        delivered: list[int] = []
        placed: list[tuple[int, str]] = []
        refused: list[str] = []
        for message in messages:
            thread_ts = first_ts if message.reply else None
            try:
                try:
                    response = self._post(channel, message, thread_ts, digest.digest_id)
                    got = list(message.claim_ids)
                except DeliveryError as exc:
                    if not exc.refused or not message.claim_ids:
                        raise
                    got, why = self._isolate(channel, message, thread_ts, digest.digest_id, items)
                    refused.extend(why)
                    response = {}
                delivered.extend(got)
            except DeliveryError as exc:
                exc.delivered = tuple(delivered)  # these went out: never post them twice
                if resume is None and layout == "thread" and first_ts and not delivered and not exc.unknown:
                    self._delete(channel, first_ts)  # never leave a summary with nothing under it
                raise
            if first_ts is None:
                first_ts, channel = response.get("ts"), response.get("channel", channel)
                if on_first_message is not None:
                    on_first_message(Receipt(channel=channel, message_ts=first_ts))
            # Where a later corroboration update replies: the summary's thread, or this message's own.
            root = first_ts if layout == "thread" else (thread_ts or response.get("ts") or first_ts)
            placed += [(cid, f"{channel}:{root}") for cid in got if root]
        if refused:
            missing = sorted(set(digest.claim_ids) - set(delivered))
            if resume is None and layout == "thread" and first_ts and not delivered:
                self._delete(channel, first_ts)
            raise DeliveryError(f"slack channel {channel}",
                                f"Slack refused {len(missing)} claim(s) even alone ({refused[0]})",
                                "the others went out; those stay pending for the next digest",
                                delivered=tuple(delivered), retryable=False)
        updated = self._post_updates(digest, resume)
        return Receipt(channel=channel, message_ts=first_ts, placed=tuple(placed), updates=tuple(updated))

    def _post_updates(self, digest: Digest, resume: Receipt | None) -> list[int]:
        """Corroboration replies in the stories' threads. One Slack refuses is skipped (its story is
        updated with a later digest); one Slack does not answer leaves the digest unconfirmed."""
        done = set(resume.updates) if resume is not None else set()
        posted: list[int] = []
        for update in digest.updates:
            key = update.claim_ids[0]
            if key in done:
                continue
            channel, _, ts = update.thread.partition(":")
            message = update_message(update, self.options)
            try:
                self._post(channel, message, ts, digest.digest_id, update=key)
            except DeliveryError as exc:
                if exc.unknown:
                    raise
                continue
            posted.append(key)
        return posted

    def reactions(self, threads: tuple[str, ...]) -> list[Reaction]:
        """Reactions come with each message of conversations.replies (scope channels:history), so one
        call per thread reads a whole digest's story messages; the thread's root is included."""
        found: list[Reaction] = []
        for thread in dict.fromkeys(threads):
            channel, _, ts = thread.partition(":")
            for message in self._read(channel, "conversations.replies", ts=ts):
                claims = tuple(_claims_of(message))
                if _digest_of(message) is None or not claims:
                    continue
                for reaction in message.get("reactions") or []:
                    found.append(Reaction(channel, str(message.get("ts")), str(reaction.get("name")),
                                          tuple(str(u) for u in reaction.get("users") or ()), claims))
        return found

    def updates_sent(self, digest_id: int, threads: tuple[str, ...]) -> tuple[int, ...]:
        found: list[int] = []
        for thread in dict.fromkeys(threads):
            channel, _, ts = thread.partition(":")
            for message in self._read(channel, "conversations.replies", ts=ts):
                meta = (message.get("metadata") or {}).get("event_payload") or {}
                if _digest_of(message) == digest_id and meta.get("update"):
                    found.append(int(meta["update"]))
        return tuple(found)

    def _isolate(self, channel: str, message: Message, thread_ts: str | None, digest_id: int | None,
                 items: dict[int, tuple[str, Story]]) -> tuple[list[int], list[str]]:
        """Slack refused a message: post its stories one by one, each in its plainest form if need be."""
        delivered: list[int] = []
        refused: list[str] = []
        problem = ""
        done: set[int] = set()
        for claim_id in message.claim_ids:
            if claim_id not in items or claim_id in done:
                continue
            topic_name, story = items[claim_id]
            done.update(story.claim_ids)
            for single in (story_message(story, topic_name, self.options, reply=message.reply),
                           story_fallback(story, self.options, reply=message.reply)):
                try:
                    self._post(channel, single, thread_ts, digest_id)
                except DeliveryError as exc:
                    if not exc.refused:
                        exc.delivered = tuple(delivered)
                        raise
                    problem = exc.problem
                    continue
                delivered.extend(story.claim_ids)
                break
            else:
                refused.append(f"claim {claim_id}: {problem}")
        return delivered, refused

    def _delete(self, channel: str, ts: str) -> None:
        try:
            self.client.chat_delete(channel=channel, ts=ts)
        except (SlackApiError, SlackClientError, OSError):
            pass  # an empty summary is untidy, not a loss: the claims are still pending

    def _post(self, channel: str, message: Message, thread_ts: str | None, digest_id: int | None, *,
              update: int | None = None) -> dict:
        payload: dict[str, object] = {"digest_id": digest_id or 0, "claims": list(message.claim_ids)}
        if update is not None:
            payload["update"] = update
        try:
            response = self.client.chat_postMessage(
                channel=channel, text=message.text, blocks=list(message.blocks) or None, thread_ts=thread_ts,
                unfurl_links=False, unfurl_media=False, metadata={"event_type": EVENT_TYPE, "event_payload": payload},
            )
        except SlackApiError as exc:
            error, needed = _slack_error(exc)
            failure = DeliveryError(f"slack channel {channel}", f"chat.postMessage failed: {error}"
                                    + (f" (needs {needed})" if needed else ""), _hint(error, needed),
                                    retryable=error in RETRYABLE, refused=error in REFUSED)
            raise failure from None
        except URLError as exc:  # raised before the request went out: Slack has nothing
            raise DeliveryError(f"slack channel {channel}", f"Slack could not be reached ({exc.reason})",
                                "claims stay pending and go out with the next digest") from None
        except (SlackClientError, OSError) as exc:
            # A timeout or a reset after the request was sent: Slack may have posted it.
            raise DeliveryError(f"slack channel {channel}", f"Slack did not answer ({type(exc).__name__}: {exc})",
                                "the digest stays unconfirmed; the next run looks it up in the channel's history "
                                "before sending anything", unknown=True) from None
        return response.data if isinstance(response.data, dict) else {}

    def already_sent(self, digest_id: int, channel: str | None, since: datetime | None = None) -> Receipt | None:
        """The digest's messages in the channel: the claims they carry, or None when none is there.

        Every top-level message carrying the digest id counts (the single layout posts several), and
        so does every reply under the first of them (the thread layout). A lookup that fails raises:
        a digest we cannot check is never sent again blindly.
        """
        channel = channel if channel and not channel.startswith("#") else self.channel_id()
        oldest = f"{since.timestamp() - 60:.6f}" if since else None
        found = self._read(channel, "conversations.history", oldest=oldest)
        mine = sorted((m for m in found if _digest_of(m) == digest_id), key=lambda m: float(m.get("ts") or 0))
        if not mine:
            return None
        summary = mine[0]
        placed = [(c, f"{channel}:{m.get('ts')}") for m in mine for c in _claims_of(m)]
        replies = self._read(channel, "conversations.replies", ts=summary.get("ts"))
        placed += [(c, f"{channel}:{summary.get('ts')}") for m in replies if m.get("ts") != summary.get("ts")
                   and m.get("ts") not in {x.get("ts") for x in mine} and _digest_of(m) == digest_id
                   for c in _claims_of(m)]
        return Receipt(channel=channel, message_ts=summary.get("ts"),
                       claim_ids=tuple(dict.fromkeys(c for c, _ in placed)), placed=tuple(placed))

    def _read(self, channel: str, method: str, **params: object) -> list[dict]:
        messages: list[dict] = []
        cursor = None
        call = self.client.conversations_history if method == "conversations.history" else \
            self.client.conversations_replies
        for _page in range(50):  # 10,000 messages: far more than a digest period holds
            try:
                response = call(channel=channel, limit=200, include_all_metadata=True, cursor=cursor,
                                **{k: v for k, v in params.items() if v is not None})
            except SlackApiError as exc:
                error, needed = _slack_error(exc)
                raise DeliveryError(f"slack channel {channel}", f"{method} failed: {error}"
                                    + (f" (needs {needed})" if needed else "") + "; cannot tell whether an "
                                    "interrupted digest went out, so nothing is sent until it can",
                                    _hint(error, needed), unknown=True) from None
            except (SlackClientError, OSError) as exc:
                raise DeliveryError(f"slack channel {channel}", f"{method}: Slack could not be reached ({exc}); "
                                    "an interrupted digest is checked before anything is sent",
                                    "it is tried again with the next digest", unknown=True) from None
            messages += response.get("messages", []) or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return messages

    def alert(self, text: str) -> None:
        self._post(self.channel_id(), Message(text=escape(text), blocks=(
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(text), "verbatim": True}},)), None, None)


def _digest_of(message: dict) -> int | None:
    meta = message.get("metadata") or {}
    return (meta.get("event_payload") or {}).get("digest_id") if meta.get("event_type") == EVENT_TYPE else None


def _claims_of(message: dict) -> list[int]:
    return list(((message.get("metadata") or {}).get("event_payload") or {}).get("claims") or [])


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

    def already_sent(self, digest_id: int, channel: str | None, since: datetime | None = None) -> Receipt | None:
        return None  # a webhook cannot read history; a digest left 'sending' is re-sent

    def updates_sent(self, digest_id: int, threads: tuple[str, ...]) -> tuple[int, ...]:
        return ()  # a webhook posts no thread replies, so it never carries updates

    def reactions(self, threads: tuple[str, ...]) -> list[Reaction]:
        return []  # a webhook cannot read the channel

    def for_channel(self, channel: str) -> WebhookNotifier:
        return self  # a webhook posts where it was made for; per-topic channels need a bot token

    def alert(self, text: str) -> None:
        response = self.client.send(text=escape(text))
        if response.status_code != 200:
            raise DeliveryError("slack webhook", f"HTTP {response.status_code} for an alert", "it is retried next poll")
