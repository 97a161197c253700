"""Loading SDXL from one original-layout .safetensors (like sd_xl_base_1.0 or Eden_SDXL) fully offline.

A tiny pipeline is written both as a diffusers folder (configs and tokenizers only, its weights deleted) and as a
single file in the Stability layout; `StableDiffusionXLPipeline.from_single_file(file, config=folder,
local_files_only=True)` must rebuild every weight exactly, through diffusers' own conversion, with sockets blocked.
"""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import dataclass, replace
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import pytest
import torch
from diffusers import AutoencoderKL, StableDiffusionXLPipeline
from diffusers.loaders.single_file_utils import (
    CHECKPOINT_KEY_NAMES,
    convert_ldm_clip_checkpoint,
    convert_ldm_unet_checkpoint,
    convert_ldm_vae_checkpoint,
    convert_open_clip_checkpoint,
    infer_diffusers_model_type,
)
from safetensors.torch import load_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from rubber_tile_dev.synthetic.sdxl_architecture import CLIP_G_CONFIG, CLIP_L_CONFIG, SDXL_VAE_CONFIG, build_sdxl_unet
from rubber_tile_dev.synthetic.tiny_sdxl import TinySdxlSpec, build_tiny_sdxl_pipeline
from tests.support.sdxl_single_file import (
    CLIP_L_PREFIX,
    OPEN_CLIP_PREFIX,
    UNET_PREFIX,
    VAE_PREFIX,
    StateDict,
    components_to_original,
    save_as_original_checkpoint,
)

COMPONENTS = ("unet", "vae", "text_encoder", "text_encoder_2")
# Diffusers tells the two encoders apart by width (768 vs 1280 in the real model): with equal widths it loads
# CLIP-L's weights into text_encoder_2 without an error. And it calls a file `xl_base` only when the second
# encoder has a resblocks.9, so ten layers.
SPEC = TinySdxlSpec(text_widths=(32, 64), text_layers=10)
PROMPT = "red and black epdm granules tile, top view"


@dataclass(frozen=True)
class SingleFileCase:
    pipe: StableDiffusionXLPipeline
    config_dir: Path
    checkpoint: Path


