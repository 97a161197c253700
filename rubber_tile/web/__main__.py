"""`python -m rubber_tile.web`: the configurator under uvicorn, settings from the environment (see settings.py)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .settings import SettingsError, WebSettings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = WebSettings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
