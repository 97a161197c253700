"""The download plan: what would be fetched and where, checked without touching the network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rubber_tile.sdxl.downloads import FP16_FIX_VAE_REPO, SDXL_REPO, download_plan
from rubber_tile.sdxl.paths import SdxlWeights, missing_weights, weights_from_env

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def test_plan_fetches_fp16_safetensors_only_into_the_folders_setup_reads(tmp_path):
    base, vae = download_plan(tmp_path)
    assert (base.repo_id, vae.repo_id) == (SDXL_REPO, FP16_FIX_VAE_REPO)
    weights = weights_from_env({"TILE_MODEL_DIR": str(tmp_path)})
    assert base.local_dir == weights.base
    vae.local_dir.mkdir(parents=True)
    assert weights_from_env({"TILE_MODEL_DIR": str(tmp_path)}).vae == vae.local_dir
    weight_patterns = [p for p in base.allow_patterns + vae.allow_patterns if "safetensors" in p]
    assert len(weight_patterns) == 5
    assert all(p.endswith(".fp16.safetensors") for p in base.allow_patterns if "safetensors" in p)
    patterns = base.allow_patterns + vae.allow_patterns
    assert not any(p.endswith((".bin", ".ckpt", ".onnx", ".msgpack")) for p in patterns)
    assert all(p.startswith("tokenizer") for p in patterns if "*" in p)
    assert "sd_xl_base_1.0.safetensors" not in base.allow_patterns


def test_configs_only_plan_has_no_weights(tmp_path):
    (base,) = download_plan(tmp_path, configs_only=True)
    assert "model_index.json" in base.allow_patterns and "tokenizer_2/*" in base.allow_patterns
    assert not any("safetensors" in p for p in base.allow_patterns)


def test_plan_command_prints_without_network(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "download_weights.py"), "--plan", "--model-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert f"{SDXL_REPO} -> {tmp_path / 'sdxl-base'}" in result.stdout
    assert "unet/diffusion_pytorch_model.fp16.safetensors" in result.stdout
    assert not any(tmp_path.iterdir())


def test_the_download_script_leaves_the_hub_online():
    # setup() switches the hub off before it loads SDXL; the one script that downloads must not inherit that.
    env = {key: value for key, value in os.environ.items() if not key.startswith("HF_")}
    check = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); import os, huggingface_hub.constants as c; "
        "print(os.environ.get('HF_HUB_OFFLINE'), c.HF_HUB_OFFLINE, 'torch' in sys.modules)"
    )
    script = str(SCRIPTS / "download_weights.py")
    result = subprocess.run([sys.executable, "-c", check, script], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == ["None", "False", "False"]


def test_missing_weights_lists_what_auto_mode_lacks(tmp_path):
    weights = SdxlWeights(base=tmp_path / "base", lora=tmp_path / "lora.safetensors", embeddings=None)
    assert missing_weights(weights) == [tmp_path / "base", tmp_path / "lora.safetensors"]