class NetworkBlocked(RuntimeError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise NetworkBlocked(f"network access attempted: {args!r}")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_OFFLINE=1, and any socket connection or DNS lookup fails the test."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once at import, which other test modules may have done already.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


def _config_only_folder(pipe: StableDiffusionXLPipeline, folder: Path) -> Path:
    """The pipeline's configs and tokenizers without weights, so every weight loaded must come from the single file."""
    pipe.save_pretrained(folder)
    for weights in [*folder.rglob("*.safetensors"), *folder.rglob("*.bin")]:
        weights.unlink()
    return folder


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> SingleFileCase:
    root = tmp_path_factory.mktemp("single_file")
    pipe = build_tiny_sdxl_pipeline(SPEC)
    checkpoint = root / "tiny_sd_xl_base.safetensors"
    save_as_original_checkpoint(pipe, checkpoint)
    return SingleFileCase(pipe=pipe, config_dir=_config_only_folder(pipe, root / "sdxl-base-config"), checkpoint=checkpoint)


def _load(case: SingleFileCase, torch_dtype: torch.dtype | None = None) -> StableDiffusionXLPipeline:
    # `config` must be a str: the component loaders reject a Path ("Invalid `config` argument").
    pipe = StableDiffusionXLPipeline.from_single_file(
        case.checkpoint, config=str(case.config_dir), local_files_only=True, torch_dtype=torch_dtype
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _mismatched_parameters(
    original: torch.nn.Module, loaded: torch.nn.Module, dtype: torch.dtype = torch.float32
) -> list[str]:
    expected = original.state_dict()
    actual = loaded.state_dict()
    if expected.keys() != actual.keys():
        return sorted(expected.keys() ^ actual.keys())
    # A weight the file lacks stays on the meta device (diffusers does not complain), so compare values too.
    return [name for name in expected if not torch.equal(expected[name].to(dtype), actual[name])]


def _generate(pipe: StableDiffusionXLPipeline) -> np.ndarray:
    generator = torch.Generator("cpu").manual_seed(1234)
    result = pipe(PROMPT, num_inference_steps=2, height=64, width=64, generator=generator, output_type="np")
    return result.images


def test_file_has_the_original_sdxl_layout(case: SingleFileCase) -> None:
    checkpoint = load_file(case.checkpoint)
    prefixes = (UNET_PREFIX, VAE_PREFIX, CLIP_L_PREFIX, OPEN_CLIP_PREFIX)
    assert all(key.startswith(prefixes) for key in checkpoint)
    assert infer_diffusers_model_type(checkpoint) == "xl_base"
    assert CHECKPOINT_KEY_NAMES["xl_base"] in checkpoint
    assert CHECKPOINT_KEY_NAMES["clip_sdxl"] in checkpoint and CHECKPOINT_KEY_NAMES["open_clip_sdxl"] in checkpoint
    width_2 = SPEC.text_widths[1]
    projection_dim = case.pipe.text_encoder_2.config.projection_dim
    assert checkpoint[f"{OPEN_CLIP_PREFIX}transformer.resblocks.0.attn.in_proj_weight"].shape == (3 * width_2, width_2)
    assert checkpoint[f"{OPEN_CLIP_PREFIX}text_projection"].shape == (width_2, projection_dim)
    assert checkpoint[f"{VAE_PREFIX}decoder.mid.attn_1.q.weight"].ndim == 4
    # Down block 0 (no attention, 2 layers) then its downsampler; up block 0 has attention, so upsampler at .2.
    assert f"{UNET_PREFIX}input_blocks.3.0.op.weight" in checkpoint
    assert f"{UNET_PREFIX}input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight" in checkpoint
    assert f"{UNET_PREFIX}output_blocks.2.2.conv.weight" in checkpoint
    assert f"{UNET_PREFIX}label_emb.0.0.weight" in checkpoint


def test_from_single_file_offline_rebuilds_every_weight_and_the_same_image(case: SingleFileCase, offline: None) -> None:
    loaded = _load(case)

    for name in COMPONENTS:
        assert _mismatched_parameters(getattr(case.pipe, name), getattr(loaded, name)) == [], name
    assert loaded.vae.config.scaling_factor == case.pipe.vae.config.scaling_factor
    image = _generate(loaded)
    assert image.shape == (1, 64, 64, 3) and np.isfinite(image).all() and image.std() > 0
    np.testing.assert_array_equal(image, _generate(case.pipe))


def test_vae_scaling_factor_comes_from_the_config_folder(case: SingleFileCase, offline: None, tmp_path: Path) -> None:
    """The single file holds no configs: SDXL's 0.13025 must be in the folder's vae/config.json."""
    config_dir = shutil.copytree(case.config_dir, tmp_path / "config")
    vae_config_path = config_dir / "vae" / "config.json"
    vae_config = json.loads(vae_config_path.read_text())
    assert vae_config["scaling_factor"] != 0.13025
    vae_config["scaling_factor"] = 0.13025
    vae_config_path.write_text(json.dumps(vae_config))

    loaded = _load(replace(case, config_dir=config_dir))

    assert loaded.vae.config.scaling_factor == 0.13025


def test_fp16_file_loads_with_fp16_dtype(case: SingleFileCase, offline: None, tmp_path: Path) -> None:
    fp16_case = replace(case, checkpoint=tmp_path / "fp16.safetensors")
    save_as_original_checkpoint(case.pipe, fp16_case.checkpoint, dtype=torch.float16)
    loaded = _load(fp16_case, torch_dtype=torch.float16)

    for name in COMPONENTS:
        assert getattr(loaded, name).dtype == torch.float16, name
        assert _mismatched_parameters(getattr(case.pipe, name), getattr(loaded, name), torch.float16) == [], name


def _shapes(state_dict: StateDict) -> dict[str, tuple[int, ...]]:
    return {key: tuple(tensor.shape) for key, tensor in state_dict.items()}


def test_full_size_sdxl_layout_round_trips_through_diffusers_converters() -> None:
    """The real architecture on the meta device (shapes, no memory): diffusers' converters map every key back."""
    with torch.device("meta"):
        unet = build_sdxl_unet()
        vae = AutoencoderKL(**SDXL_VAE_CONFIG)
        clip_l = CLIPTextModel(CLIPTextConfig(**CLIP_L_CONFIG))
        clip_g = CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_G_CONFIG))
    checkpoint = components_to_original(unet, vae, clip_l, clip_g)

    assert infer_diffusers_model_type(checkpoint) == "xl_base"
    assert sum(key.startswith(UNET_PREFIX) for key in checkpoint) == 1680
    assert sum(key.startswith(VAE_PREFIX) for key in checkpoint) == 248
    assert _shapes(convert_ldm_unet_checkpoint(checkpoint, dict(unet.config))) == _shapes(unet.state_dict())
    assert _shapes(convert_ldm_vae_checkpoint(checkpoint, dict(vae.config))) == _shapes(vae.state_dict())
    # convert_ldm_clip_checkpoint keeps `text_model.`; from_single_file strips it for the flattened CLIPTextModel.
    clip_l_keys = {key.removeprefix("text_model."): value for key, value in convert_ldm_clip_checkpoint(checkpoint).items()}
    assert _shapes(clip_l_keys) == _shapes(clip_l.state_dict())
    clip_g_keys = convert_open_clip_checkpoint(clip_g, checkpoint, prefix=OPEN_CLIP_PREFIX)
    assert _shapes(clip_g_keys) == _shapes(clip_g.state_dict())
    # Keys as named in Stability's sd_xl_base_1.0.safetensors.
    assert checkpoint[f"{UNET_PREFIX}input_blocks.6.0.op.weight"].shape == (640, 640, 3, 3)
    assert checkpoint[f"{UNET_PREFIX}input_blocks.8.1.transformer_blocks.9.attn2.to_k.weight"].shape == (1280, 2048)
    assert checkpoint[f"{UNET_PREFIX}output_blocks.5.2.conv.weight"].shape == (640, 640, 3, 3)
    assert checkpoint[f"{VAE_PREFIX}decoder.up.3.upsample.conv.weight"].shape == (512, 512, 3, 3)
    assert checkpoint[f"{OPEN_CLIP_PREFIX}transformer.resblocks.31.attn.in_proj_weight"].shape == (3840, 1280)


