"""Configuration: `NEWSDIGEST_*` environment variables, optionally a `.env` file in the working directory.

Every setting has a safe default, so the bot runs with no configuration at all. A platform's own settings
(tokens, ports) belong to its adapter (adapters/<platform>/settings.py), read with the same
`load_settings` so that a mistake in them reads the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from .errors import ConfigError

USER_AGENT = "newsdigest/0.1 (news digest bot)"


def _default_data_dir() -> Path:
    # Follow the XDG convention so that packagers and containers can relocate it with one variable.
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser() / "newsdigest"


ENV_FILE = ".env"
# The test suite's own switches (NEWSDIGEST_TEST_REQUIRE_POSTGRES): not settings of the bot, never warned about.
RESERVED_PREFIX = "NEWSDIGEST_TEST_"


def _dotenv() -> dict[str, str]:
    from dotenv import dotenv_values  # python-dotenv, which pydantic-settings reads .env with

    path = Path(ENV_FILE)
    try:
        if not path.is_file():
            return {}
        return {k: v for k, v in dotenv_values(path, encoding="utf-8").items() if v is not None}
    except (OSError, UnicodeDecodeError):  # load_settings reports an unreadable .env in its own words
        return {}


class _FileVariables(PydanticBaseSettingsSource):
    """`<VARIABLE>_FILE=/run/secrets/x`: the setting's value is that file's text (a trailing newline
    dropped), the way Docker and Kubernetes hand secrets over. The variable itself, when also given, wins."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ does the work: one pass over the fields

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix") or "")
        given = {**_dotenv(), **os.environ}
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            variable = f"{prefix}{name}".upper()
            path = given.get(f"{variable}_FILE")
            if not path or variable in given:
                continue
            try:
                values[name] = Path(path).read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                raise ConfigError(f"bad setting ({variable}_FILE: cannot read {path}: {reason}): "
                                  "fix it in the environment or in .env") from None
        return values


