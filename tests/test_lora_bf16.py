"""The trained LoRA file is bf16 (the trainer saves PEFT weights in bf16): it fuses by the expected amount
into an fp32 (CPU) and an fp16 (GPU) pipeline."""

from __future__ import annotations

import re

import pytest
import torch
from diffusers import UNet2DConditionModel
from safetensors.torch import load_file, save_file

from rubber_tile.sdxl.lora import fuse_lora_file
from rubber_tile.sdxl.paths import SdxlWeights
from rubber_tile.sdxl.pipeline import load_base_pipeline
from rubber_tile_dev.synthetic.lora_files import LoraSpec, expected_delta, write_lora

LORA_SCALE = 0.7
_TARGET = re.compile(r"\.(to_k|to_q|to_v|to_out\.0|conv2)$")
# The fused weight is held in the pipeline's dtype: fp16 keeps about 3 significant digits of it.
TOLERANCE = {torch.float32: 1e-6, torch.float16: 2e-3}


@pytest.fixture(scope="module")
def bf16_lora(tiny_base_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bf16_lora")
    unet = UNet2DConditionModel.from_pretrained(tiny_base_dir / "unet")
    fp32 = load_file(write_lora(unet, folder / "fp32.safetensors", LoraSpec(seed=11)))
    bf16 = {key: value.to(torch.bfloat16) for key, value in fp32.items()}
    path = folder / "rubber-tile-lora-v4_sdxl_lora.safetensors"
    save_file(bf16, path)
    return path


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16], ids=["fp32", "fp16"])
def test_a_bf16_lora_moves_every_targeted_weight_by_the_expected_amount(tiny_base_dir, bf16_lora, dtype):
    lora = load_file(bf16_lora)
    assert {value.dtype for key, value in lora.items() if not key.endswith(".alpha")} == {torch.bfloat16}
    pipe = load_base_pipeline(SdxlWeights(base=tiny_base_dir, lora=None, embeddings=None), dtype)
    before = {name: p.detach().clone() for name, p in pipe.unet.named_parameters()}
    count = fuse_lora_file(pipe, bf16_lora, LORA_SCALE)
    targeted = [name for name, _ in pipe.unet.named_modules() if _TARGET.search(name)]
    assert count == len(targeted) > 0
    fused = dict(pipe.unet.named_parameters())
    for module in targeted:
        weight = fused[f"{module}.weight"]
        assert weight.dtype == dtype
        expected = before[f"{module}.weight"].float() + expected_delta(lora, module, LORA_SCALE)
        scale = max(1.0, float(expected.abs().max()))
        torch.testing.assert_close(weight.float(), expected, rtol=0, atol=TOLERANCE[dtype] * scale)
        assert not torch.equal(weight, before[f"{module}.weight"])
