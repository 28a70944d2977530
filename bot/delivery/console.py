"""The dry run's notifier: prints the digest instead of posting it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from ..digest import DigestOptions, render_messages, render_text
from ..models import Digest, Reaction
from . import Receipt


class ConsoleNotifier:
    def __init__(self, options: DigestOptions, *, fmt: str = "text", stream: TextIO | None = None,
                 explain: bool = False, every_claim: bool = False) -> None:
        self.options = options
        self.fmt = fmt
        self.stream = stream or sys.stdout
        self.explain = explain          # each claim's score and why its repeats joined: never sent to Slack
        self.every_claim = every_claim  # the console has room: no "+N more"

    def send(self, digest: Digest, on_first_message: Callable[[Receipt], None] | None = None,
             resume: Receipt | None = None) -> Receipt:
        if self.fmt == "json":
            messages = [{"text": m.text, "blocks": list(m.blocks), "thread_reply": m.reply}
                        for m in render_messages(digest, self.options)]
            self.stream.write(json.dumps({"messages": messages}, ensure_ascii=False, indent=2) + "\n")
        else:
            self.stream.write(render_text(digest, self.options, explain=self.explain,
                                          every_claim=self.every_claim) + "\n")
        self.stream.flush()
        return Receipt()

    def already_sent(self, digest_id: int, channel: str | None, since: datetime | None = None) -> Receipt | None:
        return None

    def updates_sent(self, digest_id: int, threads: tuple[str, ...]) -> tuple[int, ...]:
        return ()

    def reactions(self, threads: tuple[str, ...]) -> list[Reaction]:
        return []

    def for_channel(self, channel: str) -> ConsoleNotifier:
        return self

    def alert(self, text: str) -> None:
        self.stream.write(f"[alert] {text}\n")
        self.stream.flush()
