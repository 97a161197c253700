"""The SDXL backend: prepare prompt -> sample -> decode -> colour lock -> metadata.

The pipeline comes in assembled (sdxl/pipeline.py); this module only runs it for one request.
For the installed view it tiles its one close-up into whole-tile textures (installed.py lays them).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping

from ..backend import FloorTextures, ProgressCallback, TileImage, common_metadata, note_unused_inputs
from ..installed import INSTALLED_TILE_MM, mosaic_textures
from ..lock import NoGranulesError, lock_colors
from ..prompt import check_prompt_length, prompt_for_mix
from ..request import TileRequest

log = logging.getLogger(__name__)

PROMPT_CACHE_SIZE = 64
SAMPLER_NAME = "DPM++ 2M Karras"
# How much tile face (mm) one SDXL image shows: its granules look as large as in a close-up of 0.87 of
# the 140 mm face the owner's photos show (docs/preview_quality.md, Scale).
IMAGE_FIELD_MM = 140.0 * 0.87
FLOOR_TEXTURES = 3


class GpuMemoryError(RuntimeError):
    """The GPU ran out of memory for this request; memory was freed and the next one can run."""


class SdxlBackend:
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
        """The model prompt (the customer's full prompt as sent, else the mix expanded as in training) and
        the negative prompt, refused if CLIP would cut either short."""
        if request.full_prompt:
            model_prompt = request.prompt
        else:
            model_prompt = prompt_for_mix(request.require_mix("a prompt"), self.ti_tokens)
        for tokenizer in (self.pipe.tokenizer, self.pipe.tokenizer_2):
            check_prompt_length(model_prompt, tokenizer, "prompt")
            check_prompt_length(request.negative_prompt, tokenizer, "negative_prompt")
        return model_prompt, request.negative_prompt

    def top_view(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        # 1. Prompts, refused before any GPU work if CLIP would cut them.
        model_prompt, negative_prompt = self.prepare_prompts(request)
        # 2. Sample and decode.
        image = self.sample(request, model_prompt, negative_prompt, on_step)
        # 3. Metadata, then the colour lock.
        metadata = common_metadata(request, self.backend, self.model_name, model_prompt)
        metadata.update(
            negative_prompt=negative_prompt,
            steps=str(request.num_inference_steps),
            guidance_scale=f"{request.guidance_scale:g}",
            sampler=SAMPLER_NAME,
        )
        note_unused_inputs(request, self.backend, metadata)  # grade and framing: one grade, full frame
        tile = TileImage(image, metadata)
        return lock_tile_colors(tile, request) if request.color_lock else tile

    def floor_textures(self, request: TileRequest, on_step: ProgressCallback | None = None) -> FloorTextures:
        """Mosaics of the (colour-locked) top view, each as large as a whole floor tile."""
        tile = self.top_view(request, on_step)
        textures = mosaic_textures(tile.image, IMAGE_FIELD_MM, INSTALLED_TILE_MM, count=FLOOR_TEXTURES, seed=request.seed)
        return FloorTextures(tuple(textures), tile.metadata)

    def sample(self, request: TileRequest, model_prompt: str, negative_prompt: str, on_step: ProgressCallback | None):
        """The pipeline's image for this request; GpuMemoryError (memory freed) if the GPU ran out."""
        import torch

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
                    model_prompt, negative_prompt, guided=request.guidance_scale > 1
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
            raise GpuMemoryError(
                f"the GPU ran out of memory generating {request.width}x{request.height}; memory was freed. "
                "Try again, or ask for a smaller width and height"
            )
        return result.images[0]


def lock_tile_colors(tile: TileImage, request: TileRequest) -> TileImage:
    """Recolour whole granules so the image shows the asked shares; what happened goes in the metadata.

    A request without shares (a full prompt without them), or an image without granules, keeps
    the model's image (logged).
    """
    if request.mix is None:
        log.warning("colour lock skipped: %s", request.mix_unread)
        return TileImage(tile.image, tile.metadata | {"color_lock": f"skipped: {request.mix_unread}"})
    try:
        result = lock_colors(tile.image, request.mix)
    except NoGranulesError as error:
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
