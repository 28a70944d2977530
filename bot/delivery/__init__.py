"""Delivery behind one small protocol, so the dry run is a swapped notifier, not a flag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..models import Digest


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where the digest went: the channel and the first message's timestamp (None for the console)."""

    channel: str | None = None
    message_ts: str | None = None
    # After a crash: the claims Slack is known to have (None: all of the digest's claims).
    claim_ids: tuple[int, ...] | None = None


class Notifier(Protocol):
    def send(self, digest: Digest, on_first_message: Callable[[Receipt], None] | None = None,
             resume: Receipt | None = None) -> Receipt:
        """Deliver the whole digest or raise DeliveryError (with the claims already delivered).

        ``on_first_message`` is called with the channel id Slack resolved, before and after the
        first message, so a crash later can be recovered. ``resume`` is a summary already in the
        channel: only the thread replies are posted, under it.
        """
        ...

    def already_sent(self, digest_id: int, channel: str | None) -> Receipt | None:
        """After a crash: was this digest posted before its row was marked sent?"""
        ...

    def alert(self, text: str) -> None:
        """A short operational notice (a feed failing or recovering); raises DeliveryError."""
        ...
