"""Assembling the SDXL rubber-tile pipeline: base model, fused LoRA, textual inversion, sampler.

Everything is read from local files; the hub is switched off so a missing file fails at once.
"""

from __future__ import annotations

import os

# Set before diffusers/huggingface_hub are imported: they read it once, at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, StableDiffusionXLPipeline
from peft.tuners.tuners_utils import BaseTunerLayer
from safetensors.torch import load_file

from model_paths import (  # noqa: F401  (re-exported: the pipeline's callers read paths from here too)
    BAKE_RECORD_NAME,
    BAKED_DIR_NAME,
    BASE_DIR_NAME,
    DEFAULT_LORA_SCALE,
    DEFAULT_MODEL_DIR,
    EMBEDDINGS_FILE_NAME,
    FP16_VAE_DIR_NAME,
    LORA_FILE_NAME,
    PROJECT_DIR,
    SdxlWeights,
    missing_weights,
    weights_from_env,
)
from weight_files import WeightsError, check_diffusers_folder, check_model_folder, check_safetensors_file

log = logging.getLogger(__name__)

LORA_ADAPTER_NAME = "rubber_tile"
MODEL_NAME = "rubber-tile-lora-v45"
VAE_TILE_PX = 1024

# Row i of each matrix is the vector of token <s{i}>; other trainers name the rows text_encoders_0/1.
EMBEDDING_KEYS = {
    "text_encoder": ("clip_l", "text_encoders_0"),
    "text_encoder_2": ("clip_g", "text_encoders_1"),
}
_LORA_KEY = re.compile(r"^(?P<module>.+?)\.(lora_down|lora_up|lora_A|lora_B|lora_mid|alpha|dora_scale|lora_magnitude_vector)(\.|$)")
_LORA_COMPONENTS = ("unet", "text_encoder", "text_encoder_2")

FETCH_HINT = "Run `python scripts/download_weights.py` on a machine with internet, or set {env}."
OWNER_FILE_HINT = "Copy the trained file from the training run into model_files/, or set {env} to its path."


@dataclass(frozen=True)
class LoadReport:
    base: str
    lora_modules: int
    tokens: tuple[str, ...]
    dtype: str
    device: str
    seconds: float

    def summary(self) -> str:
        lora = f"{self.lora_modules} LoRA modules fused" if self.lora_modules else "no LoRA"
        tokens = "".join(self.tokens) or "no textual inversion"
        return f"loaded SDXL {self.base}: {lora}, tokens {tokens}, {self.dtype} on {self.device}, {self.seconds:.1f} s"


def choose_device() -> tuple[torch.device, torch.dtype]:
    """fp16 on the CUDA GPU with the most memory, fp32 on the CPU."""
    if torch.cuda.is_available():
        index = max(range(torch.cuda.device_count()), key=lambda i: torch.cuda.get_device_properties(i).total_memory)
        return torch.device("cuda", index), torch.float16
    return torch.device("cpu"), torch.float32


def load_base_pipeline(weights: SdxlWeights, dtype: torch.dtype) -> StableDiffusionXLPipeline:
    """The SDXL base from a diffusers folder or a single original-format checkpoint, local files only."""
    base = weights.base
    fix = FETCH_HINT.format(env="TILE_BASE_MODEL to a diffusers folder or a single .safetensors checkpoint")
    if base.is_dir():
        variant = "fp16" if any(base.glob("unet/*.fp16.safetensors")) else None
        check_diffusers_folder(base, "the SDXL base model", fix, variant)
        return StableDiffusionXLPipeline.from_pretrained(
            base, dtype=dtype, variant=variant, use_safetensors=True, local_files_only=True
        )
    check_safetensors_file(base, "the SDXL base model", fix)
    config = weights.base_config
    if config is None or not (config / "model_index.json").is_file():
        raise WeightsError(
            f"the single-file SDXL checkpoint {base} needs the SDXL configs and tokenizers in a local diffusers "
            f"folder (TILE_BASE_CONFIG, now {config}); `python scripts/download_weights.py --configs-only` fetches them"
        )
    pipe = StableDiffusionXLPipeline.from_single_file(
        base, config=str(config), torch_dtype=dtype, local_files_only=True
    )
    # diffusers leaves a weight the file lacks on the meta device, without an error.
    absent = [
        f"{component}.{name}"
        for component in ("unet", "vae", "text_encoder", "text_encoder_2")
        for name, tensor in getattr(pipe, component).state_dict().items()
        if tensor.is_meta
    ]
    if absent:
        raise WeightsError(
            f"the SDXL checkpoint {base} has no weights for {len(absent)} tensors (e.g. {', '.join(absent[:3])}): "
            "it is not a complete SDXL checkpoint, or not one for SDXL. Use the full checkpoint the LoRA was trained on"
        )
    return pipe


def lora_module_names(state_dict: Mapping[str, torch.Tensor]) -> set[str]:
    """The layers a LoRA file adapts, one name per layer, as the file spells it."""
    names = set()
    for key in state_dict:
        match = _LORA_KEY.match(key)
        if match is None:
            raise WeightsError(f"LoRA key {key!r} is in no LoRA format known here (kohya or diffusers/PEFT)")
        names.add(match["module"])
    return names


