from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rubber_tile_dev.cog_server import coglet_unavailable_reason
from rubber_tile_dev.fake_cog import FakeCog
from tests.support.browser import CHROMIUM_ARGS, browser_unavailable_reason, chromium_path
from tests.support.web import nowhere

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_DIR.parent / "shared"


@pytest.fixture(scope="module")
def coglet_runs_here() -> None:
    """Skips, saying why, where the real Cog server (coglet) cannot run here."""
    reason = coglet_unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, once per test module; the module skips, saying why, where it cannot start."""
    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def fake() -> Iterator[FakeCog]:
    """A fake Cog server whose webhooks go nowhere until tests.support.web.cog_app wires it to an app;
    its last predictions have finished before the next test starts."""
    fake = FakeCog(nowhere)
    yield fake
    fake.wait_idle()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The owner's photos and model outputs; tests that need them skip where they are absent."""
    data_dir = SHARED_DIR / "data"
    if not (data_dir / "manifest.csv").is_file():
        pytest.skip(f"owner's data not found at {data_dir} (it is never committed; run beside ../shared)")
    return data_dir


@pytest.fixture(scope="session")
def real_embeddings_path() -> Path:
    """The real textual-inversion file; tests that need it skip where it is absent."""
    path = SHARED_DIR / "model_files" / "rubber-tile-lora-v4_sdxl_embeddings.safetensors"
    if not path.is_file():
        pytest.skip(f"real textual-inversion file not found at {path}")
    return path


@pytest.fixture(scope="session")
def tiny_base_dir(tmp_path_factory) -> Path:
    """A tiny SDXL saved as a diffusers folder (random weights, real classes)."""
    from rubber_tile_dev.synthetic.tiny_sdxl import build_tiny_sdxl_pipeline

    folder = tmp_path_factory.mktemp("tiny_sdxl") / "sdxl-base"
    build_tiny_sdxl_pipeline().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def eden_lora(tmp_path_factory, tiny_base_dir) -> Path:
    """A LoRA for the tiny UNet in the owner's trainer's kohya format."""
    from diffusers import UNet2DConditionModel

    from rubber_tile_dev.synthetic.lora_files import LoraSpec, write_lora

    unet = UNet2DConditionModel.from_pretrained(tiny_base_dir / "unet")
    return write_lora(unet, tmp_path_factory.mktemp("lora") / "eden_lora.safetensors", LoraSpec())


@pytest.fixture(scope="session")
def tiny_embeddings(tmp_path_factory) -> Path:
    """A two-token, two-encoder textual inversion for the tiny encoders, bf16 like the real file."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(3)
    path = tmp_path_factory.mktemp("ti") / "embeddings.safetensors"
    save_file(
        {
            "clip_l": torch.randn(2, 32, generator=generator).bfloat16(),
            "clip_g": torch.randn(2, 32, generator=generator).bfloat16(),
        },
        path,
    )
    return path


@pytest.fixture(scope="session")
def tiny_weights_env(tiny_base_dir, eden_lora, tiny_embeddings) -> dict[str, str]:
    """Environment that points the predictor at the tiny weights."""
    return {
        "TILE_BASE_MODEL": str(tiny_base_dir),
        "TILE_LORA": str(eden_lora),
        "TILE_EMBEDDINGS": str(tiny_embeddings),
    }


@pytest.fixture(scope="session")
def assembled_pipe(tiny_base_dir, eden_lora, tiny_embeddings):
    import torch

    from rubber_tile.sdxl.paths import SdxlWeights
    from rubber_tile.sdxl.pipeline import assemble_pipeline

    weights = SdxlWeights(base=tiny_base_dir, lora=eden_lora, embeddings=tiny_embeddings)
    return assemble_pipeline(weights, torch.device("cpu"), torch.float32)
