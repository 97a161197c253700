"""Pipeline assembly on a tiny SDXL: LoRA fused exactly, textual inversion in both encoders, sampler."""

from __future__ import annotations

import re

import pytest
import torch
from diffusers import DPMSolverMultistepScheduler, UNet2DConditionModel
from diffusers.loaders.lora_conversion_utils import _convert_non_diffusers_lora_to_diffusers
from diffusers.utils import convert_unet_state_dict_to_peft
from peft import LoraConfig
from peft.tuners.tuners_utils import BaseTunerLayer
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file

from rubber_tile.sdxl.lora import fuse_lora_file, lora_module_names
from rubber_tile.sdxl.paths import SdxlWeights
from rubber_tile.sdxl.pipeline import assemble_pipeline, configure_sampler, load_base_pipeline
from rubber_tile.sdxl.textual_inversion import load_textual_inversion
from rubber_tile.sdxl.weight_files import WeightsError
from rubber_tile_dev.synthetic.lora_files import (
    EDEN_TARGET_MODULES,
    LoraSpec,
    expected_delta,
    to_eden_kohya,
    write_lora,
)
from rubber_tile_dev.synthetic.sdxl_architecture import build_sdxl_unet
from rubber_tile_dev.synthetic.tiny_sdxl import TinySdxlSpec, build_tiny_sdxl_pipeline

CPU = torch.device("cpu")
LORA_SCALE = 0.7
_TARGET = re.compile(r"\.(to_k|to_q|to_v|to_out\.0|conv2)$")


def _targeted_modules(unet: UNet2DConditionModel) -> list[str]:
    return [name for name, _ in unet.named_modules() if _TARGET.search(name)]


def test_eden_lora_fused_at_0_7_moves_every_targeted_weight_exactly(tiny_base_dir, eden_lora, tiny_embeddings):
    base_unet = UNet2DConditionModel.from_pretrained(tiny_base_dir / "unet")
    base_weights = {name: p.detach().clone() for name, p in base_unet.named_parameters()}
    weights = SdxlWeights(base=tiny_base_dir, lora=eden_lora, embeddings=tiny_embeddings, lora_scale=LORA_SCALE)
    pipe, report = assemble_pipeline(weights, CPU, torch.float32)

    lora = load_file(eden_lora)
    targeted = _targeted_modules(pipe.unet)
    assert len(targeted) == len(lora_module_names(lora)) == report.lora_modules > 0
    assert any(name.endswith("conv2") for name in targeted) and any(name.endswith("to_out.0") for name in targeted)
    fused = dict(pipe.unet.named_parameters())
    for module in targeted:
        expected = base_weights[f"{module}.weight"] + expected_delta(lora, module, LORA_SCALE)
        torch.testing.assert_close(fused[f"{module}.weight"], expected, rtol=0, atol=1e-6)
        assert not torch.equal(fused[f"{module}.weight"], base_weights[f"{module}.weight"])
    untouched = [name for name in base_weights if not any(name.startswith(m + ".") for m in targeted)]
    assert untouched and all(torch.equal(fused[name], base_weights[name]) for name in untouched)
    assert not any(isinstance(module, BaseTunerLayer) for module in pipe.unet.modules())
    assert not any("lora" in name for name, _ in pipe.unet.named_parameters())


def test_diffusers_format_lora_is_fused_the_same_way(tiny_base_dir, tmp_path):
    unet = UNet2DConditionModel.from_pretrained(tiny_base_dir / "unet")
    path = write_lora(unet, tmp_path / "diffusers_lora.safetensors", LoraSpec(seed=7), kohya=False)
    assert all(key.startswith("unet.") and (".lora_A." in key or ".lora_B." in key) for key in load_file(path))
    pipe = load_base_pipeline(SdxlWeights(base=tiny_base_dir, lora=None, embeddings=None), torch.float32)
    base = {name: p.detach().clone() for name, p in pipe.unet.named_parameters()}
    count = fuse_lora_file(pipe, path, scale=0.5)
    lora = load_file(path)
    assert count == len(_targeted_modules(pipe.unet))
    module = "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v"
    expected = base[f"{module}.weight"] + expected_delta(lora, module, 0.5, kohya=False)
    torch.testing.assert_close(dict(pipe.unet.named_parameters())[f"{module}.weight"], expected, rtol=0, atol=1e-6)


