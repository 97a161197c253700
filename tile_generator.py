"""From a checked request to a tile image: prepare prompt -> sample -> decode -> metadata.

Two backends share one interface: `SdxlTileGenerator` (the trained model) and
`PreviewTileGenerator` (the procedural renderer: exact, instant, runs anywhere).
`load_generator` picks one from TILE_BACKEND and the weights that are present.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from prompt_builder import ColorMix, MixError, build_prompt, check_prompt_length, is_full_prompt, mix_from_prompt, parse_mix
from tile_request import TileRequest

log = logging.getLogger(__name__)

BACKENDS = ("auto", "sdxl", "preview")
PROMPT_CACHE_SIZE = 64
PREVIEW_MODEL_NAME = "preview renderer"

ProgressCallback = Callable[[int, int], None]  # (steps done, steps in all)


class BackendError(RuntimeError):
    """The configured backend cannot run; the message says what is missing."""


class OutOfMemoryError(RuntimeError):
    """The GPU ran out of memory for this request; memory was freed and the next one can run."""


@dataclass(frozen=True)
class TileImage:
    image: Image.Image
    metadata: dict[str, str] = field(default_factory=dict)


class TileGenerator(Protocol):
    backend: str

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage: ...


def _common_metadata(request: TileRequest, backend: str, model: str, prompt: str) -> dict[str, str]:
    return {
        "prompt": prompt,
        "request": request.prompt,
        "seed": str(request.seed),
        "width": str(request.width),
        "height": str(request.height),
        "backend": backend,
        "model": model,
    }


class SdxlTileGenerator:
    """SDXL + fused LoRA + textual inversion, sampled with DPM++ 2M Karras."""

    backend = "sdxl"

    def __init__(self, pipe, ti_tokens: tuple[str, ...], model_name: str) -> None:
        self.pipe = pipe
        self.ti_tokens = ti_tokens
        self.model_name = model_name
        self._embeddings: OrderedDict[tuple[str, str, bool], tuple] = OrderedDict()

    def prompt_embeddings(self, prompt: str, negative_prompt: str, guided: bool) -> tuple:
        """Text-encoder outputs, cached for the most recent prompts (configurators repeat mixes)."""
        key = (prompt, negative_prompt, guided)
        if key in self._embeddings:
            self._embeddings.move_to_end(key)
            return self._embeddings[key]
        embeddings = self.pipe.encode_prompt(
            prompt=prompt,
            device=self.pipe._execution_device,
            num_images_per_prompt=1,
            do_classifier_free_guidance=guided,
            negative_prompt=negative_prompt,
        )
        self._embeddings[key] = embeddings
        if len(self._embeddings) > PROMPT_CACHE_SIZE:
            self._embeddings.popitem(last=False)
        return embeddings

    def prepare_prompts(self, request: TileRequest) -> tuple[str, str]:
        """The internal prompt and negative prompt, refused if CLIP would cut either short."""
        prompt = build_prompt(request.prompt, self.ti_tokens)
        for tokenizer in (self.pipe.tokenizer, self.pipe.tokenizer_2):
            check_prompt_length(prompt, tokenizer, "prompt")
            check_prompt_length(request.negative_prompt, tokenizer, "negative_prompt")
        return prompt, request.negative_prompt

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        import torch

        prompt, negative_prompt = self.prepare_prompts(request)
        # A CPU generator gives the same noise, and so the same image, on any device.
        generator = torch.Generator("cpu").manual_seed(request.seed)

        def step_end(pipe, step: int, timestep, callback_kwargs):
            if on_step is not None:
                on_step(step + 1, request.num_inference_steps)
            return callback_kwargs

        out_of_memory = ""
        try:
            with torch.inference_mode():
                embeds, negative_embeds, pooled, negative_pooled = self.prompt_embeddings(
                    prompt, negative_prompt, guided=request.guidance_scale > 1
                )
                result = self.pipe(
                    prompt_embeds=embeds,
                    negative_prompt_embeds=negative_embeds,
                    pooled_prompt_embeds=pooled,
                    negative_pooled_prompt_embeds=negative_pooled,
                    num_inference_steps=request.num_inference_steps,
                    guidance_scale=request.guidance_scale,
                    width=request.width,
                    height=request.height,
                    generator=generator,
                    callback_on_step_end=step_end,
                )
        except torch.OutOfMemoryError as error:
            out_of_memory = str(error).splitlines()[0] if str(error) else type(error).__name__
        finally:
            restore_vae_dtype(self.pipe)
        if out_of_memory:
            # Freed here, not in the except block, where the traceback still held the failed call's tensors.
            log.warning("out of GPU memory: %s", out_of_memory)
            free_accelerator_memory()
            raise OutOfMemoryError(
                f"the GPU ran out of memory generating {request.width}x{request.height}; memory was freed. "
                "Try again, or ask for a smaller width and height"
            )
        metadata = _common_metadata(request, self.backend, self.model_name, prompt)
        metadata.update(
            negative_prompt=negative_prompt,
            steps=str(request.num_inference_steps),
            guidance_scale=f"{request.guidance_scale:g}",
            sampler="DPM++ 2M Karras",
        )
        tile = TileImage(result.images[0], metadata)
        return lock_tile_colors(tile, request.prompt) if request.match_colors else tile


def lock_tile_colors(tile: TileImage, prompt: str) -> TileImage:
    """Recolour whole granules so the image shows the asked shares; what happened goes in the metadata.

    A prompt without shares, or an image without granules, keeps the model's image (logged).
    """
    from color_lock import NoGranulesError, match_colors

    try:
        mix = mix_in_prompt(prompt)
        result = match_colors(tile.image, mix.normalized_shares())
    except (MixError, NoGranulesError) as error:
        log.warning("colour lock skipped: %s", error)
        return TileImage(tile.image, tile.metadata | {"color_lock": f"skipped: {error}"})
    if not result.matched:
        log.warning("colour lock: %s", result.explanation)
    status = "matched" if result.matched else f"partial: {result.explanation}"
    metadata = tile.metadata | {
        "color_lock": status,
        "shares_before": _describe_shares(result.shares_before),
        "shares_after": _describe_shares(result.shares_after),
    }
    return TileImage(result.image, metadata)


def _describe_shares(shares: Mapping[str, float]) -> str:
    return ", ".join(f"{percent:.1f}% {name}" for name, percent in shares.items())


def restore_vae_dtype(pipe) -> None:
    """Put the VAE back in the UNet's dtype after a call, whether or not it succeeded.

    diffusers upcasts an fp16 VAE that needs it (the stock SDXL VAE) to fp32 for decoding and casts it back
    only after a successful decode; a decode that fails (out of memory, a cancel) would leave it in fp32,
    and every later prediction would fail on mismatched dtypes.
    """
    if pipe.vae.dtype != pipe.unet.dtype:
        pipe.vae.to(dtype=pipe.unet.dtype)


def free_accelerator_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class PreviewTileGenerator:
    """The procedural renderer: the exact mix, in milliseconds, with no model weights."""

    backend = "preview"

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        from preview_renderer import render_tile

        mix = mix_in_prompt(request.prompt)
        side = max(request.width, request.height)
        crop = None if request.width == request.height else (request.width, request.height)
        image = render_tile(mix.normalized_shares(), size=side, seed=request.seed, crop=crop)
        if on_step is not None:
            on_step(1, 1)
        metadata = _common_metadata(request, self.backend, PREVIEW_MODEL_NAME, mix.describe())
        if self.reason:
            metadata["backend_reason"] = self.reason
        return TileImage(image, metadata)


def mix_in_prompt(prompt: str) -> ColorMix:
    """The customer's mix, or the one written inside a full trigger prompt."""
    return mix_from_prompt(prompt) if is_full_prompt(prompt) else parse_mix(prompt)


