"""The web configurator's settings (pydantic-settings), read once from the environment; a bad value
stops the start with a message naming the variable. docs/web.md lists every variable.

`WebSettings(...)` takes only what it is given (tests, embedding); `WebSettings.from_env()` reads
the process environment (or a given mapping) through pydantic-settings' environment source.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import AliasChoices, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from ..errors import InputError
from ..materials import MaterialConstants
from .quote import MaterialPrices, PriceError

__all__ = ["SettingsError", "WebSettings"]

REPLICATE_NAMES = ("REPLICATE_API_TOKEN", "REPLICATE_MODEL_VERSION", "REPLICATE_WEBHOOK_SECRET")
_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("web_settings_environment", default=None)


class SettingsError(ValueError):
    """A setting that cannot work; the message names the variable and what to put in it."""


def _decimal_comma(value: Any) -> Any:
    return value.strip().replace(",", ".") if isinstance(value, str) else value


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Number = Annotated[float, BeforeValidator(_decimal_comma)]
Text = Annotated[str, BeforeValidator(_stripped)]


def env(name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field read from the variable `name` (and given by its field name in code)."""
    return Field(default, validation_alias=AliasChoices(name), **kwargs)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environment: Mapping[str, str]) -> None:
        self._mapping = dict(environment)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._mapping, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, env_ignore_empty=True, validate_default=True
    )

    host: Text = env("HOST", "127.0.0.1")
    port: int = env("PORT", 8000, ge=1, le=65535)
    cog_url: Text = env("COG_URL", "http://127.0.0.1:5000")
    public_url: Text = env("PUBLIC_URL", "")  # empty: http://host:port
    replicate_api_token: Text = env("REPLICATE_API_TOKEN", "")
    replicate_model_version: Text = env("REPLICATE_MODEL_VERSION", "")
    replicate_webhook_secret: Text = env("REPLICATE_WEBHOOK_SECRET", "")
    replicate_delivery_host: Text = env("REPLICATE_DELIVERY_HOST", "replicate.delivery")
    # What the Cog server draws, for /api/health (`make web` sets it when it starts the server itself).
    cog_render_backend: Literal["preview", "sdxl", "unknown"] = env("RENDER_BACKEND", "unknown")
    render_workers: int = env("WEB_RENDER_WORKERS", default_factory=lambda: os.cpu_count() or 1, ge=0)
    material_crumb_kg_per_m2: Number = env("MATERIAL_CRUMB_KG_PER_M2", MaterialConstants.crumb_kg_per_m2)
    material_binder_percent: Number = env("MATERIAL_BINDER_PERCENT", MaterialConstants.binder_percent)
    # Optional prices per kg (`red=320, black=250, *=300, binder=450`) and their currency: the estimate's costs.
    material_prices: Text = env("MATERIAL_PRICES", "")
    material_currency: Text = env("MATERIAL_CURRENCY", "RUB")
    # The order store: SQLite in a file, or PostgreSQL (postgresql+psycopg://...) for several instances.
    database_url: Text = env("DATABASE_URL", "sqlite:///var/web/orders.sqlite3")
    orders_keep_hours: float = env("ORDERS_KEEP_HOURS", 72.0, gt=0)
    # Limits per client (its IP address, as uvicorn reports it behind FORWARDED_ALLOW_IPS).
    preview_rate_limit: Text = env("PREVIEW_RATE_LIMIT", "10/second;300/minute")
    preview_free_size: int = env("PREVIEW_FREE_SIZE", 1024, ge=64)  # larger previews need PREVIEW_KEY
    preview_key: Text = env("PREVIEW_KEY", "")
    order_rate_limit: Text = env("ORDER_RATE_LIMIT", "5/minute;30/hour")
    orders_open_per_client: int = env("ORDERS_OPEN_PER_CLIENT", 2, ge=1)
    queue_max: int = env("ORDER_QUEUE_MAX", 50, ge=1)
    replicate_daily_cap: int = env("REPLICATE_DAILY_CAP", 100, ge=0)  # paid predictions a day, all clients
    replicate_slots: int = env("REPLICATE_SLOTS", 4, ge=1)  # orders in flight on Replicate at once
    # Liveness of the render server and of the orders in flight.
    render_timeout_s: float = env("RENDER_TIMEOUT_S", 900.0, gt=0)
    render_server_dead_after_s: float = env("RENDER_SERVER_DEAD_AFTER_S", 10.0, gt=0)
    render_lost_after_s: float = env("RENDER_LOST_AFTER_S", 20.0, gt=0)
    render_stuck_after_s: float = env("RENDER_STUCK_AFTER_S", 20.0, gt=0)
    render_setup_wait_s: float = env("RENDER_SETUP_WAIT_S", 600.0, gt=0)
    request_timeout_s: float = env("REQUEST_TIMEOUT_S", 30.0, gt=0)
    health_interval_s: float = 1.0
    webhook_poll_after_s: float = 10.0  # Replicate: no webhook for this long, read the prediction
    max_body_bytes: int = 64 * 1024
    max_webhook_bytes: int = 64 * 1024 * 1024  # Cog's picture as a data: URI (a 2048 px PNG is about 10 MB)
    max_signed_webhook_bytes: int = 1024 * 1024  # Replicate's deliveries carry a URL, not the picture
    instance: str = Field(default_factory=lambda: secrets.token_hex(6))  # this process, for the dispatch lease

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environment = _ENVIRONMENT.get()
        return (init_settings,) if environment is None else (init_settings, _MappingSource(settings_cls, environment))

    @model_validator(mode="after")
    def _check(self) -> WebSettings:
        check_settings(self)
        return self

    @cached_property
    def materials(self) -> MaterialConstants:
        return MaterialConstants(self.material_crumb_kg_per_m2, self.material_binder_percent)

    @cached_property
    def prices(self) -> MaterialPrices:
        return MaterialPrices.parse(self.material_prices, self.material_currency)

    @property
    def uses_replicate(self) -> bool:
        return bool(self.replicate_api_token)

    @property
    def backend(self) -> str:
        return "replicate" if self.uses_replicate else "cog"

    @property
    def render_backend(self) -> str:
        """Contract B: preview, sdxl, replicate or unknown."""
        return "replicate" if self.uses_replicate else self.cog_render_backend

    @property
    def webhook_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, environment: Mapping[str, str] | None = None) -> WebSettings:
        """The settings from the environment (os.environ by default); SettingsError naming the variable."""
        with _reading(os.environ if environment is None else environment):
            try:
                return cls()
            except ValidationError as error:
                raise SettingsError(describe(error)) from None


