from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rubber_tile.analyzer import LABEL_BACKGROUND, LABEL_GAP, classify_pixels, find_tile_face, measure_shares
from rubber_tile.colors.vocabulary import TILE_COLORS
from rubber_tile.images import as_rgb_array
from rubber_tile.mix import parse_color_list
from rubber_tile_dev.synthetic.palette_tiles import make_tile
from tests.support.scripts import load_script


def assert_shares_close(measured: dict[str, float], truth: dict[str, float], tolerance_pp: float) -> None:
    assert set(measured) == set(truth)
    assert abs(sum(measured.values()) - 100.0) < 1e-6
    for name, percent in truth.items():
        assert abs(measured[name] - percent) <= tolerance_pp, (name, measured, truth)


@pytest.mark.parametrize(
    "mix",
    [
        {"red": 30, "blue": 70},
        {"black": 25, "white": 55, "yellow": 20},
        {"dark green": 10, "orange": 40, "sky blue": 20, "pearl": 30},
    ],
)
def test_known_mix_with_border_gaps_and_noise_measures_within_1pp(mix: dict[str, float]) -> None:
    tile = make_tile(mix, border=40, seed=len(mix))
    result = measure_shares(tile.rgb, list(mix))
    assert_shares_close(result.shares, tile.true_shares(), 1.0)
    assert list(result.shares) == list(mix)


def test_full_frame_texture_is_measured_all_over() -> None:
    tile = make_tile({"grass green": 60, "sand": 40}, border=0, seed=3)
    result = measure_shares(tile.rgb, ["grass green", "sand"])
    assert result.face_fraction == 1.0
    assert_shares_close(result.shares, tile.true_shares(), 1.0)


def test_bevelled_edge_is_not_counted() -> None:
    tile = make_tile({"terracotta": 35, "beige": 65}, border=40, bevel_px=6, seed=5)
    result = measure_shares(tile.rgb, ["terracotta", "beige"])
    assert_shares_close(result.shares, tile.true_shares(), 1.0)
    face = find_tile_face(tile.rgb)
    assert face[tile.granule_color == -2].mean() < 0.01
    assert face[tile.granule_color >= 0].mean() > 0.85


def test_jpeg_compressed_tile_measures_within_2pp() -> None:
    # JPEG's chroma subsampling smears colour over two pixels at every granule edge (blue next
    # to red turns violet), which costs up to a point on top of what the uncompressed tile holds.
    tile = make_tile({"red": 30, "blue": 50, "yellow": 20}, border=30, seed=7)
    buffer = io.BytesIO()
    Image.fromarray(tile.rgb).save(buffer, format="JPEG", quality=90)
    result = measure_shares(Image.open(io.BytesIO(buffer.getvalue())), ["red", "blue", "yellow"])
    assert_shares_close(result.shares, tile.true_shares(), 2.0)


def test_gaps_are_counted_for_no_color() -> None:
    # 640 px like the owner's photos, granules of 12 px with 2 px gaps.
    tile = make_tile({"yellow": 50, "violet": 50}, face_side=560, border=40, granule_px=12.0, gap_px=2.0, seed=11)
    result = measure_shares(tile.rgb, ["yellow", "violet"])
    true_gap = (tile.granule_color == -1).sum() / (tile.granule_color != -2).sum()
    assert abs(result.gap_fraction - true_gap) < 0.03
    assert_shares_close(result.shares, tile.true_shares(), 1.0)


@pytest.mark.parametrize(
    "mix",
    [{"red": 30, "blue": 70}, {"black": 20, "white": 80}, {"lime green": 15, "violet": 35, "beige": 50}],
)
def test_open_mode_finds_exactly_the_colors_present(mix: dict[str, float]) -> None:
    tile = make_tile(mix, border=40, seed=13)
    result = measure_shares(tile.rgb)
    assert set(result.shares) == set(mix)
    assert_shares_close(result.shares, tile.true_shares(), 1.0)
    assert list(result.shares.values()) == sorted(result.shares.values(), reverse=True)


