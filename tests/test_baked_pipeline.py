"""A baked folder loads in one step and gives the same images as fusing at start-up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rubber_tile.sdxl.backend import SdxlBackend
from rubber_tile.sdxl.bake import bake
from rubber_tile.sdxl.paths import BAKE_RECORD_NAME, SdxlWeights, weights_from_env
from rubber_tile.sdxl.pipeline import MODEL_NAME, assemble_pipeline
from rubber_tile.sdxl.weight_files import WeightsError
from tests.support.requests import tiny_request

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def baked_dir(tmp_path_factory, tiny_base_dir, eden_lora, tiny_embeddings) -> Path:
    weights = SdxlWeights(base=tiny_base_dir, lora=eden_lora, embeddings=tiny_embeddings)
    out = tmp_path_factory.mktemp("bake") / "sdxl-baked"
    bake(weights, out, torch.float32)
    return out


def _image(pipe, tokens) -> np.ndarray:
    request = tiny_request("60% red, 40% white", seed=3, num_inference_steps=3)
    return np.asarray(SdxlBackend(pipe, tokens, MODEL_NAME).top_view(request).image)


def test_baked_and_runtime_fused_pipelines_give_identical_images(baked_dir, assembled_pipe):
    runtime_pipe, runtime_report = assembled_pipe
    baked_pipe, baked_report = assemble_pipeline(
        SdxlWeights(base=Path("unused"), lora=None, embeddings=None, baked=baked_dir), CPU, torch.float32
    )
    assert baked_report.tokens == runtime_report.tokens == ("<s0>", "<s1>")
    assert baked_report.lora_modules == runtime_report.lora_modules > 0
    assert type(baked_pipe.scheduler) is type(runtime_pipe.scheduler)
    assert baked_pipe.vae.use_tiling and baked_pipe.vae.use_slicing
    np.testing.assert_array_equal(_image(baked_pipe, baked_report.tokens), _image(runtime_pipe, runtime_report.tokens))


def test_setup_prefers_the_baked_folder_when_present(baked_dir, tmp_path):
    env = {"TILE_BAKED": str(baked_dir), "TILE_MODEL_DIR": str(tmp_path)}
    assert weights_from_env(env).baked == baked_dir
    assert weights_from_env({"TILE_MODEL_DIR": str(tmp_path)}).baked is None


def test_a_baked_folder_without_its_tokens_is_refused(baked_dir, tmp_path):
    import shutil

    broken = tmp_path / "baked"
    shutil.copytree(baked_dir, broken)
    record = (broken / BAKE_RECORD_NAME).read_text().replace('"<s1>"', '"<s1>", "<s7>"')
    (broken / BAKE_RECORD_NAME).write_text(record)
    with pytest.raises(WeightsError, match=r"lacks the tokens \['<s7>'\]"):
        assemble_pipeline(SdxlWeights(base=Path("unused"), lora=None, embeddings=None, baked=broken), CPU, torch.float32)
