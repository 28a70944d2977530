"""Errors that carry their stage and subject, so the CLI can print one clear line.

Every message reads ``stage: subject: what went wrong. what to do`` and never
needs a traceback to be understood.
"""

from __future__ import annotations


class ClaimbotError(Exception):
    stage = "claimbot"

    def __init__(self, subject: str, problem: str, hint: str = "") -> None:
        self.subject = subject
        self.problem = problem
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.stage}: {self.subject}: {self.problem}" if self.subject else f"{self.stage}: {self.problem}"
        return f"{text}. {self.hint}" if self.hint else text


class ConfigError(ClaimbotError):
    stage = "config"


class FetchError(ClaimbotError):
    stage = "fetch"

    def __init__(self, subject: str, problem: str, hint: str = "", *, retry_after: float | None = None,
                 status: int | None = None) -> None:
        self.retry_after = retry_after
        self.status = status
        super().__init__(subject, problem, hint)


class FeedError(ClaimbotError):
    stage = "feed"


class ExtractError(ClaimbotError):
    stage = "extract"


class InputError(ClaimbotError):
    stage = "input"


class StoreError(ClaimbotError):
    stage = "store"


class DeliveryError(ClaimbotError):
    stage = "delivery"

    def __init__(self, subject: str, problem: str, hint: str = "", *, retryable: bool = True,
                 delivered: tuple[int, ...] = (), unknown: bool = False, refused: bool = False) -> None:
        self.retryable = retryable
        self.delivered = delivered  # claims whose messages Slack accepted before the failure
        # Slack may have taken the message but never answered: not a failure, an unknown to look up
        # in the channel's history before anything is sent again.
        self.unknown = unknown
        self.refused = refused  # Slack refused the message's content: its items are tried one by one
        super().__init__(subject, problem, hint)


_NOISE = ("[SQL", "[parameters", "(Background on this error")


def one_line(exc: BaseException) -> str:
    """An error's message on one line: every line that explains it, joined. A driver's message
    often puts the cause on its first line and the detail on the next (PostgreSQL's DETAIL,
    HINT); SQLAlchemy adds the statement, its parameters and a link, which say nothing to a user."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(orig if orig is not None else exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(_NOISE)]
    return "; ".join(lines)[:1000] or type(exc).__name__