def test_setup_path_loads_a_single_file_base_then_fuses_lora_and_embeddings(case: SingleFileCase, tmp_path: Path) -> None:
    """Our assemble_pipeline on a single-file base (TILE_BASE_MODEL=file, TILE_BASE_CONFIG=folder)."""
    import copy

    from safetensors.torch import save_file

    from rubber_tile.sdxl.paths import SdxlWeights
    from rubber_tile.sdxl.pipeline import assemble_pipeline
    from rubber_tile_dev.synthetic.lora_files import LoraSpec, expected_delta, write_lora

    lora_path = write_lora(copy.deepcopy(case.pipe.unet), tmp_path / "lora.safetensors", LoraSpec(seed=5))
    embeddings = tmp_path / "ti.safetensors"
    widths = SPEC.text_widths
    save_file({"clip_l": torch.randn(2, widths[0]), "clip_g": torch.randn(2, widths[1])}, embeddings)
    weights = SdxlWeights(base=case.checkpoint, base_config=case.config_dir, lora=lora_path, embeddings=embeddings)

    pipe, report = assemble_pipeline(weights, torch.device("cpu"), torch.float32)

    assert report.tokens == ("<s0>", "<s1>") and report.lora_modules > 0
    module = "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"
    expected = case.pipe.unet.state_dict()[f"{module}.weight"] + expected_delta(load_file(lora_path), module, 0.7)
    torch.testing.assert_close(pipe.unet.state_dict()[f"{module}.weight"], expected, rtol=0, atol=1e-6)


def test_a_checkpoint_missing_weights_fails_instead_of_leaving_them_empty(case: SingleFileCase, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from rubber_tile.sdxl.paths import SdxlWeights
    from rubber_tile.sdxl.pipeline import load_base_pipeline
    from rubber_tile.sdxl.weight_files import WeightsError

    checkpoint = load_file(case.checkpoint)
    dropped = [key for key in checkpoint if key.startswith(OPEN_CLIP_PREFIX + "transformer.resblocks.3.")]
    partial = tmp_path / "partial.safetensors"
    save_file({key: value for key, value in checkpoint.items() if key not in dropped}, partial)
    weights = SdxlWeights(base=partial, base_config=case.config_dir, lora=None, embeddings=None)
    with pytest.raises(WeightsError, match=r"has no weights for \d+ tensors \(e.g. text_encoder_2\.text_model\.encoder\.layers\.3\."):
        load_base_pipeline(weights, torch.float32)


def test_a_single_file_base_without_its_config_folder_says_how_to_get_it(case: SingleFileCase, tmp_path: Path) -> None:
    from rubber_tile.sdxl.paths import SdxlWeights
    from rubber_tile.sdxl.pipeline import load_base_pipeline
    from rubber_tile.sdxl.weight_files import WeightsError

    weights = SdxlWeights(base=case.checkpoint, base_config=tmp_path / "absent", lora=None, embeddings=None)
    with pytest.raises(WeightsError, match=r"needs the SDXL configs and tokenizers .* --configs-only"):
        load_base_pipeline(weights, torch.float32)
