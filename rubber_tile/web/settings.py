"""The web configurator's settings, read once from the environment; a bad value stops the start with a message.

    PORT, HOST                 where uvicorn listens (8000, 127.0.0.1)
    COG_URL                    the Cog HTTP server (default http://127.0.0.1:5000, `make serve`)
    PUBLIC_URL                 where the Cog server or Replicate reaches this app's webhooks
                               (default http://HOST:PORT, right for a local Cog server)
    REPLICATE_API_TOKEN, REPLICATE_MODEL_VERSION, REPLICATE_WEBHOOK_SECRET
                               all three: predictions go to Replicate instead of COG_URL
    WEB_RENDER_WORKERS         processes drawing previews (default: one per CPU; 0: threads in this process)
    MATERIAL_CRUMB_KG_PER_M2, MATERIAL_BINDER_PERCENT
                               the material estimate's constants (8 kg/m2 per 10 mm, 18%)
    MATERIAL_PRICES, MATERIAL_CURRENCY
                               optional prices per kg (`red=320, black=250, *=300, binder=450`) and
                               their currency (RUB): the estimate then gives costs and a total
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import InputError
from ..materials import MaterialConstants
from .quote import MaterialPrices, PriceError

__all__ = ["SettingsError", "WebSettings"]

DEFAULT_PORT = 8000
DEFAULT_HOST = "127.0.0.1"
DEFAULT_COG_URL = "http://127.0.0.1:5000"
REPLICATE_NAMES = ("REPLICATE_API_TOKEN", "REPLICATE_MODEL_VERSION", "REPLICATE_WEBHOOK_SECRET")


class SettingsError(ValueError):
    """A setting that cannot work; the message names the variable and what to put in it."""


@dataclass(frozen=True)
class WebSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    cog_url: str = DEFAULT_COG_URL
    public_url: str = ""  # empty: http://host:port
    replicate_api_token: str = ""
    replicate_model_version: str = ""
    replicate_webhook_secret: str = ""
    render_workers: int = 0
    materials: MaterialConstants = MaterialConstants()
    prices: MaterialPrices = MaterialPrices()
    max_body_bytes: int = 64 * 1024
    max_webhook_bytes: int = 64 * 1024 * 1024  # a 2048 px PNG as a data: URI is about 10 MB
    cog_busy_retry_s: float = 5.0  # coglet has one slot: it answers 409 while it draws, and just after
    webhook_poll_after_s: float = 10.0  # no webhook for this long: ask the backend (fallback)
    render_timeout_s: float = 900.0
    kept_renders: int = 50  # with their pictures (1-3 MB each), in memory

    def __post_init__(self) -> None:
        for name, url in (("COG_URL", self.cog_url), ("PUBLIC_URL", self.public_url)):
            if url:
                _check_url(name, url)
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"PORT must be from 1 to 65535, got {self.port}")
        given = [bool(self.replicate_api_token), bool(self.replicate_model_version), bool(self.replicate_webhook_secret)]
        if any(given) and not all(given):
            missing = [name for name, ok in zip(REPLICATE_NAMES, given, strict=True) if not ok]
            raise SettingsError(f"Replicate needs all of {', '.join(REPLICATE_NAMES)}; missing: {', '.join(missing)}")
        if self.replicate_webhook_secret and not self.replicate_webhook_secret.startswith("whsec_"):
            raise SettingsError("REPLICATE_WEBHOOK_SECRET must be the signing secret from Replicate, starting whsec_")
        if self.uses_replicate and not self.public_url:
            raise SettingsError("PUBLIC_URL must be set with Replicate: the https address where Replicate reaches this app")

    @property
    def uses_replicate(self) -> bool:
        return bool(self.replicate_api_token)

    @property
    def backend(self) -> str:
        return "replicate" if self.uses_replicate else "cog"

    @property
    def webhook_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WebSettings:
        try:
            materials = MaterialConstants(
                crumb_kg_per_m2=_number(env, "MATERIAL_CRUMB_KG_PER_M2", MaterialConstants.crumb_kg_per_m2),
                binder_percent=_number(env, "MATERIAL_BINDER_PERCENT", MaterialConstants.binder_percent),
            )
        except InputError as error:
            raise SettingsError(f"MATERIAL_CRUMB_KG_PER_M2 / MATERIAL_BINDER_PERCENT: {error}") from None
        try:
            prices = MaterialPrices.parse(env.get("MATERIAL_PRICES", ""), env.get("MATERIAL_CURRENCY", "RUB"))
        except PriceError as error:
            raise SettingsError(str(error)) from None
        return cls(
            host=env.get("HOST", DEFAULT_HOST).strip() or DEFAULT_HOST,
            port=_whole(env, "PORT", DEFAULT_PORT),
            cog_url=env.get("COG_URL", DEFAULT_COG_URL).strip() or DEFAULT_COG_URL,
            public_url=env.get("PUBLIC_URL", "").strip(),
            replicate_api_token=env.get("REPLICATE_API_TOKEN", "").strip(),
            replicate_model_version=env.get("REPLICATE_MODEL_VERSION", "").strip(),
            replicate_webhook_secret=env.get("REPLICATE_WEBHOOK_SECRET", "").strip(),
            render_workers=_whole(env, "WEB_RENDER_WORKERS", os.cpu_count() or 1),
            materials=materials,
            prices=prices,
        )


def _check_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) address like http://127.0.0.1:5000, got {url!r}")


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise SettingsError(f"{name} must be a whole number, got {text!r}")
    return int(text)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip().replace(",", ".")
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {text!r}") from None