class RoutingTileGenerator:
    """SDXL for normal requests; the preview renderer when a request asks for `preview`."""

    def __init__(self, sdxl: SdxlTileGenerator, preview: PreviewTileGenerator) -> None:
        self.sdxl = sdxl
        self.preview = preview
        self.backend = sdxl.backend

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        chosen = self.preview if request.preview else self.sdxl
        return chosen.generate(request, on_step)


def load_generator(env: Mapping[str, str] = os.environ):
    """The generator TILE_BACKEND asks for: `sdxl` (fail if weights are missing), `preview`, or
    `auto` (SDXL when base, LoRA and textual inversion are all present, else the preview)."""
    from model_paths import missing_weights, weights_from_env

    backend = env.get("TILE_BACKEND", "auto").strip().lower()
    if backend not in BACKENDS:
        raise BackendError(f"TILE_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "preview":
        log.info("backend: preview renderer (TILE_BACKEND=preview)")
        return PreviewTileGenerator("TILE_BACKEND=preview")

    weights = weights_from_env(env)
    missing = missing_weights(weights)
    if missing and backend == "auto":
        reason = "SDXL weights not found: " + ", ".join(str(path) for path in missing)
        log.info("backend: preview renderer, because %s (TILE_BACKEND=auto)", reason)
        return PreviewTileGenerator(reason)

    from sdxl_pipeline import MODEL_NAME, assemble_pipeline, choose_device

    compile_unet = env.get("TILE_TORCH_COMPILE", "0").strip()
    if compile_unet not in ("0", "1"):
        raise BackendError(f"TILE_TORCH_COMPILE={compile_unet!r} must be 0 or 1")
    start = time.perf_counter()
    device, dtype = choose_device()
    pipe, report = assemble_pipeline(weights, device, dtype)
    if compile_unet == "1":
        import torch

        # Compiles on the first prediction (minutes), then each step runs faster.
        pipe.unet = torch.compile(pipe.unet)
        log.info("torch.compile enabled for the UNet (TILE_TORCH_COMPILE=1)")
    sdxl = SdxlTileGenerator(pipe, report.tokens, MODEL_NAME)
    log.info("backend: sdxl, ready in %.1f s", time.perf_counter() - start)
    return RoutingTileGenerator(sdxl, PreviewTileGenerator("preview requested"))
