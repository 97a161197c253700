"""The real Cog server with broken weights: setup fails, and /health-check says which file and the fix.

One short-lived server per broken weight file (`pytest -m server` runs these with the other server tests).
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from rubber_tile_dev.cog_server import CogServer, coglet_unavailable_reason, group_processes

pytestmark = pytest.mark.server

MIX = "50% red, 30% black, 20% pearl"


@pytest.fixture(scope="module", autouse=True)
def coglet_runs_here() -> None:
    reason = coglet_unavailable_reason()
    if reason:
        pytest.skip(reason)



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
def never_unpickled_marker(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("marker") / "unpickled"


@pytest.fixture(scope="module")
def setup_failures(tmp_path_factory, tiny_weights_env, eden_lora, never_unpickled_marker) -> dict[str, tuple]:
    """Every broken-weights server started at once (setup is mostly imports), then each health-check read."""
    folder = tmp_path_factory.mktemp("broken_weights")
    faults = _weight_faults(folder, eden_lora, never_unpickled_marker)
    servers: dict[str, CogServer] = {}
    results: dict[str, tuple] = {}
    try:
        for index, (fault, (variable, path, _)) in enumerate(faults.items()):
            env = tiny_weights_env | {"TILE_BACKEND": "sdxl", variable: str(path)}
            servers[fault] = CogServer(folder / f"server{index}.log", env).start()
        for fault, server in servers.items():
            health = server.wait_for_status("READY", "SETUP_FAILED")
            prediction = server.predict({"prompt": MIX}, timeout=30)
            results[fault] = (health, prediction, faults[fault])
    finally:
        for server in servers.values():
            server.stop()
    results["left running after stop"] = [pid for s in servers.values() for pid in group_processes(s.group_id)]
    return results


FAULTS = [
    "missing file",
    "git lfs pointer",
    "truncated safetensors",
    "lora for another model",
    "embeddings of the wrong widths",
    "pickle offered as weights",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_broken_weights_fail_setup_with_the_file_and_the_fix_in_health_check(setup_failures, fault):
    health, prediction, (variable, path, patterns) = setup_failures[fault]
    assert health["status"] == "SETUP_FAILED" and health["setup"]["status"] == "failed"
    message = health["setup"]["logs"]
    assert "WeightsError" in message and str(path) in message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    assert prediction.status == 503, prediction.text  # coglet refuses predictions after a failed setup


def test_the_pickle_was_refused_without_being_unpickled(setup_failures, never_unpickled_marker):
    assert "pickle offered as weights" in setup_failures
    assert not never_unpickled_marker.exists()


def test_stopped_servers_leave_no_process_behind(setup_failures):
    assert setup_failures["left running after stop"] == []