@contextmanager
def _reading(environment: Mapping[str, str]) -> Iterator[None]:
    token = _ENVIRONMENT.set(environment)
    try:
        yield
    finally:
        _ENVIRONMENT.reset(token)


def describe(error: ValidationError) -> str:
    """pydantic's errors as one line per variable: 'PORT: Input should be a valid integer, got 'http''."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item.get("loc") else "settings"
        message = item["msg"].removeprefix("Value error, ")
        got = f", got {item['input']!r}" if item.get("loc") and not isinstance(item.get("input"), dict) else ""
        lines.append(message if not item.get("loc") else f"{name}: {message}{got}")
    return "; ".join(lines)


def check_settings(settings: WebSettings) -> None:
    for name, url in (("COG_URL", settings.cog_url), ("PUBLIC_URL", settings.public_url)):
        if url:
            _check_url(name, url)
    given = [bool(settings.replicate_api_token), bool(settings.replicate_model_version),
             bool(settings.replicate_webhook_secret)]
    if any(given) and not all(given):
        missing = [name for name, ok in zip(REPLICATE_NAMES, given, strict=True) if not ok]
        raise ValueError(f"Replicate needs all of {', '.join(REPLICATE_NAMES)}; missing: {', '.join(missing)}")
    if settings.replicate_webhook_secret and not settings.replicate_webhook_secret.startswith("whsec_"):
        raise ValueError("REPLICATE_WEBHOOK_SECRET must be the signing secret from Replicate, starting whsec_")
    if settings.uses_replicate and not settings.public_url:
        raise ValueError("PUBLIC_URL must be set with Replicate: the https address where Replicate reaches this app")
    for name, text in (("PREVIEW_RATE_LIMIT", settings.preview_rate_limit),
                       ("ORDER_RATE_LIMIT", settings.order_rate_limit)):
        try:
            parse_many(text)
        except ValueError:
            raise ValueError(f"{name} must be limits like '10/second;300/minute', got {text!r}") from None
    if not settings.database_url.startswith(("sqlite://", "postgresql")):
        raise ValueError(f"DATABASE_URL must be sqlite:///path or postgresql+psycopg://..., got {settings.database_url!r}")
    try:
        _ = settings.materials
    except InputError as error:
        raise ValueError(f"MATERIAL_CRUMB_KG_PER_M2 / MATERIAL_BINDER_PERCENT: {error}") from None
    try:
        _ = settings.prices
    except PriceError as error:
        raise ValueError(str(error)) from None


def _check_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) address like http://127.0.0.1:5000, got {url!r}")