def test_lora_with_a_foreign_layer_fails_and_leaves_the_base_untouched(tiny_base_dir, eden_lora, tmp_path):
    lora = load_file(eden_lora)
    foreign = "lora_unet_input_blocks_99_1_transformer_blocks_0_attn1_to_q"
    lora[f"{foreign}.lora_down.weight"] = torch.randn(4, 32)
    lora[f"{foreign}.lora_up.weight"] = torch.randn(32, 4)
    lora[f"{foreign}.alpha"] = torch.tensor(4.0)
    bad = tmp_path / "foreign.safetensors"
    save_file(lora, bad)
    pipe = load_base_pipeline(SdxlWeights(base=tiny_base_dir, lora=None, embeddings=None), torch.float32)
    before = {name: p.detach().clone() for name, p in pipe.unet.named_parameters()}
    with pytest.raises(WeightsError, match=r"adapts \d+ layers but only \d+ exist.*another model"):
        fuse_lora_file(pipe, bad, LORA_SCALE)
    after = dict(pipe.unet.named_parameters())
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)


def test_textual_inversion_rows_land_in_both_encoders_as_single_tokens(tiny_base_dir, tiny_embeddings):
    pipe = load_base_pipeline(SdxlWeights(base=tiny_base_dir, lora=None, embeddings=None), torch.float32)
    tokens = load_textual_inversion(pipe, tiny_embeddings)
    assert tokens == ("<s0>", "<s1>")
    rows = load_file(tiny_embeddings)
    for tokenizer, encoder, key in ((pipe.tokenizer, pipe.text_encoder, "clip_l"), (pipe.tokenizer_2, pipe.text_encoder_2, "clip_g")):
        ids = tokenizer("<s0><s1>", add_special_tokens=False)["input_ids"]
        assert ids == tokenizer.convert_tokens_to_ids(["<s0>", "<s1>"])
        embedded = encoder.get_input_embeddings().weight[ids]
        torch.testing.assert_close(embedded, rows[key].float(), rtol=0, atol=0)


def test_three_row_embeddings_in_other_trainers_key_names_give_three_tokens(tiny_base_dir, tmp_path):
    path = tmp_path / "three.safetensors"
    save_file({"text_encoders_0": torch.randn(3, 32), "text_encoders_1": torch.randn(3, 32)}, path)
    pipe = load_base_pipeline(SdxlWeights(base=tiny_base_dir, lora=None, embeddings=None), torch.float32)
    assert load_textual_inversion(pipe, path) == ("<s0>", "<s1>", "<s2>")


@pytest.mark.parametrize(
    "tensors, message",
    [
        ({"clip_l": torch.randn(2, 768), "clip_g": torch.randn(2, 1280)}, r"clip_l has shape \(2, 768\).*width 32"),
        ({"clip_l": torch.randn(2, 32)}, r"no clip_g or text_encoders_1"),
        ({"clip_l": torch.randn(2, 32), "clip_g": torch.randn(3, 32)}, r"different token counts"),
    ],
)
def test_textual_inversion_that_does_not_fit_fails_clearly(tiny_base_dir, tmp_path, tensors, message):
    path = tmp_path / "ti.safetensors"
    save_file(tensors, path)
    pipe = load_base_pipeline(SdxlWeights(base=tiny_base_dir, lora=None, embeddings=None), torch.float32)
    with pytest.raises(WeightsError, match=message):
        load_textual_inversion(pipe, path)


def test_real_textual_inversion_file_loads_into_encoders_of_the_real_widths(real_embeddings_path):
    pipe = build_tiny_sdxl_pipeline(TinySdxlSpec(text_widths=(768, 1280), text_layers=1))
    tokens = load_textual_inversion(pipe, real_embeddings_path)
    assert tokens == ("<s0>", "<s1>")
    rows = load_file(real_embeddings_path)
    assert rows["clip_l"].dtype == torch.bfloat16
    for tokenizer, encoder, key in ((pipe.tokenizer, pipe.text_encoder, "clip_l"), (pipe.tokenizer_2, pipe.text_encoder_2, "clip_g")):
        ids = tokenizer.convert_tokens_to_ids(list(tokens))
        assert len(tokenizer("<s1>", add_special_tokens=False)["input_ids"]) == 1
        torch.testing.assert_close(encoder.get_input_embeddings().weight[ids], rows[key].float(), rtol=0, atol=0)


