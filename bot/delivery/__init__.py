"""Delivery behind one small protocol, so the dry run is a swapped notifier, not a flag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..models import Digest, Reaction


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where the digest went: the channel and the first message's timestamp (None for the console)."""

    channel: str | None = None
    message_ts: str | None = None
    # After a crash: the claims Slack is known to have (None: all of the digest's claims).
    claim_ids: tuple[int, ...] | None = None
    # Where each claim was shown: (claim id, "C123:ts" of the thread a later update replies in).
    placed: tuple[tuple[int, str], ...] = ()
    # The corroboration updates posted (their first claim id each).
    updates: tuple[int, ...] = ()


class Notifier(Protocol):
    def send(self, digest: Digest, on_first_message: Callable[[Receipt], None] | None = None,
             resume: Receipt | None = None) -> Receipt:
        """Deliver the whole digest or raise DeliveryError (with the claims already delivered).

        ``on_first_message`` is called with the channel id Slack resolved, before and after the
        first message, so a crash later can be recovered. ``resume`` is part of this digest already
        in the channel: the rest is posted after it (under the summary in the thread layout).
        A DeliveryError with ``unknown`` means Slack may have the message: look before re-sending.
        """
        ...

    def already_sent(self, digest_id: int, channel: str | None, since: datetime | None = None) -> Receipt | None:
        """After a crash: which of this digest's claims are in the channel (None: none of it is).

        Raises DeliveryError when it cannot tell; nothing may be sent until it can.
        """
        ...

    def updates_sent(self, digest_id: int, threads: tuple[str, ...]) -> tuple[int, ...]:
        """After a crash: which of this digest's corroboration replies are in those threads (by first claim id).

        Raises DeliveryError when it cannot tell.
        """
        ...

    def for_channel(self, channel: str) -> Notifier:
        """The same notifier posting to another channel (a topic's own); itself when it has no channels."""
        ...

    def reactions(self, threads: tuple[str, ...]) -> list[Reaction]:
        """The reactions on the bot's messages in those threads ("C123:ts"); raises DeliveryError."""
        ...

    def alert(self, text: str) -> None:
        """A short operational notice (a feed failing or recovering); raises DeliveryError."""
        ...
