"""From a checked request to a tile image: the choice of backend, and the view on top of it.

`load_generator` picks the backend from TILE_BACKEND and the weights that are present: SDXL
(sdxl/backend.py) or the preview (preview/backend.py), both behind backend.py's interface.
`TileGenerator.generate` asks the backend for a top view, or for whole-tile textures that
installed.py lays as a floor.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping

from .backend import BackendError, ProgressCallback, TileBackend, TileImage
from .installed import installed_view
from .preview.backend import PreviewBackend
from .request import TileRequest
from .sdxl.backend import SdxlBackend
from .sdxl.paths import SdxlWeights, missing_weights, settings_a_bake_ignores, shown_path, weights_from_env

log = logging.getLogger(__name__)

BACKENDS = ("auto", "sdxl", "preview")


class TileGenerator:
    """The chosen backend, with the preview beside it for requests that ask for `preview`."""

    def __init__(self, chosen: TileBackend, preview: TileBackend | None = None) -> None:
        self.chosen = chosen
        self.preview = preview or chosen
        self.backend = chosen.backend

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        backend = self.preview if request.preview else self.chosen
        if request.view == "installed":
            return installed_view(backend.floor_textures(request, on_step), request)
        return backend.top_view(request, on_step)


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU (imports torch: call it only when SDXL is in question)."""
    import torch

    return torch.cuda.is_available()


def load_generator(env: Mapping[str, str] = os.environ, has_gpu: Callable[[], bool] = cuda_available) -> TileGenerator:
    """The generator TILE_BACKEND asks for: `sdxl` (fail if weights are missing), `preview`, or
    `auto` (SDXL where it can run: base, LoRA and textual inversion present and a CUDA GPU; else the
    preview, with one log line saying why)."""
    backend = env.get("TILE_BACKEND", "auto").strip().lower()
    if backend not in BACKENDS:
        raise BackendError(f"TILE_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "preview":
        log.info("backend: preview renderer (TILE_BACKEND=preview)")
        return TileGenerator(PreviewBackend("TILE_BACKEND=preview"))

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
        return TileGenerator(PreviewBackend("SDXL weights not found: " + ", ".join(shown_path(path) for path in missing)))
    if backend == "auto" and not has_gpu():
        # SDXL on a CPU: about 14 GB of RAM in fp32 and over half an hour for one small image.
        reason = "SDXL weights found but no CUDA GPU"
        log.info(
            "backend: preview renderer, because %s; set TILE_BACKEND=sdxl to run SDXL on the CPU anyway (very slow)",
            reason,
        )
        return TileGenerator(PreviewBackend(reason))

    compile_unet = env.get("TILE_TORCH_COMPILE", "0").strip()
    if compile_unet not in ("0", "1"):
        raise BackendError(f"TILE_TORCH_COMPILE={compile_unet!r} must be 0 or 1")
    return TileGenerator(_load_sdxl(weights, compile_unet == "1"), PreviewBackend("preview requested"))


def _load_sdxl(weights: SdxlWeights, compile_unet: bool) -> TileBackend:
    # Imported here, not at the top: diffusers and torch (pipeline.py) take seconds to import and a preview-only
    # server never needs them; the hub must be switched off before diffusers is first imported.
    from .sdxl.hub import switch_hub_offline

    switch_hub_offline()
    from .sdxl.pipeline import MODEL_NAME, assemble_pipeline, choose_device

    start = time.perf_counter()
    device, dtype = choose_device()
    pipe, report = assemble_pipeline(weights, device, dtype)
    if compile_unet:
        import torch

        # Compiles on the first prediction (minutes), then each step runs faster.
        pipe.unet = torch.compile(pipe.unet)
        log.info("torch.compile enabled for the UNet (TILE_TORCH_COMPILE=1)")
    sdxl = SdxlBackend(pipe, report.tokens, MODEL_NAME)
    log.info("backend: sdxl, ready in %.1f s", time.perf_counter() - start)
    return sdxl
