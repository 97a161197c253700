"""Broken weights: setup() fails naming the file and the fix, and the real Cog server shows it in /health-check.

Each kind of broken file is checked in this process (setup() is what reads them); one real server,
given the worst of them (a pickle offered as weights, which its worker must never unpickle), shows
what only a server can: SETUP_FAILED with the message, 503 for predictions, nothing left running.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from rubber_tile.generator import load_generator
from rubber_tile.sdxl.weight_files import WeightsError
from rubber_tile_dev.cog_server import CogServer, group_processes

MIX = "50% red, 30% black, 20% pearl"


class RunsCodeWhenUnpickled:
    """A pickle payload that creates a marker file if anything ever unpickles it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _foreign_lora(path: Path) -> Path:
    """A kohya LoRA for Stable Diffusion 1.5 (input_blocks naming): no key names an SDXL layer."""
    import torch
    from safetensors.torch import save_file

    state = {}
    for name in ("input_blocks_1_1_transformer_blocks_0_attn1_to_q", "output_blocks_5_1_proj_in"):
        key = f"lora_unet_{name}"
        state[f"{key}.lora_down.weight"] = torch.randn(4, 320)
        state[f"{key}.lora_up.weight"] = torch.randn(320, 4)
        state[f"{key}.alpha"] = torch.tensor(4.0)
    save_file(state, path)
    return path


def _wide_embeddings(path: Path) -> Path:
    """A textual inversion with the full-size SDXL widths, which the tiny encoders (32 wide) cannot take."""
    import torch
    from safetensors.torch import save_file

    save_file({"clip_l": torch.randn(2, 768), "clip_g": torch.randn(2, 1280)}, path)
    return path


def _weight_faults(folder: Path, eden_lora: Path, marker: Path) -> dict[str, tuple[str, Path, list[str]]]:
    """fault -> (variable to point at the broken file, the file, patterns the setup error must match)."""
    lfs_pointer = folder / "lfs_pointer.safetensors"
    lfs_pointer.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 97302784\n"
    )
    truncated = folder / "truncated.safetensors"
    data = eden_lora.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    pickled = folder / "rubber-tile-lora.bin"
    pickled.write_bytes(pickle.dumps(RunsCodeWhenUnpickled(marker)))
    return {
        "missing file": ("TILE_LORA", folder / "absent" / "lora.safetensors", [r"the LoRA not found at", r"set TILE_LORA"]),
        "git lfs pointer": ("TILE_LORA", lfs_pointer, [r"is a Git LFS pointer \(\d+ bytes\), not the weights", r"git lfs pull"]),
        "truncated safetensors": ("TILE_LORA", truncated, [r"is truncated", r"Download it again"]),
        "lora for another model": ("TILE_LORA", _foreign_lora(folder / "sd15_lora.safetensors"), [r"does not fit this base model"]),
        "embeddings of the wrong widths": (
            "TILE_EMBEDDINGS",
            _wide_embeddings(folder / "wide_ti.safetensors"),
            [r"clip_l has shape \(2, 768\), but text_encoder takes vectors of width 32", r"made for another base model"],
        ),
        "pickle offered as weights": ("TILE_LORA", pickled, [r"is a pickle file \(\.bin\)", r"Convert it to \.safetensors"]),
    }


@pytest.fixture(scope="module")
def broken_weights(tmp_path_factory, eden_lora) -> tuple[dict[str, tuple[str, Path, list[str]]], Path]:
    folder = tmp_path_factory.mktemp("broken_weights")
    marker = folder / "unpickled"
    return _weight_faults(folder, eden_lora, marker), marker


FAULTS = [
    "missing file",
    "git lfs pointer",
    "truncated safetensors",
    "lora for another model",
    "embeddings of the wrong widths",
    "pickle offered as weights",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_broken_weights_fail_setup_with_the_file_and_the_fix(broken_weights, tiny_weights_env, fault):
    faults, marker = broken_weights
    variable, path, patterns = faults[fault]
    with pytest.raises(WeightsError) as raised:
        load_generator(tiny_weights_env | {"TILE_BACKEND": "sdxl", variable: str(path)})
    message = str(raised.value)
    assert str(path) in message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    assert not marker.exists()  # the pickle was refused without being unpickled


@pytest.mark.server
@pytest.mark.usefixtures("coglet_runs_here")
def test_the_cog_server_reports_a_failed_setup_refuses_predictions_and_stops_cleanly(
    broken_weights, tiny_weights_env, tmp_path
):
    faults, marker = broken_weights
    variable, path, patterns = faults["pickle offered as weights"]
    server = CogServer(tmp_path / "server.log", tiny_weights_env | {"TILE_BACKEND": "sdxl", variable: str(path)})
    try:
        server.start()
        health = server.wait_for_status("READY", "SETUP_FAILED")
        prediction = server.predict({"prompt": MIX}, timeout=30)
    finally:
        server.stop()
    assert health["status"] == "SETUP_FAILED" and health["setup"]["status"] == "failed"
    message = health["setup"]["logs"]
    assert "WeightsError" in message and str(path) in message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    assert prediction.status == 503, prediction.text  # coglet refuses predictions after a failed setup
    assert not marker.exists()  # nor did the server's worker unpickle it
    assert list(group_processes(server.group_id)) == []