class SettingsBase(BaseSettings):
    """What every settings class of the project shares (the bot's here, each platform's in its adapter):
    `NEWSDIGEST_…` variables, a `.env` file, and `…_FILE` variables for secrets kept in files."""

    # A missing `.env` is fine; explicit arguments win over the environment, then `_FILE` variables, then the file.
    model_config = SettingsConfigDict(env_prefix="NEWSDIGEST_", env_file=ENV_FILE, env_file_encoding="utf-8",
                                      extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileVariables(settings_cls), dotenv_settings, file_secret_settings


def _comma_separated(value: object) -> object:
    """"10.1.0.0/16, 10.2.0.0/16" → a list; a JSON list ("[...]") is still accepted."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            try:
                return json.loads(text)
            except ValueError:
                raise ValueError("not a valid JSON list; or give the values separated by commas") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(SettingsBase):
    """The bot's settings: storage, fetching, feeds, digesting, delivery, health and logs.

    Each can be set as `NEWSDIGEST_<FIELD NAME>` (e.g. `NEWSDIGEST_FETCH_TIMEOUT=5`)."""

    database_url: str | None = Field(default=None, description="SQLAlchemy URL; None means a SQLite file in data_dir")
    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the bot keeps its files")

    # Fetching. Private addresses are refused by default so that a URL posted in a chat cannot make the
    # bot read internal services (cloud metadata, admin pages): server-side request forgery.
    allow_private_urls: bool = Field(default=False, description="Allow fetching private, loopback and other non-public addresses")
    allowed_private_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Non-public networks that may be fetched anyway, separated by commas, e.g. 10.1.0.0/16 for an "
                    "intranet news server",
    )
    fetch_timeout: float = Field(default=10.0, gt=0, description="Seconds a whole fetch may take, redirects included")
    max_fetch_bytes: int = Field(default=5 * 1024 * 1024, gt=0, description="Largest web page body read")
    max_file_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="Largest local file or stdin read")
    user_agent: str = Field(default=USER_AGENT, description="User-Agent header sent when fetching")

    # Feeds (see the README's "Feeds"): how often each is polled and how much one poll may do.
    feed_interval: int = Field(default=900, ge=60, description="Seconds between two polls of a feed (new feeds get this interval)")
    feed_max_entries: int = Field(default=50, gt=0, description="New entries fetched and digested in one poll of one feed; the rest wait for the next poll")
    feed_parse_entries: int = Field(default=500, gt=0, description="Newest entries of a feed read at each poll (feeds "
                                    "list the newest first); older ones are never parsed, so a huge feed costs no more")
    feed_pause_after: int = Field(default=5, gt=0, description="Consecutive failed polls after which a feed is paused until someone resumes it")

    # Digesting (bot/workers.py): a few workers, a short queue and a deadline, so that slow or huge
    # articles cannot take every thread of the bot, and the rest of it keeps answering.
    digest_workers: int = Field(default=2, ge=1, le=32, description="Articles digested at the same time")
    digest_queue: int = Field(default=2, ge=1, le=1000, description="Digests that may wait for a worker; "
                              "one more is answered \"busy, try again\"")
    digest_deadline: float = Field(default=120.0, gt=0, description="Seconds one digest may take (waiting included) "
                                   "before it is given up as too long or slow")

    # The digest engine (bot/engines.py).
    engine: str = Field(default="offline", description='The digest engine: "offline" (rule-based, on spaCy), or "llm" '
                        "(the offline digest, then a language model's wording, checked against the article: bot/llm.py)")

    # The llm engine (bot/llm.py): any OpenAI-compatible server. Used only when engine is "llm"; the
    # article's cleaned text and its quotes are then sent to llm_base_url (see the README).
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible API, e.g. "
                                     "https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama)")
    llm_model: str | None = Field(default=None, description="The model name the server knows, e.g. gpt-4o-mini or llama3.1")
    llm_api_key: SecretStr | None = Field(default=None, description="The server's API key (or NEWSDIGEST_LLM_API_KEY_FILE); "
                                          "none for a local server that needs none")
    llm_timeout: float = Field(default=30.0, gt=0, description="Seconds one model call may take before the offline "
                               "digest is shown instead")
    llm_max_output_tokens: int = Field(default=1200, ge=100, description="Most tokens the model may answer with, per call")
    llm_token_budget: int = Field(default=12000, ge=1000, description="Most tokens one article may cost (prompts and "
                                  "answers, a re-ask included); a longer article sends only the sentences that fit")
    llm_concurrency: int = Field(default=2, ge=1, le=64, description="Model calls at the same time (a feed burst waits "
                                 "for a slot, up to llm_timeout, then gets the offline digest)")
    llm_cache_size: int = Field(default=512, ge=0, description="Model answers kept in memory, by article and model")

    # Chat commands.
    command_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]{0,9})?$", description=(
        "Put before every chat command's name where other apps' names collide: nd- makes /nd-digest, "
        "/nd-newsdigest… on Slack (adapters/slack/manifest.py writes its manifest) and Discord alike"))

    # Scheduled digests.
    delivery_lease: float = Field(default=600, gt=0, description="Seconds after which a delivery claimed by a process "
                                  "that died mid-post may be taken over (and posted with the same idempotency key)")

    # Roles on one PostgreSQL (`newsdigest run --role`, bot/queue.py and bot/leader.py).
    queue_heartbeat: float = Field(default=10.0, gt=0, description="Seconds between a queue worker's heartbeats")
    queue_stalled_after: float = Field(default=30.0, gt=0, description="Seconds without a heartbeat after which a "
                                       "worker is taken as dead and its running tasks are given to another")
    leader_retry: float = Field(default=10.0, gt=0, le=50, description="Seconds between a standby scheduler's tries "
                                "to become the leader (a dead leader is replaced within this)")

    # The operator's HTTP routes (adapters/health.py): off unless a port is given.
    health_port: int | None = Field(default=None, ge=1, le=65535, description="Port of /healthz, /readyz and /metrics; "
                                    "none: no health server")
    health_host: str = Field(default="127.0.0.1", description="Address the health server listens on "
                             "(0.0.0.0 in a container, so that its health check and Prometheus reach it)")

    # Logs (see the README's "Logs"): the bot's own loggers at this level, libraries at WARNING.
    log_level: Literal["debug", "info", "warning", "error", "critical"] | None = Field(
        default=None, description="Level of the bot's own log lines; none means info for `newsdigest run`, "
                                  "warning for the one-shot commands")
    log_format: Literal["text", "json"] = Field(default="text", description="text: one escaped line per record; "
                                                "json: one JSON object per line (ts, level, logger, message, context)")
    log_library_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="warning", description="Level of the libraries' log lines (alembic, apscheduler, httpx, discord, slack_bolt…)")

    @field_validator("log_level", "log_library_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    _networks = field_validator("allowed_private_networks", mode="before")(classmethod(
        lambda cls, value: _comma_separated(value)))

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()


S = TypeVar("S", bound=BaseSettings)


def variables(kinds: Iterable[type[BaseSettings]]) -> dict[str, tuple[type[BaseSettings], str]]:
    """Every variable the settings classes read → (class, field name)."""
    known: dict[str, tuple[type[BaseSettings], str]] = {}
    for kind in kinds:
        prefix = str(kind.model_config.get("env_prefix") or "")
        for name in kind.model_fields:
            known[f"{prefix}{name}".upper()] = (kind, name)
    return known


def unknown_variables(kinds: Iterable[type[BaseSettings]], given: Mapping[str, str] | None = None) -> list[str]:
    """One line for each `NEWSDIGEST_*` name in the environment or `.env` that no setting reads
    (a misspelling is otherwise ignored in silence), with the closest known name."""
    from rapidfuzz import process

    known = variables(kinds)
    names = [*known, *(f"{n}_FILE" for n in known)]
    given = given if given is not None else {**_dotenv(), **os.environ}
    lines = []
    for name in sorted(given):
        upper = name.upper()
        if not upper.startswith("NEWSDIGEST_") or upper.startswith(RESERVED_PREFIX) or upper in names:
            continue
        match = process.extractOne(upper, names, score_cutoff=80)
        hint = f" (did you mean {match[0]}?)" if match else ""
        lines.append(f"unknown setting {name}{hint}: it is ignored")
    return lines


def load_settings(kind: type[S] = Settings) -> S:  # type: ignore[assignment]
    """The settings of `kind` (the bot's, or a platform's) from the environment and `.env`; a mistake
    in them is a ConfigError whose one line names the variable and what is wrong (never its value:
    it may be a secret)."""
    prefix = str(kind.model_config.get("env_prefix") or "")

    def _variable(field: object) -> str:
        return f"{prefix}{str(field)}".upper()

    try:
        return kind()
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(e['loc'][0]) if e['loc'] else 'a setting'}: {e['msg'][:1].lower()}{e['msg'][1:]}"
                             for e in exc.errors())
        raise ConfigError(f"bad setting ({problems}): fix it in the environment or in .env") from None
    except SettingsError as exc:
        # pydantic-settings: 'error parsing value for field "x" from source "EnvSettingsSource"'
        field = str(exc).split('"')[1] if str(exc).count('"') >= 2 else "a setting"
        raise ConfigError(f"bad setting ({_variable(field)}: not valid JSON for its type, e.g. "
                          '["10.1.0.0/16"] for a list): fix it in the environment or in .env') from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the .env file in {Path.cwd()} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                          f"at position {exc.start}): save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the .env file in {Path.cwd()}: {exc.strerror or exc}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (a ConfigError when they are wrong). `get_settings.cache_clear()`
    makes the next call re-read them."""
    return load_settings()
