"""scripts/check_deploy.py on weight folders laid out in a temporary project, as an owner would lay them out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from rubber_tile.sdxl.bake import move_sources_aside
from rubber_tile.sdxl.paths import BAKE_RECORD_NAME, BakeRecord, weights_from_env
from rubber_tile_dev.deploy import WEIGHT_FILE_BYTES, check_deploy
from tests.support.scripts import load_script

PROJECT_DIR = Path(__file__).resolve().parent.parent
LORA = "rubber-tile-lora-v4_sdxl_lora.safetensors"
EMBEDDINGS = "rubber-tile-lora-v4_sdxl_embeddings.safetensors"


def weight_file(path: Path, megabytes: float = 0.01) -> Path:
    """A valid safetensors file of about this size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"weight": torch.zeros(max(1, int(megabytes * 1024**2 / 4)))}, path)
    return path


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A project folder with the real cog.yaml, .dockerignore and requirements, and unbaked weights."""
    for name in ("cog.yaml", ".dockerignore", "requirements.txt", "predict.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    models = tmp_path / "model_files"
    pipeline_folder(models / "sdxl-base", 12)
    weight_file(models / LORA, 11)
    weight_file(models / EMBEDDINGS)
    return tmp_path


def pipeline_folder(folder: Path, megabytes: float) -> Path:
    """A diffusers pipeline folder as setup() checks it: model_index.json, a component with its config and weights."""
    weight_file(folder / "unet" / "diffusion_pytorch_model.fp16.safetensors", megabytes)
    (folder / "unet" / "config.json").write_text("{}")
    (folder / "model_index.json").write_text(
        '{"_class_name": "StableDiffusionXLPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}'
    )
    return folder


def bake_into(project: Path) -> Path:
    baked = pipeline_folder(project / "model_files" / "sdxl-baked", 12.5)
    BakeRecord("base", "lora", 0.7, 10, ("<s0>", "<s1>"), "vae").write(baked / BAKE_RECORD_NAME)
    return baked


def test_an_unbaked_layout_is_ready_and_setup_reads_base_lora_and_embeddings(project: Path) -> None:
    report = check_deploy(project)
    assert report.problems == ()
    assert set(report.setup_reads) == {
        "model_files/sdxl-base/model_index.json",
        "model_files/sdxl-base/unet/config.json",
        "model_files/sdxl-base/unet/diffusion_pytorch_model.fp16.safetensors",
        f"model_files/{LORA}",
        f"model_files/{EMBEDDINGS}",
    }
    carried = {file.path for file in report.image_files}
    assert set(report.setup_reads) <= carried and "predict.py" in carried
    assert report.image_bytes > 23 * 1024**2


def test_a_bake_beside_its_sources_is_refused_until_they_move_aside(project: Path) -> None:
    baked = bake_into(project)
    report = check_deploy(project)
    assert any("model_files/sdxl-base" in p and "rides along" in p for p in report.problems)
    assert any(LORA in p and "rides along" in p for p in report.problems)
    moved = move_sources_aside(
        weights_from_env({"TILE_MODEL_DIR": str(project / "model_files")}), project / "model_files"
    )
    assert {source.name for source, _ in moved} == {"sdxl-base", LORA, EMBEDDINGS}
    report = check_deploy(project)
    assert report.problems == ()
    assert all(path.startswith("model_files/sdxl-baked/") for path in report.setup_reads)
    assert not any("unbaked" in file.path for file in report.image_files)  # .dockerignore leaves them out
    assert weights_from_env({"TILE_MODEL_DIR": str(project / "model_files")}).baked == baked
    # A re-bake finds the moved sources where the bake put them.
    assert (
        weights_from_env({"TILE_MODEL_DIR": str(project / "model_files")}).lora
        == project / "model_files" / "unbaked" / LORA
    )


def test_separate_weights_would_push_the_sources_that_dockerignore_hides(project: Path) -> None:
    bake_into(project)
    move_sources_aside(weights_from_env({"TILE_MODEL_DIR": str(project / "model_files")}), project / "model_files")
    report = check_deploy(project, separate_weights=True)
    assert any("--separate-weights would push model_files/unbaked/" in p for p in report.problems)


def test_a_missing_lora_and_a_git_lfs_pointer_are_refused(project: Path) -> None:
    (project / "model_files" / LORA).unlink()
    (project / "model_files" / EMBEDDINGS).write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 8344\n"
    )
    report = check_deploy(project)
    assert (
        f"missing weight: model_files/{LORA} (setup() fails with TILE_BACKEND=sdxl; see model_files/README.md)"
        in report.problems
    )
    assert any("Git LFS pointer" in p and EMBEDDINGS in p for p in report.problems)


def test_the_same_weights_twice_and_unread_large_files_are_reported(project: Path) -> None:
    shutil.copy(project / "model_files" / LORA, project / "model_files" / "lora-copy.safetensors")
    report = check_deploy(project)
    assert any(p.startswith("the same") and "lora-copy.safetensors" in p and LORA in p for p in report.problems)
    assert any("lora-copy.safetensors" in note and "never reads" in note for note in report.notes)
    assert (project / "model_files" / LORA).stat().st_size >= WEIGHT_FILE_BYTES


def test_an_unpinned_sdk_and_the_deprecated_predict_key_are_refused(project: Path) -> None:
    text = (project / "cog.yaml").read_text().replace('  sdk_version: "0.23.1"\n', "").replace("run:", "predict:")
    (project / "cog.yaml").write_text(text)
    problems = check_deploy(project).problems
    assert any("sdk_version is unset" in p for p in problems)
    assert any("`predict:` is deprecated" in p for p in problems)


def test_the_script_prints_the_report_and_fails_on_problems(project: Path, capsys) -> None:
    main = load_script("check_deploy.py").main
    assert main(["--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "The image will carry" in out and "setup() will load 5 files" in out and "ready to push" in out
    assert "cog SDK in the image: 0.23.1" in out and "CUDA: 13.0" in out
    (project / "model_files" / LORA).unlink()
    assert main(["--project", str(project)]) == 1
    assert f"PROBLEM: missing weight: model_files/{LORA}" in capsys.readouterr().out


def test_a_baked_folder_setup_would_refuse_is_refused_here(project: Path) -> None:
    baked = bake_into(project)
    move_sources_aside(weights_from_env({"TILE_MODEL_DIR": str(project / "model_files")}), project / "model_files")
    (baked / BAKE_RECORD_NAME).write_text("{}")
    (baked / "unet" / "config.json").unlink()
    problems = check_deploy(project).problems
    assert any("is not a bake record" in p and "bake_weights.py again" in p for p in problems)
    assert any("no config.json" in p for p in problems) or any("not a model folder" in p for p in problems)


def test_the_granule_library_reaches_the_image_and_leaving_it_out_is_a_problem(project: Path) -> None:
    data = project / "rubber_tile" / "data"
    data.mkdir(parents=True)
    for name in ("palette.json", "granule_ids.png", "granule_levels.png", "granule_library.json"):
        (data / name).write_bytes(b"x")
    report = check_deploy(project)
    assert report.problems == ()
    assert {file.path for file in report.runtime_data} == {f"rubber_tile/data/{name}" for name in ("palette.json", "granule_ids.png", "granule_levels.png", "granule_library.json")}
    ignore = project / ".dockerignore"
    ignore.write_text(ignore.read_text().replace("!rubber_tile/data/granule_*.png", "rubber_tile/data/*.png"))
    problems = check_deploy(project).problems
    assert len(problems) == 2 and all("runtime data" in problem and ".png" in problem for problem in problems)
