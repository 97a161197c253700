"""The Hugging Face hub switch: setup() reads local files only, so a missing file fails at once."""

from __future__ import annotations

import os


def switch_hub_offline() -> None:
    """Make every hub call of this process fail instead of reaching the network.

    Call it before diffusers and transformers are imported: diffusers copies the switch at import.
    huggingface_hub reads its own constant on every request, so setting it covers a late call too.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import huggingface_hub.constants

    huggingface_hub.constants.HF_HUB_OFFLINE = True