def _adapted_modules(pipe: StableDiffusionXLPipeline) -> list[str]:
    return [
        f"{component}.{name}"
        for component in _LORA_COMPONENTS
        for name, module in getattr(pipe, component).named_modules()
        if isinstance(module, BaseTunerLayer)
    ]


def _copy_adapted_weights_out_of_their_files(pipe: StableDiffusionXLPipeline) -> None:
    """Give each layer the LoRA changes its own copy of its base weight before fusing.

    from_pretrained leaves the weights memory-mapped from the safetensors files; fusing straight into them
    costs a copy-on-write page fault per 4 KiB (SDXL: 1.08 B fused weights, about 8 s of mostly kernel time on
    a 2-core CPU). Copying them first takes about 0.5 s; the fused values are the same.
    """
    for component in _LORA_COMPONENTS:
        for module in getattr(pipe, component).modules():
            if isinstance(module, BaseTunerLayer):
                base_layer = module.get_base_layer()
                if base_layer.weight.device.type == "cpu":  # on a GPU the move already made a copy
                    base_layer.weight.data = base_layer.weight.data.clone()


def _spellings(adapted_module: str) -> set[str]:
    component, name = adapted_module.split(".", 1)
    kohya_prefix = {"unet": "lora_unet", "text_encoder": "lora_te1", "text_encoder_2": "lora_te2"}[component]
    return {adapted_module, name, f"{kohya_prefix}_{name.replace('.', '_')}"}


def fuse_lora_file(pipe: StableDiffusionXLPipeline, path: Path, scale: float) -> int:
    """Load a kohya/Eden or diffusers/PEFT LoRA, fuse it at `scale`, drop the adapter layers.

    Fails, leaving the base untouched, if any layer in the file matches no layer of the base:
    a LoRA trained for another model must not load half-way. Returns the number of layers fused.
    """
    check_safetensors_file(path, "the LoRA", OWNER_FILE_HINT.format(env="TILE_LORA"))
    state_dict = load_file(path)
    file_modules = lora_module_names(state_dict)
    try:
        pipe.load_lora_weights(state_dict, adapter_name=LORA_ADAPTER_NAME)
    except (ValueError, RuntimeError, KeyError) as error:
        raise WeightsError(
            f"the LoRA {path} does not fit this base model ({error}). "
            "It was trained for another model: use the rubber-tile LoRA trained on SDXL 1.0"
        ) from error
    adapted = _adapted_modules(pipe)
    if len(adapted) < len(file_modules):
        known = set().union(*(_spellings(name) for name in adapted)) if adapted else set()
        unmatched = sorted(file_modules - known)
        pipe.unload_lora_weights()
        example = f", e.g. {', '.join(unmatched[:3])}" if unmatched else ""
        raise WeightsError(
            f"the LoRA {path} adapts {len(file_modules)} layers but only {len(adapted)} exist in this base model"
            f"{example}. It was trained for another model: use the rubber-tile LoRA trained on SDXL 1.0"
        )
    _copy_adapted_weights_out_of_their_files(pipe)
    pipe.fuse_lora(lora_scale=scale, adapter_names=[LORA_ADAPTER_NAME])
    pipe.unload_lora_weights()
    return len(adapted)


def load_textual_inversion(pipe: StableDiffusionXLPipeline, path: Path) -> tuple[str, ...]:
    """Register the tokens <s0>..<sN-1> in both tokenizers and text encoders, one per file row."""
    check_safetensors_file(path, "the textual inversion", OWNER_FILE_HINT.format(env="TILE_EMBEDDINGS"))
    state_dict = load_file(path)
    rows_by_encoder: dict[str, torch.Tensor] = {}
    for encoder_name, keys in EMBEDDING_KEYS.items():
        key = next((k for k in keys if k in state_dict), None)
        if key is None:
            raise WeightsError(
                f"the textual inversion {path} has no {' or '.join(keys)} matrix (keys: {sorted(state_dict)}); "
                "it must hold one matrix for each SDXL text encoder"
            )
        rows = state_dict[key]
        width = getattr(pipe, encoder_name).get_input_embeddings().weight.shape[1]
        if rows.ndim != 2 or rows.shape[1] != width:
            raise WeightsError(
                f"the textual inversion {path}: {key} has shape {tuple(rows.shape)}, but {encoder_name} takes "
                f"vectors of width {width}. It was made for another base model"
            )
        rows_by_encoder[encoder_name] = rows
    counts = {name: rows.shape[0] for name, rows in rows_by_encoder.items()}
    if len(set(counts.values())) != 1:
        raise WeightsError(f"the textual inversion {path} has different token counts per encoder: {counts}")
    tokens = tuple(f"<s{i}>" for i in range(next(iter(counts.values()))))
    for encoder_name, rows in rows_by_encoder.items():
        tokenizer_name = encoder_name.replace("text_encoder", "tokenizer")
        # Grow the embeddings without transformers' default mean/covariance start for the new rows (about 3 s on
        # a CPU for the two 49408-row matrices); the file's rows replace them, and diffusers' resize is then a no-op.
        getattr(pipe, encoder_name).resize_token_embeddings(
            len(getattr(pipe, tokenizer_name)) + len(tokens), mean_resizing=False
        )
        pipe.load_textual_inversion(
            rows,
            token=list(tokens),
            text_encoder=getattr(pipe, encoder_name),
            tokenizer=getattr(pipe, tokenizer_name),
        )
    return tokens