def test_pixel_labels_match_the_true_granule_colors() -> None:
    tile = make_tile({"red": 40, "sky blue": 35, "white": 25}, border=40, seed=17)
    labels, shares = classify_pixels(tile.rgb, ["red", "sky blue", "white"])
    assert labels.colors == ("red", "sky blue", "white")
    assert labels.labels.shape == tile.rgb.shape[:2]
    assert (labels.labels[:10, :10] == LABEL_BACKGROUND).all()
    granules = tile.granule_color >= 0
    inside = granules & (labels.labels >= 0)
    agreement = (labels.labels[inside] == tile.granule_color[inside]).mean()
    assert agreement > 0.97
    assert (labels.labels[tile.granule_color == -1] == LABEL_GAP).mean() > 0.9
    hard_shares = np.bincount(labels.labels[labels.labels >= 0], minlength=3) / (labels.labels >= 0).sum()
    for index, name in enumerate(labels.colors):
        assert abs(100 * hard_shares[index] - shares.shares[name]) < 2.0


def test_solid_black_granules_are_not_taken_for_gaps() -> None:
    # Generated images draw black granules as solid black, darker than any gap threshold.
    tile = make_tile({"black": 40, "white": 60}, border=0, gap_px=0.0, seed=29)
    granule = tile.granule_color >= 0
    tile.rgb[granule & (tile.granule_color == 0)] = (0, 0, 0)
    result = measure_shares(tile.rgb, ["black", "white"])
    assert_shares_close(result.shares, tile.true_shares(), 1.0)
    assert result.gap_fraction < 0.01


def test_single_color_tile_is_all_that_color_in_open_mode() -> None:
    tile = make_tile({"salmon": 100}, border=40, seed=19)
    assert measure_shares(tile.rgb).shares == {"salmon": 100.0}


def test_color_lists_accept_aliases_and_codes_and_refuse_unknown_colors() -> None:
    assert parse_color_list(["RED", "чёрный", "Dark Grey", "red"]) == ("red", "black", "dark gray")
    with pytest.raises(ValueError, match="unknown colour 'purpel'"):
        parse_color_list(["purpel"])
    with pytest.raises(ValueError, match="empty"):
        parse_color_list([])


def test_the_analyzer_takes_canonical_names_only() -> None:
    tile = make_tile({"red": 50, "white": 50}, seed=2)
    with pytest.raises(ValueError, match="not canonical colour names"):
        measure_shares(tile.rgb, ["RED", "white"])


