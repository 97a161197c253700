"""LoRA files written the way the owner's trainer wrote the real one.

Eden's sd-lora-trainer: PEFT LoraConfig on the SDXL UNet -> StableDiffusionXLPipeline.save_lora_weights
-> convert_all_state_dict_to_peft -> convert_state_dict_to_kohya -> 'base_model_model_' stripped.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
from diffusers.utils import convert_all_state_dict_to_peft, convert_state_dict_to_kohya
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file

EDEN_TARGET_MODULES = ["to_k", "to_q", "to_v", "to_out.0", "conv2"]


@dataclass(frozen=True)
class LoraSpec:
    rank: int = 4
    alpha: int = 4
    seed: int = 1
    up_std: float = 0.05  # PEFT's gaussian init leaves lora_B at zero; training would not


def unet_lora_state_dict(unet: UNet2DConditionModel, spec: LoraSpec) -> dict[str, torch.Tensor]:
    """PEFT LoRA weights for `unet` as the trainer leaves them (diffusers names, lora_A/lora_B)."""
    config = LoraConfig(
        r=spec.rank, lora_alpha=spec.alpha, init_lora_weights="gaussian", target_modules=EDEN_TARGET_MODULES
    )
    unet.add_adapter(config)
    generator = torch.Generator().manual_seed(spec.seed)
    with torch.no_grad():
        for name, parameter in unet.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * spec.up_std)
    state_dict = {key: value.detach().clone() for key, value in get_peft_model_state_dict(unet).items()}
    unet.unload_lora()
    return state_dict


def to_eden_kohya(diffusers_state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The trainer's conversion of a saved diffusers LoRA to the kohya/WebUI file format."""
    kohya = convert_state_dict_to_kohya(convert_all_state_dict_to_peft(diffusers_state_dict))
    return {key.replace("base_model_model_", ""): value for key, value in kohya.items()}


def write_lora(unet: UNet2DConditionModel, path: Path, spec: LoraSpec = LoraSpec(), kohya: bool = True) -> Path:
    """Write an Eden/kohya-format (or diffusers-format) LoRA for `unet` to `path`."""
    peft_state_dict = unet_lora_state_dict(unet, spec)
    with tempfile.TemporaryDirectory() as folder:
        StableDiffusionXLPipeline.save_lora_weights(folder, unet_lora_layers=peft_state_dict, safe_serialization=True)
        saved = load_file(Path(folder) / "pytorch_lora_weights.safetensors")
    save_file(to_eden_kohya(saved) if kohya else saved, path)
    return path


def expected_delta(lora: dict[str, torch.Tensor], module: str, scale: float, kohya: bool = True) -> torch.Tensor:
    """scale * (alpha / r) * up @ down for one UNet module, shaped like its weight."""
    if kohya:
        key = "lora_unet_" + module.replace(".", "_")
        up, down = lora[f"{key}.lora_up.weight"], lora[f"{key}.lora_down.weight"]
        alpha = float(lora[f"{key}.alpha"])
    else:
        up, down = lora[f"unet.{module}.lora_B.weight"], lora[f"unet.{module}.lora_A.weight"]
        alpha = float(down.shape[0])  # the diffusers file stores no alpha; the trainer used alpha = r
    rank = down.shape[0]
    delta = up.flatten(1).float() @ down.flatten(1).float()
    out_shape = (up.shape[0], *down.shape[1:])
    return scale * (alpha / rank) * delta.reshape(out_shape)
