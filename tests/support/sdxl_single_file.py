"""Write a diffusers SDXL pipeline as one checkpoint in the original Stability (sgm / A1111) key layout.

This is the inverse of diffusers' single-file conversion (`convert_ldm_unet_checkpoint`,
`convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`, `convert_open_clip_checkpoint` in
`diffusers/loaders/single_file_utils.py`), so tests can load a file shaped like `sd_xl_base_1.0.safetensors`
with `StableDiffusionXLPipeline.from_single_file` without downloading one. Block indices come from the model
configs, so the same code lays out the tiny test model and the full-size one.

Layout written:
  model.diffusion_model.*                 UNet (input_blocks / middle_block / output_blocks)
  first_stage_model.*                     VAE (encoder.down.N.block.M, decoder.up.N reversed, mid.attn_1 as 1x1 convs)
  conditioner.embedders.0.transformer.*   CLIP-L in Hugging Face layout (text_model.*)
  conditioner.embedders.1.model.*         OpenCLIP bigG layout (resblocks, fused in_proj, text_projection transposed)

Diffusers only recognises the file as `xl_base` (`infer_diffusers_model_type`) when the second encoder has at
least 10 layers: it looks for `conditioner.embedders.1.model.transformer.resblocks.9.mlp.c_proj.bias`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, StableDiffusionXLPipeline, UNet2DConditionModel
from safetensors.torch import save_file
from transformers import PreTrainedModel

StateDict = dict[str, torch.Tensor]

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
CLIP_L_PREFIX = "conditioner.embedders.0.transformer."
OPEN_CLIP_PREFIX = "conditioner.embedders.1.model."

_UNET_TOP_LEVEL = {
    "conv_in": "input_blocks.0.0",
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_UNET_RESNET_MODULES = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "time_emb_proj": "emb_layers.1",
    "conv_shortcut": "skip_connection",
}
_VAE_TOP_LEVEL = {
    "encoder.conv_in": "encoder.conv_in",
    "encoder.conv_out": "encoder.conv_out",
    "encoder.conv_norm_out": "encoder.norm_out",
    "decoder.conv_in": "decoder.conv_in",
    "decoder.conv_out": "decoder.conv_out",
    "decoder.conv_norm_out": "decoder.norm_out",
    "quant_conv": "quant_conv",
    "post_quant_conv": "post_quant_conv",
}
_VAE_RESNET_MODULES = {"norm1": "norm1", "conv1": "conv1", "norm2": "norm2", "conv2": "conv2", "conv_shortcut": "nin_shortcut"}
_VAE_ATTENTION_MODULES = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}
_OPEN_CLIP_TOP_LEVEL = {
    "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
    "text_model.embeddings.position_embedding.weight": "positional_embedding",
    "text_model.final_layer_norm.weight": "ln_final.weight",
    "text_model.final_layer_norm.bias": "ln_final.bias",
    "text_projection.weight": "text_projection",
}
_OPEN_CLIP_LAYER_MODULES = {
    "layer_norm1": "ln_1",
    "layer_norm2": "ln_2",
    "mlp.fc1": "mlp.c_fc",
    "mlp.fc2": "mlp.c_proj",
    "self_attn.out_proj": "attn.out_proj",
}


class UnmappedKeyError(KeyError):
    """A diffusers/transformers parameter with no place in the original layout."""


@dataclass(frozen=True)
class UnetLayout:
    layers_per_block: int
    up_blocks_with_attention: frozenset[int]

    @classmethod
    def from_unet(cls, unet: UNet2DConditionModel) -> UnetLayout:
        layers_per_block = unet.config.layers_per_block
        # The original UNet (and diffusers' converter) has one depth for every block.
        if not isinstance(layers_per_block, int):
            raise ValueError(f"layers_per_block must be one int for the original layout, got {layers_per_block!r}")
        with_attention = {index for index, kind in enumerate(unet.config.up_block_types) if "CrossAttn" in kind}
        return cls(layers_per_block=layers_per_block, up_blocks_with_attention=frozenset(with_attention))


def _split_module(rest: str, modules: dict[str, str], key: str) -> str:
    """Rename the module part of `rest` ("conv1.weight" -> "in_layers.2.weight") by the longest matching name."""
    for name in sorted(modules, key=len, reverse=True):
        if rest.startswith(name + "."):
            return modules[name] + rest[len(name) :]
    raise UnmappedKeyError(key)


def unet_key_to_original(key: str, layout: UnetLayout) -> str:
    module, _, param = key.rpartition(".")
    if module in _UNET_TOP_LEVEL:
        return f"{_UNET_TOP_LEVEL[module]}.{param}"
    # Each down block is layers_per_block (resnet, attention) rows plus one downsampler row; input_blocks.0 is conv_in.
    # Each up block has one row more (layers_per_block + 1), the upsampler sitting after the row's attention if any.
    rows_per_block = layout.layers_per_block + 1
    if match := re.fullmatch(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
        block, kind, layer, rest = int(match[1]), match[2], int(match[3]), match[4]
        row = 1 + block * rows_per_block + layer
        if kind == "resnets":
            return f"input_blocks.{row}.0.{_split_module(rest, _UNET_RESNET_MODULES, key)}"
        return f"input_blocks.{row}.1.{rest}"
    if match := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(weight|bias)", key):
        return f"input_blocks.{(int(match[1]) + 1) * rows_per_block}.0.op.{match[2]}"
    if match := re.fullmatch(r"mid_block\.(resnets|attentions)\.(\d+)\.(.+)", key):
        kind, layer, rest = match[1], int(match[2]), match[3]
        if kind == "resnets":
            return f"middle_block.{2 * layer}.{_split_module(rest, _UNET_RESNET_MODULES, key)}"
        return f"middle_block.{2 * layer + 1}.{rest}"
    if match := re.fullmatch(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
        block, kind, layer, rest = int(match[1]), match[2], int(match[3]), match[4]
        row = block * rows_per_block + layer
        if kind == "resnets":
            return f"output_blocks.{row}.0.{_split_module(rest, _UNET_RESNET_MODULES, key)}"
        return f"output_blocks.{row}.1.{rest}"
    if match := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(weight|bias)", key):
        block = int(match[1])
        position = 2 if block in layout.up_blocks_with_attention else 1
        return f"output_blocks.{block * rows_per_block + layout.layers_per_block}.{position}.conv.{match[2]}"
    raise UnmappedKeyError(key)


def vae_key_to_original(key: str, num_up_blocks: int) -> str:
    module, _, param = key.rpartition(".")
    if module in _VAE_TOP_LEVEL:
        return f"{_VAE_TOP_LEVEL[module]}.{param}"
    if match := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        rest = _split_module(match[3], _VAE_RESNET_MODULES, key)
        return f"encoder.down.{match[1]}.block.{match[2]}.{rest}"
    if match := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(weight|bias)", key):
        return f"encoder.down.{match[1]}.downsample.conv.{match[2]}"
    # The original decoder numbers its up blocks from the lowest resolution up, diffusers from the highest down.
    if match := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        rest = _split_module(match[3], _VAE_RESNET_MODULES, key)
        return f"decoder.up.{num_up_blocks - 1 - int(match[1])}.block.{match[2]}.{rest}"
    if match := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(weight|bias)", key):
        return f"decoder.up.{num_up_blocks - 1 - int(match[1])}.upsample.conv.{match[2]}"
    if match := re.fullmatch(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)", key):
        rest = _split_module(match[3], _VAE_RESNET_MODULES, key)
        return f"{match[1]}.mid.block_{int(match[2]) + 1}.{rest}"
    if match := re.fullmatch(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)", key):
        return f"{match[1]}.mid.attn_1.{_split_module(match[2], _VAE_ATTENTION_MODULES, key)}"
    raise UnmappedKeyError(key)


def _put(target: StateDict, key: str, tensor: torch.Tensor) -> None:
    if key in target:
        raise ValueError(f"two parameters map to {key}")
    target[key] = tensor


def unet_to_original(unet: UNet2DConditionModel) -> StateDict:
    layout = UnetLayout.from_unet(unet)
    converted: StateDict = {}
    for key, tensor in unet.state_dict().items():
        _put(converted, UNET_PREFIX + unet_key_to_original(key, layout), tensor)
    return converted


def vae_to_original(vae: AutoencoderKL) -> StateDict:
    num_up_blocks = len(vae.config.up_block_types)
    converted: StateDict = {}
    for key, tensor in vae.state_dict().items():
        original_key = vae_key_to_original(key, num_up_blocks)
        # The original mid-block attention uses 1x1 convolutions where diffusers uses linear layers.
        if ".mid.attn_1." in original_key and original_key.endswith(".weight") and tensor.ndim == 2:
            tensor = tensor[:, :, None, None]
        _put(converted, VAE_PREFIX + original_key, tensor)
    return converted


def hf_clip_state_dict(encoder: PreTrainedModel) -> StateDict:
    """The encoder's weights as `text_model.*` (+ `text_projection.weight`), the layout in original checkpoints.

    transformers >= 5.6 flattened `CLIPTextModel` (no `text_model.` prefix); `CLIPTextModelWithProjection` kept it.
    """
    return {
        key if key.startswith("text_model.") or key == "text_projection.weight" else f"text_model.{key}": tensor
        for key, tensor in encoder.state_dict().items()
    }


def clip_l_to_original(encoder: PreTrainedModel) -> StateDict:
    return {CLIP_L_PREFIX + key: tensor for key, tensor in hf_clip_state_dict(encoder).items()}


def open_clip_to_original(encoder: PreTrainedModel) -> StateDict:
    converted: StateDict = {}
    fused: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in hf_clip_state_dict(encoder).items():
        if key in _OPEN_CLIP_TOP_LEVEL:
            # OpenCLIP applies `x @ text_projection`; the HF linear layer stores the transpose.
            value = tensor.T.contiguous() if key == "text_projection.weight" else tensor
            _put(converted, OPEN_CLIP_PREFIX + _OPEN_CLIP_TOP_LEVEL[key], value)
        elif match := re.fullmatch(r"text_model\.encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)", key):
            fused.setdefault(f"transformer.resblocks.{match[1]}.attn.in_proj_{match[3]}", {})[match[2]] = tensor
        elif match := re.fullmatch(r"text_model\.encoder\.layers\.(\d+)\.(.+)", key):
            rest = _split_module(match[2], _OPEN_CLIP_LAYER_MODULES, key)
            _put(converted, f"{OPEN_CLIP_PREFIX}transformer.resblocks.{match[1]}.{rest}", tensor)
        else:
            raise UnmappedKeyError(key)
    for key, parts in fused.items():
        if sorted(parts) != ["k", "q", "v"]:
            raise ValueError(f"{key}: expected q, k and v projections, found {sorted(parts)}")
        _put(converted, OPEN_CLIP_PREFIX + key, torch.cat([parts["q"], parts["k"], parts["v"]]))
    return converted


def components_to_original(
    unet: UNet2DConditionModel, vae: AutoencoderKL, text_encoder: PreTrainedModel, text_encoder_2: PreTrainedModel
) -> StateDict:
    """All four models in one original-layout state dict (works on meta tensors too: only keys and shapes move)."""
    parts = [
        unet_to_original(unet),
        vae_to_original(vae),
        clip_l_to_original(text_encoder),
        open_clip_to_original(text_encoder_2),
    ]
    merged: StateDict = {}
    for part in parts:
        for key, tensor in part.items():
            _put(merged, key, tensor)
    return merged


def save_as_original_checkpoint(pipe: StableDiffusionXLPipeline, path: Path, dtype: torch.dtype | None = None) -> None:
    """Write UNet, VAE and both text encoders to one safetensors file in the original SDXL layout."""
    tensors = {
        key: tensor.detach().to(dtype=dtype or tensor.dtype, device="cpu").contiguous()
        for key, tensor in components_to_original(pipe.unet, pipe.vae, pipe.text_encoder, pipe.text_encoder_2).items()
    }
    save_file(tensors, str(path))
