"""From a checked request to a tile image: the backends' one interface, and the choice of backend.

Two backends: `SdxlTileGenerator` (sdxl/backend.py: the trained model) and
`PreviewTileGenerator` (preview/backend.py: the procedural renderer, exact, instant, runs
anywhere). `load_generator` picks one from TILE_BACKEND and the weights that are present.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from .request import TileRequest

log = logging.getLogger(__name__)

BACKENDS = ("auto", "sdxl", "preview")

ProgressCallback = Callable[[int, int], None]  # (steps done, steps in all)


class BackendError(RuntimeError):
    """The configured backend cannot run; the message says what is missing."""


@dataclass(frozen=True)
class TileImage:
    image: Image.Image
    metadata: dict[str, str] = field(default_factory=dict)


class TileGenerator(Protocol):
    backend: str

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage: ...


def common_metadata(request: TileRequest, backend: str, model: str, prompt: str) -> dict[str, str]:
    """The metadata fields every backend writes into its image file."""
    metadata = {
        "prompt": prompt,
        "request": request.prompt,
        "seed": str(request.seed),
        "width": str(request.width),
        "height": str(request.height),
        "backend": backend,
        "model": model,
    }
    if request.mix is not None and (note := request.mix.scaling_note()):
        metadata["mix_note"] = note
    return metadata


# Inputs each backend does not use: a request that sets them says so in the log and the metadata.
_UNUSED_BY = {
    "preview": ("num_inference_steps", "guidance_scale", "negative_prompt", "color_lock"),
    "sdxl": ("grade", "framing"),
}
# Inputs a view does not use on any backend: a floor is always laid from full-frame top views.
_UNUSED_IN_VIEW = {"installed": ("framing",)}


def unused_inputs(request: TileRequest, backend: str) -> list[str]:
    """The inputs this request set away from their defaults that `backend` does not use."""
    from .prompt import DEFAULT_NEGATIVE_PROMPT
    from .request import DEFAULT_FRAMING, DEFAULT_GRADE, DEFAULT_GUIDANCE, DEFAULT_STEPS

    defaults = {
        "num_inference_steps": DEFAULT_STEPS,
        "guidance_scale": DEFAULT_GUIDANCE,
        "negative_prompt": DEFAULT_NEGATIVE_PROMPT,
        "color_lock": True,
        "grade": DEFAULT_GRADE,
        "framing": DEFAULT_FRAMING,
    }
    names = dict.fromkeys([*_UNUSED_BY[backend], *_UNUSED_IN_VIEW.get(request.view, ())])
    return [name for name in names if getattr(request, name) != defaults[name]]


def note_unused_inputs(request: TileRequest, backend: str, metadata: dict[str, str]) -> None:
    """Log and record (metadata `unused_inputs`) what this backend leaves unused."""
    unused = unused_inputs(request, backend)
    if unused:
        log.info("%s backend: %s not used", backend, ", ".join(f"{name}={getattr(request, name)!r}" for name in unused))
        metadata["unused_inputs"] = ", ".join(unused)


class RoutingTileGenerator:
    """SDXL for normal requests; the preview renderer when a request asks for `preview`."""

    def __init__(self, sdxl: TileGenerator, preview: TileGenerator) -> None:
        self.sdxl = sdxl
        self.preview = preview
        self.backend = sdxl.backend

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        chosen = self.preview if request.preview else self.sdxl
        return chosen.generate(request, on_step)


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU (imports torch: call it only when SDXL is in question)."""
    import torch

    return torch.cuda.is_available()


def load_generator(env: Mapping[str, str] = os.environ, has_gpu: Callable[[], bool] = cuda_available) -> TileGenerator:
    """The generator TILE_BACKEND asks for: `sdxl` (fail if weights are missing), `preview`, or
    `auto` (SDXL where it can run: base, LoRA and textual inversion present and a CUDA GPU; else the
    preview, with one log line saying why)."""
    from .preview.backend import PreviewTileGenerator
    from .sdxl.paths import missing_weights, settings_a_bake_ignores, shown_path, weights_from_env

    backend = env.get("TILE_BACKEND", "auto").strip().lower()
    if backend not in BACKENDS:
        raise BackendError(f"TILE_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "preview":
        log.info("backend: preview renderer (TILE_BACKEND=preview)")
        return PreviewTileGenerator("TILE_BACKEND=preview")

    weights = weights_from_env(env)
    if ignored := settings_a_bake_ignores(env, weights):
        log.warning(
            "%s not used: setup() reads the baked folder %s (bake again to change them)",
            ", ".join(ignored),
            weights.baked,
        )
    missing = missing_weights(weights)
    if missing and backend == "auto":
        log.info(
            "backend: preview renderer, because SDXL weights not found: %s (TILE_BACKEND=auto)",
            ", ".join(str(path) for path in missing),
        )
        return PreviewTileGenerator("SDXL weights not found: " + ", ".join(shown_path(path) for path in missing))
    if backend == "auto" and not has_gpu():
        # SDXL on a CPU: about 14 GB of RAM in fp32 and over half an hour for one small image.
        reason = "SDXL weights found but no CUDA GPU"
        log.info(
            "backend: preview renderer, because %s; set TILE_BACKEND=sdxl to run SDXL on the CPU anyway (very slow)",
            reason,
        )
        return PreviewTileGenerator(reason)

    compile_unet = env.get("TILE_TORCH_COMPILE", "0").strip()
    if compile_unet not in ("0", "1"):
        raise BackendError(f"TILE_TORCH_COMPILE={compile_unet!r} must be 0 or 1")
    return RoutingTileGenerator(_load_sdxl(weights, compile_unet == "1"), PreviewTileGenerator("preview requested"))


def _load_sdxl(weights, compile_unet: bool) -> TileGenerator:
    from .sdxl.hub import switch_hub_offline

    switch_hub_offline()  # before diffusers is imported
    from .sdxl.backend import SdxlTileGenerator
    from .sdxl.pipeline import MODEL_NAME, assemble_pipeline, choose_device

    start = time.perf_counter()
    device, dtype = choose_device()
    pipe, report = assemble_pipeline(weights, device, dtype)
    if compile_unet:
        import torch

        # Compiles on the first prediction (minutes), then each step runs faster.
        pipe.unet = torch.compile(pipe.unet)
        log.info("torch.compile enabled for the UNet (TILE_TORCH_COMPILE=1)")
    sdxl = SdxlTileGenerator(pipe, report.tokens, MODEL_NAME)
    log.info("backend: sdxl, ready in %.1f s", time.perf_counter() - start)
    return sdxl
