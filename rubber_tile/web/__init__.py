"""The reference web configurator: colour swatches, shares, a live preview, the photoreal picture from Cog or
Replicate by webhook, a material estimate and a share link. `make web` or `python -m rubber_tile.web`;
docs/web.md explains running, configuring and embedding it."""

from .app import create_app
from .settings import SettingsError, WebSettings

__all__ = ["SettingsError", "WebSettings", "create_app"]