def test_sampler_is_dpm_plus_plus_2m_karras_and_vae_slices_and_tiles(assembled_pipe):
    pipe, _ = assembled_pipe
    assert isinstance(pipe.scheduler, DPMSolverMultistepScheduler)
    assert pipe.scheduler.config.algorithm_type == "dpmsolver++"
    assert pipe.scheduler.config.use_karras_sigmas is True
    assert pipe.scheduler.config.final_sigmas_type == "zero"
    assert pipe.scheduler.config.solver_order == 2
    assert pipe.vae.use_slicing and pipe.vae.use_tiling


@pytest.mark.parametrize("config_sample_size", [512, 1024])
def test_vae_tiles_only_images_larger_than_1024_px(config_sample_size):
    from diffusers import AutoencoderKL
    from diffusers.models.autoencoders.vae import DecoderOutput

    pipe = build_tiny_sdxl_pipeline()
    pipe.vae = AutoencoderKL.from_config(pipe.vae.config, sample_size=config_sample_size)
    configure_sampler(pipe)
    tiled = []
    pipe.vae.tiled_decode = lambda z, return_dict=True: tiled.append(tuple(z.shape[-2:])) or DecoderOutput(sample=z)
    pipe.vae.decoder.forward = lambda z, *args, **kwargs: z  # only the choice of plain or tiled decoding is under test
    for side_px in (1024, 1032):
        pipe.vae.decode(torch.zeros(1, 4, side_px // 8, side_px // 8))
    assert tiled == [(129, 129)]


def test_load_report_summarises_what_was_loaded(assembled_pipe):
    _, report = assembled_pipe
    summary = report.summary()
    assert f"{report.lora_modules} LoRA modules fused" in summary
    assert "<s0><s1>" in summary and "float32 on cpu" in summary


def test_missing_base_model_says_where_to_put_it(tmp_path):
    with pytest.raises(WeightsError, match=r"not found at .*download_weights.py"):
        load_base_pipeline(SdxlWeights(base=tmp_path / "nothing.safetensors", lora=None, embeddings=None), torch.float32)


def test_eden_lora_for_full_size_sdxl_maps_every_key_and_is_the_real_size():
    """Built on the meta device: the key layout and size of the real 97.3 MB file, no memory used."""
    unet = build_sdxl_unet("meta")
    unet.add_adapter(
        LoraConfig(r=32, lora_alpha=32, init_lora_weights="gaussian", target_modules=EDEN_TARGET_MODULES)
    )
    peft_state = {f"unet.{key}": value for key, value in get_peft_model_state_dict(unet).items()}
    kohya = to_eden_kohya(peft_state)
    assert "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight" in kohya
    assert float(kohya["lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.alpha"]) == 32

    fp16_bytes = sum(t.numel() for key, t in kohya.items() if not key.endswith(".alpha")) * 2
    assert 96.0 < fp16_bytes / 2**20 < 98.0  # the real file: 97.3 MB (MiB, with its header and alphas)

    # The two renames load_lora_weights applies: kohya -> diffusers, then diffusers -> PEFT.
    converted, _ = _convert_non_diffusers_lora_to_diffusers(dict(kohya))
    peft_keys = convert_unet_state_dict_to_peft({k.removeprefix("unet."): v for k, v in converted.items()})
    modules = {name for name, _ in build_sdxl_unet("meta").named_modules()}
    targets = {key.rsplit(".lora_", 1)[0] for key in peft_keys}
    assert targets and targets <= modules
    assert len(targets) == len(lora_module_names(kohya))
    assert {t.rsplit(".", 1)[-1] for t in targets} == {"to_k", "to_q", "to_v", "0", "conv2"}
