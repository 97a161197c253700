"""TILE_BACKEND and the `preview` input: which backend answers, and that it says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rubber_tile.backend import BackendError
from rubber_tile.generator import load_generator
from rubber_tile.output import read_tile_metadata
from rubber_tile.request import TileRequest
from tests.support.requests import tiny_request

PROJECT_DIR = Path(__file__).resolve().parent.parent
MIX = "60% red, 40% white"


def request(prompt: str = MIX, **overrides) -> TileRequest:
    return tiny_request(prompt, **({"num_inference_steps": 2, "color_lock": False} | overrides))


def test_auto_without_weights_uses_the_preview_and_says_why(tmp_path, caplog):
    caplog.set_level("INFO")
    generator = load_generator({"TILE_BACKEND": "auto", "TILE_MODEL_DIR": str(tmp_path)})
    assert generator.backend == "preview"
    assert "preview renderer, because SDXL weights not found" in caplog.text and str(tmp_path) in caplog.text
    tile = generator.generate(request(width=512, height=512))
    assert tile.metadata["backend"] == "preview"
    assert tile.metadata["backend_reason"].startswith("SDXL weights not found: ")


def test_auto_with_all_weights_and_a_gpu_uses_sdxl_and_preview_on_request(tiny_weights_env):
    generator = load_generator({"TILE_BACKEND": "auto", **tiny_weights_env}, has_gpu=lambda: True)
    assert generator.backend == "sdxl"
    sdxl_tile = generator.generate(request())
    assert sdxl_tile.metadata["backend"] == "sdxl" and sdxl_tile.image.size == (64, 64)
    preview_tile = generator.generate(request(preview=True, width=512, height=384))
    assert preview_tile.metadata["backend"] == "preview" and preview_tile.image.size == (512, 384)


def test_auto_with_all_weights_but_no_gpu_uses_the_preview_and_says_how_to_force_sdxl(tiny_weights_env, caplog):
    caplog.set_level("INFO")
    generator = load_generator({"TILE_BACKEND": "auto", **tiny_weights_env}, has_gpu=lambda: False)
    assert generator.backend == "preview"
    assert "no CUDA GPU; set TILE_BACKEND=sdxl to run SDXL on the CPU" in caplog.text
    assert (
        generator.generate(request(width=512, height=512)).metadata["backend_reason"]
        == "SDXL weights found but no CUDA GPU"
    )
    forced = load_generator({"TILE_BACKEND": "sdxl", **tiny_weights_env}, has_gpu=lambda: False)
    assert forced.backend == "sdxl"


def test_metadata_names_missing_weights_without_absolute_server_paths(tmp_path):
    from rubber_tile.sdxl.paths import PROJECT_DIR

    generator = load_generator({"TILE_BACKEND": "auto", "TILE_MODEL_DIR": str(tmp_path / "weights")})
    reason = generator.generate(request(width=512, height=512)).metadata["backend_reason"]
    assert str(tmp_path) not in reason and "weights/sdxl-base" in reason
    inside = load_generator({"TILE_BACKEND": "auto", "TILE_MODEL_DIR": str(PROJECT_DIR / "no-such-model-folder")})
    assert (
        inside.generate(request(width=512, height=512))
        .metadata["backend_reason"]
        .startswith("SDXL weights not found: no-such-model-folder/sdxl-base")
    )


def test_preview_forced_even_when_weights_are_present(tiny_weights_env):
    generator = load_generator({"TILE_BACKEND": "preview", **tiny_weights_env})
    assert generator.backend == "preview"


def test_unknown_backend_is_refused():
    with pytest.raises(BackendError, match=r"TILE_BACKEND='gpu' is not one of auto, sdxl, preview"):
        load_generator({"TILE_BACKEND": "gpu"})


def test_preview_of_a_full_trigger_prompt_renders_the_mix_inside_it(tmp_path):
    generator = load_generator({"TILE_BACKEND": "preview"})
    prompt = "ohwx_rubber_tile <s0><s1>, 70% sand, 30% terracotta, photorealistic rubber tile"
    tile = generator.generate(request(prompt=prompt, width=512, height=512))
    assert tile.metadata["prompt"] == "70% sand, 30% terracotta"


def test_main_command_writes_a_tile_on_a_machine_without_weights(tmp_path):
    out = tmp_path / "tile.png"
    env = os.environ | {"TILE_MODEL_DIR": str(tmp_path / "no-weights"), "TILE_BACKEND": "auto"}
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "generate.py"),
            "50% red, 30% black, 20% pearl",
            "--seed",
            "42",
            "--out",
            str(out),
            "--width",
            "512",
            "--height",
            "512",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout and "backend: preview renderer" in result.stderr
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (512, 512)
    metadata = read_tile_metadata(out)
    assert metadata["backend"] == "preview" and metadata["seed"] == "42"


def test_main_command_reports_a_bad_mix_without_a_stack_trace(tmp_path):
    env = os.environ | {"TILE_MODEL_DIR": str(tmp_path), "TILE_BACKEND": "preview"}
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "generate.py"),
            "50% red, 40% black",
            "--out",
            str(tmp_path / "x.png"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2
    assert "error: the shares add up to 90%, not 100%" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "out, extra, message",
    [
        ("{tmp}", [], "is a folder: give a file name"),
        ("{tmp}/tile.gif", [], "the name must end in .png, .webp, .jpg"),
        ("{tmp}/tile.jpg", ["--format", "png"], "ends in .jpg but --format is png"),
        ("{tmp}/made.png/tile.png", [], "is a file, not a folder"),
    ],
)
def test_main_command_refuses_a_bad_out_path_before_generating(tmp_path, out, extra, message):
    (tmp_path / "made.png").write_bytes(b"")
    env = os.environ | {"TILE_MODEL_DIR": str(tmp_path), "TILE_BACKEND": "preview"}
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "generate.py"),
            "100% red",
            "--out",
            out.format(tmp=tmp_path),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert "backend:" not in result.stderr  # refused before setup: nothing was rendered


def test_each_backend_names_the_inputs_it_does_not_use(tiny_weights_env, caplog):
    caplog.set_level("INFO")
    preview = load_generator({"TILE_BACKEND": "preview"})
    tile = preview.generate(request(width=512, height=512, num_inference_steps=30, guidance_scale=5.0))
    assert tile.metadata["unused_inputs"] == "num_inference_steps, guidance_scale, color_lock"
    assert "preview backend: num_inference_steps=30, guidance_scale=5.0, color_lock=False not used" in caplog.text
    plain = preview.generate(
        request(width=512, height=512, num_inference_steps=20, guidance_scale=7.0, color_lock=True)
    )
    assert "unused_inputs" not in plain.metadata
    sdxl = load_generator({"TILE_BACKEND": "sdxl", **tiny_weights_env})
    sdxl_tile = sdxl.generate(request(grade="coarse", framing="product_photo"))
    assert sdxl_tile.metadata["unused_inputs"] == "grade, framing"


def test_the_sdxl_backend_lays_its_color_locked_top_view_as_an_installed_floor(tiny_weights_env):
    sdxl = load_generator({"TILE_BACKEND": "sdxl", **tiny_weights_env})
    top = sdxl.generate(request(seed=4, width=96, height=64))
    floor = sdxl.generate(request(seed=4, width=96, height=64, view="installed"))
    assert floor.image.size == (96, 64) and floor.metadata["view"] == "installed"
    assert floor.metadata["installed_tile_mm"] == "500" and "view" not in top.metadata
    assert not np.array_equal(np.asarray(floor.image), np.asarray(top.image))


def test_the_installed_floor_says_it_did_not_use_the_framing() -> None:
    preview = load_generator({"TILE_BACKEND": "preview"})
    tile = preview.generate(request(width=512, height=512, color_lock=True, view="installed", framing="product_photo"))
    assert tile.metadata["unused_inputs"] == "num_inference_steps, framing" and tile.metadata["view"] == "installed"


def test_a_tile_baked_setting_without_its_folder_and_settings_a_bake_ignores_are_said(
    tmp_path, caplog, tiny_weights_env
):
    from rubber_tile.sdxl.weight_files import WeightsError

    with pytest.raises(WeightsError, match="TILE_BAKED=.* has no rubber_tile_bake.json"):
        load_generator({"TILE_BACKEND": "sdxl", "TILE_BAKED": str(tmp_path / "not-baked")})
    baked = tmp_path / "model_files" / "sdxl-baked"
    baked.mkdir(parents=True)
    (baked / "rubber_tile_bake.json").write_text("{}")
    with pytest.raises(WeightsError, match="is not a bake record"):
        load_generator(
            {"TILE_BACKEND": "sdxl", "TILE_MODEL_DIR": str(tmp_path / "model_files"), "TILE_LORA": "/v5.safetensors"}
        )
    assert "TILE_LORA not used: setup() reads the baked folder" in caplog.text
