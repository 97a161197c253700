"""Fusing the trained LoRA into the UNet: kohya/Eden or diffusers/PEFT files, through diffusers' loaders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from diffusers import StableDiffusionXLPipeline
from peft.tuners.tuners_utils import BaseTunerLayer
from safetensors.torch import load_file

from .weight_files import OWNER_FILE_HINT, WeightsError, check_safetensors_file

LORA_ADAPTER_NAME = "rubber_tile"
_LORA_KEY = re.compile(r"^(?P<module>.+?)\.(lora_down|lora_up|lora_A|lora_B|lora_mid|alpha|dora_scale|lora_magnitude_vector)(\.|$)")
_LORA_COMPONENTS = ("unet", "text_encoder", "text_encoder_2")


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
