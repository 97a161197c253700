"""The evaluation scripts (scripts/eval/): reports, sheets and the palette build, on synthetic and real data."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.colors.palette import load_palette
from rubber_tile_dev.evaluation.owner_data import mix_from_photo_name
from rubber_tile_dev.evaluation.palette_fit import face_lab, typical_color
from rubber_tile_dev.synthetic.palette_tiles import make_tile

EVAL_SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "eval"


def _script_main(name: str):
    """The `main` of scripts/eval/<name>.py, run as a file (scripts are not a package)."""
    return runpy.run_path(str(EVAL_SCRIPTS / f"{name}.py"), run_name=f"eval_script_{name}")["main"]


def test_evaluation_script_reports_asked_versus_measured(tmp_path: Path, capsys) -> None:
    main = _script_main("evaluate_colors")

    data = tmp_path / "data"
    (data / "photos").mkdir(parents=True)
    (data / "model_outputs").mkdir()
    mix = make_tile({"red": 30, "blue": 70}, border=40, seed=31)
    Image.fromarray(mix.rgb).save(data / "photos" / "REDp30_BLUEp70_top.png")
    Image.fromarray(make_tile({"yellow": 100}, border=40, seed=37).rgb).save(data / "photos" / "YELLOW_top.png")
    Image.fromarray(make_tile({"red": 50, "white": 50}, seed=41).rgb).save(data / "model_outputs" / "a.png")
    (data / "manifest.csv").write_text(
        "file,kind,mix,complete\n"
        'photos/REDp30_BLUEp70_top.png,photo,"30% red, 70% blue",yes\n'
        "photos/YELLOW_top.png,photo,100% yellow,yes\n"
        'model_outputs/a.png,sdxl_lora_output,"50% red, 50% green",yes\n'
    )
    report_path = tmp_path / "report.md"
    assert main(["--data", str(data), "--out", str(report_path)]) == 0
    report = report_path.read_text()
    truth = mix.true_shares()
    row = next(line for line in report.splitlines() if line.startswith("| REDp30_BLUEp70_top.png |"))
    measured_red = float(re.search(r"(\d+)% red", row.split("|")[3]).group(1))
    assert abs(measured_red - truth["red"]) <= 1.5  # 1 pp, and the table rounds to whole percent
    assert "| YELLOW_top.png | yellow | 100.0% |" in report
    assert "not scored: 'green' could be several tile colours" in report
    assert "precision 1.00, recall 1.00" in report


def test_evaluation_script_without_data_says_so(tmp_path: Path, capsys) -> None:
    main = _script_main("evaluate_colors")

    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "r.md")]) == 2
    assert "manifest not found" in capsys.readouterr().err


def test_photo_names_give_their_mix() -> None:
    assert mix_from_photo_name("BLACKp30_WHITEp70_top.jpg") == {"black": 30.0, "white": 70.0}
    assert mix_from_photo_name("PEARL_top.jpg") == {"pearl": 100.0}
    assert mix_from_photo_name("BLUEp10_DKGREENp30_REDp60_top.jpg") == {"blue": 10.0, "dark green": 30.0, "red": 60.0}
    assert mix_from_photo_name("BLACKp30_WHITEp60_top.jpg") is None  # does not add up to 100
    assert mix_from_photo_name("NOSUCHp50_REDp50_top.jpg") is None
    assert mix_from_photo_name("notes.txt") is None


def test_compare_sheet_pairs_a_real_photo_with_its_preview(shared_data_dir: Path, tmp_path: Path) -> None:
    main = _script_main("compare_sheet")
    out = tmp_path / "sheets"
    arguments = ["--photos", str(shared_data_dir / "photos"), "--out", str(out), "--no-examples"]
    assert main([*arguments, "--only", "BLACKp30_WHITEp70_top.jpg"]) == 0
    sheets = sorted(p.name for p in out.glob("*.jpg"))
    assert sheets == ["compare_BLACKp30_WHITEp70_top.jpg", "compare_overview.jpg"]
    with Image.open(out / sheets[0]) as sheet:
        assert sheet.width > 1.8 * 640  # the photo and the preview side by side


def test_compare_sheet_skips_without_the_photos(tmp_path: Path) -> None:
    main = _script_main("compare_sheet")
    assert main(["--photos", str(tmp_path / "absent"), "--out", str(tmp_path / "out"), "--no-examples"]) == 0
    assert not list((tmp_path / "out").glob("*"))


def test_build_palette_reproduces_the_committed_numbers(shared_data_dir) -> None:
    measured = typical_color(face_lab(shared_data_dir / "photos" / "RED_top.jpg"))
    stored = load_palette()["red"]
    np.testing.assert_allclose(measured["lab"], stored.lab, atol=0.05)
    np.testing.assert_allclose(measured["lab_spread"], stored.lab_spread, atol=0.05)
