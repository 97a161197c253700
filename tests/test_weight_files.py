"""Weight files that must fail with the file and the fix named, before anything unpickles or half-loads."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from rubber_tile.sdxl.weight_files import WeightsError, check_diffusers_folder, check_safetensors_file

FIX = "Put the file there."


@pytest.fixture()
def good_file(tmp_path):
    path = tmp_path / "good.safetensors"
    save_file({"a": torch.zeros(64, 64), "b": torch.ones(3)}, path)
    return path


def test_a_complete_file_passes(good_file):
    check_safetensors_file(good_file, "the LoRA", FIX)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match=r"the LoRA not found at .*missing.safetensors. Put the file there."):
        check_safetensors_file(tmp_path / "missing.safetensors", "the LoRA", FIX)


def test_git_lfs_pointer(tmp_path):
    path = tmp_path / "lora.safetensors"
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 97300000\n"
    )
    with pytest.raises(WeightsError, match=r"is a Git LFS pointer \(\d+ bytes\), not the weights: run `git lfs pull`"):
        check_safetensors_file(path, "the LoRA", FIX)


def test_truncated_file(good_file):
    data = good_file.read_bytes()
    good_file.write_bytes(data[: len(data) - 100])
    with pytest.raises(WeightsError, match=r"is truncated: it holds [\d,]+ bytes of tensors where its header declares [\d,]+"):
        check_safetensors_file(good_file, "the LoRA", FIX)


def test_file_cut_inside_its_header(good_file):
    good_file.write_bytes(good_file.read_bytes()[:20])
    with pytest.raises(WeightsError, match=r"not a safetensors file \(or is truncated in its header\)"):
        check_safetensors_file(good_file, "the LoRA", FIX)


@pytest.mark.parametrize("suffix", [".bin", ".pt", ".ckpt", ".pth"])
def test_pickles_are_refused_without_being_opened(tmp_path, suffix):
    path = tmp_path / f"weights{suffix}"
    path.write_bytes(b"\x80\x04\x95 this would run code if unpickled")
    with pytest.raises(WeightsError, match=r"is a pickle file .* only \.safetensors weights are loaded"):
        check_safetensors_file(path, "the LoRA", FIX)


def test_diffusers_folder_with_only_pickle_weights_is_refused(tmp_path):
    (tmp_path / "unet").mkdir()
    (tmp_path / "model_index.json").write_text('{"_class_name": "StableDiffusionXLPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}')
    (tmp_path / "unet" / "config.json").write_text("{}")
    (tmp_path / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(WeightsError, match=r"no \.safetensors weights in .*unet \(found only pickle files"):
        check_diffusers_folder(tmp_path, "the SDXL base model", FIX, variant=None)


def test_diffusers_folder_with_a_truncated_component_is_refused(tiny_base_dir, tmp_path):
    import shutil

    copy = tmp_path / "base"
    shutil.copytree(tiny_base_dir, copy)
    weights = copy / "vae" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    with pytest.raises(WeightsError, match=r"the SDXL base model \(vae\) at .* is truncated"):
        check_diffusers_folder(copy, "the SDXL base model", FIX, variant=None)
    check_diffusers_folder(tiny_base_dir, "the SDXL base model", FIX, variant=None)