def configure_sampler(pipe: StableDiffusionXLPipeline) -> None:
    """DPM++ 2M Karras (final sigma zero, so no leftover noise), VAE slicing and tiling."""
    pipe.scheduler = DPMSolverMultistepScheduler.from_config(
        pipe.scheduler.config, algorithm_type="dpmsolver++", use_karras_sigmas=True, final_sigmas_type="zero"
    )
    pipe.vae.enable_slicing()
    pipe.vae.enable_tiling()
    # Tiles only above SDXL's native size, whatever `sample_size` the VAE's config gives (a VAE saying 512
    # would decode every 1024 px image as 9 overlapping tiles: more work, and seams in a uniform texture).
    pipe.vae.tile_sample_min_size = VAE_TILE_PX
    pipe.vae.tile_latent_min_size = VAE_TILE_PX // pipe.vae_scale_factor


def load_fp16_fix_vae(path: Path, dtype: torch.dtype) -> AutoencoderKL:
    check_model_folder(path, "the fp16-fix VAE", FETCH_HINT.format(env="TILE_VAE"))
    return AutoencoderKL.from_pretrained(path, dtype=dtype, use_safetensors=True, local_files_only=True)


def load_baked_pipeline(folder: Path, dtype: torch.dtype) -> tuple[StableDiffusionXLPipeline, BakeRecord]:
    """A folder written by scripts/bake_weights.py: LoRA fused, tokens added, one load."""
    record = BakeRecord.read(folder / BAKE_RECORD_NAME)
    variant = "fp16" if any(folder.glob("unet/*.fp16.safetensors")) else None
    check_diffusers_folder(folder, "the baked pipeline", "Run `python scripts/bake_weights.py` again.", variant)
    pipe = StableDiffusionXLPipeline.from_pretrained(
        folder, dtype=dtype, variant=variant, use_safetensors=True, local_files_only=True
    )
    for tokenizer in (pipe.tokenizer, pipe.tokenizer_2):
        # The tokens were added by load_textual_inversion; the added vocabulary is small, the full one 49k entries.
        added = tokenizer.get_added_vocab()
        missing = [token for token in record.tokens if token not in added]
        if missing:
            raise WeightsError(f"the baked pipeline {folder} lacks the tokens {missing}; run scripts/bake_weights.py again")
    return pipe, record


@dataclass(frozen=True)
class BakeRecord:
    """What a baked folder holds, so setup() can report it without redoing the work."""

    base: str
    lora: str
    lora_scale: float
    lora_modules: int
    tokens: tuple[str, ...]
    vae: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> BakeRecord:
        fields = json.loads(path.read_text())
        return cls(**(fields | {"tokens": tuple(fields["tokens"])}))


def _move_to(pipe: StableDiffusionXLPipeline, device: torch.device) -> None:
    if pipe.device != device:  # loaded on the CPU: on a CPU-only machine .to() would only walk every module
        pipe.to(device)


def assemble_pipeline(
    weights: SdxlWeights, device: torch.device, dtype: torch.dtype
) -> tuple[StableDiffusionXLPipeline, LoadReport]:
    """Baked folder, or base -> (fp16-fix VAE); on `device`; then fused LoRA -> textual inversion; then the sampler."""
    start = time.perf_counter()
    if weights.baked is not None:
        pipe, record = load_baked_pipeline(weights.baked, dtype)
        _move_to(pipe, device)
        base, lora_modules, tokens = f"{weights.baked} (baked from {record.base})", record.lora_modules, record.tokens
    else:
        pipe = load_base_pipeline(weights, dtype)
        if weights.vae is not None:
            pipe.vae = load_fp16_fix_vae(weights.vae, dtype)
        # On a GPU, fuse there: the move reads every weight once anyway, and the LoRA matmuls take
        # milliseconds instead of seconds of fp16 arithmetic on the CPU.
        _move_to(pipe, device)
        lora_modules = fuse_lora_file(pipe, weights.lora, weights.lora_scale) if weights.lora is not None else 0
        tokens = load_textual_inversion(pipe, weights.embeddings) if weights.embeddings is not None else ()
        base = str(weights.base)
    configure_sampler(pipe)
    pipe.set_progress_bar_config(disable=True)
    report = LoadReport(
        base=base,
        lora_modules=lora_modules,
        tokens=tokens,
        dtype=str(dtype).removeprefix("torch."),
        device=str(device),
        seconds=time.perf_counter() - start,
    )
    log.info(report.summary())
    return pipe, report