def test_error_paths_give_clear_messages() -> None:
    with pytest.raises(ValueError, match="empty"):
        measure_shares(np.zeros((0, 10, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="no tile face"):
        measure_shares(np.full((100, 100, 3), 255, dtype=np.uint8))
    with pytest.raises(ValueError, match="height x width x 3"):
        as_rgb_array(np.zeros((5, 5, 2), dtype=np.uint8))


@dataclass(frozen=True)
class ScriptRun:
    returncode: int
    stdout: str
    stderr: str


def run_measure(capsys: pytest.CaptureFixture, *args: str) -> ScriptRun:
    returncode = load_script("measure_colors.py").main(list(args))
    captured = capsys.readouterr()
    return ScriptRun(returncode, captured.out, captured.err)


def test_measure_script_prints_json_with_errors_against_the_mix(tmp_path: Path, capsys) -> None:
    tile = make_tile({"red": 50, "black": 30, "white": 20}, border=30, seed=23)
    path = tmp_path / "tile.png"
    Image.fromarray(tile.rgb).save(path)
    completed = run_measure(capsys, str(path), "--mix", "50% red, 30% black, 20% white", "--json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert set(document["measured"]) == {"red", "black", "white"}
    assert abs(sum(document["measured"].values()) - 100.0) < 0.05
    assert document["asked"] == {"red": 50.0, "black": 30.0, "white": 20.0}
    errors = [abs(document["measured"][c] - document["asked"][c]) for c in document["asked"]]
    assert document["max_abs_error_pp"] == pytest.approx(max(errors), abs=0.02)
    assert document["mean_abs_error_pp"] == pytest.approx(sum(errors) / 3, abs=0.02)

    table = run_measure(capsys, str(path))
    assert table.returncode == 0 and "red" in table.stdout and "{" not in table.stdout


def test_measure_script_says_which_colors_are_there_but_not_in_the_mix(tmp_path: Path, capsys) -> None:
    path = tmp_path / "tile.png"
    Image.fromarray(make_tile({"red": 60, "blue": 40}, border=30, seed=5).rgb).save(path)
    document = json.loads(run_measure(capsys, str(path), "--mix", "100% red", "--json").stdout)
    assert document["found_outside_mix"]["blue"] == pytest.approx(40.0, abs=3.0)
    table = run_measure(capsys, str(path), "--mix", "100% red")
    assert "warning: the image also shows colours not in --mix (blue 4" in table.stdout


def test_measure_script_reads_a_16_bit_image_scaled_not_clipped(tmp_path: Path, capsys) -> None:
    tile = make_tile({"black": 30, "white": 70}, border=30, seed=6)
    grey = np.asarray(Image.fromarray(tile.rgb).convert("L"), dtype=np.uint16) * 257
    Image.fromarray(grey).save(tmp_path / "tile16.png")
    document = json.loads(run_measure(capsys, str(tmp_path / "tile16.png"), "--mix", "30% black, 70% white", "--json").stdout)
    assert document["mean_abs_error_pp"] < 3.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{missing}",), "image not found"),
        (("{text}",), "cannot read"),
        (("{image}", "--mix", "50% red, 50% blurple"), "unknown colour 'blurple'"),
        (("{blank}",), "no tile face"),
    ],
)
def test_measure_script_user_errors_are_one_line_without_traceback(tmp_path: Path, capsys, args, message) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    Image.fromarray(make_tile({"red": 100}, face_side=64, seed=1).rgb).save(tmp_path / "tile.png")
    Image.new("RGB", (80, 80), "white").save(tmp_path / "blank.png")
    paths = {
        "missing": tmp_path / "nope.png",
        "text": tmp_path / "notes.txt",
        "image": tmp_path / "tile.png",
        "blank": tmp_path / "blank.png",
    }
    completed = run_measure(capsys, *(a.format(**paths) for a in args))
    assert completed.returncode == 2
    assert message in completed.stderr
    assert completed.stderr.count("\n") == 1 and completed.stdout == ""


# Real photos: the owner's data, never committed; skipped where absent.


def test_real_two_color_photo_given_the_colors(shared_data_dir: Path) -> None:
    image = Image.open(shared_data_dir / "photos" / "REDp30_BLUEp70_top.jpg")
    result = measure_shares(image, ["red", "blue"])
    assert abs(result.shares["red"] - 30) < 3 and abs(result.shares["blue"] - 70) < 3
    assert 0.5 < result.face_fraction < 0.8


def test_real_black_white_photo_given_the_colors(shared_data_dir: Path) -> None:
    image = Image.open(shared_data_dir / "photos" / "BLACKp75_WHITEp25_top.jpg")
    result = measure_shares(image, ["black", "white"])
    assert abs(result.shares["black"] - 75) < 3


@pytest.mark.parametrize("code", ["PEARL", "WHITE", "DKGRAY", "BLACK", "TERCOT", "LTGREEN"])
def test_real_single_color_photo_in_open_mode(shared_data_dir: Path, code: str) -> None:
    name = next(c.name for c in TILE_COLORS if c.code == code)
    result = measure_shares(Image.open(shared_data_dir / "photos" / f"{code}_top.jpg"))
    assert result.shares.get(name, 0.0) >= 95.0, result.shares


def test_real_photo_face_excludes_the_white_background(shared_data_dir: Path) -> None:
    rgb = as_rgb_array(Image.open(shared_data_dir / "photos" / "WHITE_top.jpg"))
    face = find_tile_face(rgb)
    assert not face[:20].any() and not face[-20:].any() and not face[:, :20].any()
    assert face[rgb.shape[0] // 2, rgb.shape[1] // 2]
    assert 0.55 < face.mean() < 0.8
