from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from color_analyzer import (
    LABEL_BACKGROUND,
    LABEL_GAP,
    as_rgb_array,
    classify_pixels,
    find_tile_face,
    measure_shares,
    resolve_color_names,
)
from palette import PaletteColor, lab_to_srgb_uint8, load_palette

PROJECT_DIR = Path(__file__).resolve().parent.parent
MEASURE_SCRIPT = PROJECT_DIR / "scripts" / "measure_colors.py"


@dataclass(frozen=True)
class SyntheticTile:
    rgb: np.ndarray  # HxWx3 uint8
    granule_color: np.ndarray  # HxW index into colors; -1 for gaps, -2 for background
    colors: tuple[str, ...]

    def true_shares(self) -> dict[str, float]:
        counts = np.bincount(self.granule_color[self.granule_color >= 0], minlength=len(self.colors))
        return {name: 100.0 * c / counts.sum() for name, c in zip(self.colors, counts)}


def sample_appearance(color: PaletteColor, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 3) CIELAB colours drawn from the colour's appearance mixture, kept out of the gap range."""
    weights = np.array([g.weight for g in color.appearance])
    component = rng.choice(len(weights), size=count, p=weights / weights.sum())
    lab = np.empty((count, 3))
    for index, gaussian in enumerate(color.appearance):
        chosen = component == index
        lab[chosen] = rng.multivariate_normal(gaussian.mean, gaussian.covariance, size=int(chosen.sum()))
    lab[:, 0] = np.clip(lab[:, 0], 12.0, 100.0)
    return lab


def make_tile(
    mix: dict[str, float],
    *,
    face_side: int = 320,
    border: int = 0,
    granule_px: float = 9.0,
    gap_px: float = 1.0,
    noise_sd: float = 3.0,
    bevel_px: int = 0,
    seed: int = 0,
) -> SyntheticTile:
    """A speckled tile: Voronoi granules of palette colours in the given proportions, dark gaps along
    cell borders, pixel noise, optionally a shaded bevel and a white border."""
    rng = np.random.default_rng(seed)
    palette = load_palette()
    colors = tuple(mix)
    cells = int(face_side**2 / granule_px**2)
    centres = rng.uniform(0, face_side, size=(cells, 2))
    weights = np.array([mix[c] for c in colors], dtype=float)
    cell_color = rng.choice(len(colors), size=cells, p=weights / weights.sum())
    yy, xx = np.mgrid[0:face_side, 0:face_side]
    distances, nearest = cKDTree(centres).query(np.stack([yy.ravel(), xx.ravel()], axis=1), k=2)
    # Distance to the border between the two nearest cells: gaps are lines gap_px wide.
    centre_distance = np.linalg.norm(centres[nearest[:, 0]] - centres[nearest[:, 1]], axis=1)
    to_border = (distances[:, 1] ** 2 - distances[:, 0] ** 2) / (2.0 * centre_distance)
    is_gap = (to_border < gap_px / 2.0).reshape(face_side, face_side)
    nearest_cell = nearest[:, 0].reshape(face_side, face_side)

    pixel_color = cell_color[nearest_cell]
    # Facets of one granule catch the light differently: each pixel is drawn from its colour's
    # appearance model, so the image holds exactly the colour distributions the palette measured.
    lab = np.empty((face_side, face_side, 3))
    for index, name in enumerate(colors):
        chosen = pixel_color == index
        lab[chosen] = sample_appearance(palette[name], int(chosen.sum()), rng)
    lab[is_gap] = (4.0, 0.0, 0.0)
    face_rgb = lab_to_srgb_uint8(lab).astype(float)
    if bevel_px:
        edge = np.minimum.reduce([yy, xx, face_side - 1 - yy, face_side - 1 - xx])
        face_rgb *= np.clip(0.55 + 0.45 * edge / bevel_px, 0.55, 1.0)[..., None]
    face_rgb += rng.normal(0, noise_sd, size=face_rgb.shape)
    face_rgb = np.clip(np.rint(face_rgb), 0, 255).astype(np.uint8)

    granule_color = np.where(is_gap, -1, pixel_color)
    if bevel_px:
        # The bevel is not part of the face: the truth counts the flat top only.
        granule_color[edge < bevel_px] = -2
    side = face_side + 2 * border
    rgb = np.full((side, side, 3), 255, dtype=np.uint8)
    rgb[border : border + face_side, border : border + face_side] = face_rgb
    labels = np.full((side, side), -2, dtype=int)
    labels[border : border + face_side, border : border + face_side] = granule_color
    return SyntheticTile(rgb=rgb, granule_color=labels, colors=colors)


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


def test_gaps_are_counted_for_no_colour() -> None:
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
def test_open_mode_finds_exactly_the_colours_present(mix: dict[str, float]) -> None:
    tile = make_tile(mix, border=40, seed=13)
    result = measure_shares(tile.rgb)
    assert set(result.shares) == set(mix)
    assert_shares_close(result.shares, tile.true_shares(), 1.0)
    assert list(result.shares.values()) == sorted(result.shares.values(), reverse=True)


def test_pixel_labels_match_the_true_granule_colours() -> None:
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


def test_single_colour_tile_is_all_that_colour_in_open_mode() -> None:
    tile = make_tile({"salmon": 100}, border=40, seed=19)
    assert measure_shares(tile.rgb).shares == {"salmon": 100.0}


def test_accepts_aliases_and_codes_and_refuses_unknown_colours() -> None:
    assert resolve_color_names(["RED", "чёрный", "Dark Grey", "red"]) == ("red", "black", "dark gray")
    with pytest.raises(ValueError, match="unknown colour 'purple'"):
        resolve_color_names(["purple"])
    with pytest.raises(ValueError, match="empty"):
        resolve_color_names([])


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
    sys.path.insert(0, str(MEASURE_SCRIPT.parent))
    from measure_colors import main

    returncode = main(list(args))
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
    assert document["requested"] == {"red": 50.0, "black": 30.0, "white": 20.0}
    errors = [abs(document["measured"][c] - document["requested"][c]) for c in document["requested"]]
    assert document["max_abs_error_pp"] == pytest.approx(max(errors), abs=0.02)
    assert document["mean_abs_error_pp"] == pytest.approx(sum(errors) / 3, abs=0.02)

    table = run_measure(capsys, str(path))
    assert table.returncode == 0 and "red" in table.stdout and "{" not in table.stdout


def test_measure_script_says_which_colours_are_there_but_not_in_the_mix(tmp_path: Path, capsys) -> None:
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
        (("{image}", "--mix", "50% red, 50% cream"), "unknown colour 'cream'"),
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


def test_real_two_colour_photo_given_the_colours(shared_data_dir: Path) -> None:
    image = Image.open(shared_data_dir / "photos" / "REDp30_BLUEp70_top.jpg")
    result = measure_shares(image, ["red", "blue"])
    assert abs(result.shares["red"] - 30) < 3 and abs(result.shares["blue"] - 70) < 3
    assert 0.5 < result.face_fraction < 0.8


def test_real_black_white_photo_given_the_colours(shared_data_dir: Path) -> None:
    image = Image.open(shared_data_dir / "photos" / "BLACKp75_WHITEp25_top.jpg")
    result = measure_shares(image, ["black", "white"])
    assert abs(result.shares["black"] - 75) < 3


@pytest.mark.parametrize("code", ["PEARL", "WHITE", "DKGRAY", "BLACK", "TERCOT", "LTGREEN"])
def test_real_single_colour_photo_in_open_mode(shared_data_dir: Path, code: str) -> None:
    from tile_colors import TILE_COLORS

    name = next(c.name for c in TILE_COLORS if c.code == code)
    result = measure_shares(Image.open(shared_data_dir / "photos" / f"{code}_top.jpg"))
    assert result.shares.get(name, 0.0) >= 95.0, result.shares


def test_real_photo_face_excludes_the_white_background(shared_data_dir: Path) -> None:
    rgb = as_rgb_array(Image.open(shared_data_dir / "photos" / "WHITE_top.jpg"))
    face = find_tile_face(rgb)
    assert not face[:20].any() and not face[-20:].any() and not face[:, :20].any()
    assert face[rgb.shape[0] // 2, rgb.shape[1] // 2]
    assert 0.55 < face.mean() < 0.8


def test_evaluation_script_reports_asked_versus_measured(tmp_path: Path, capsys) -> None:
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    from evaluate_colors import main

    data = tmp_path / "data"
    (data / "photos").mkdir(parents=True)
    (data / "model_outputs").mkdir()
    mix = make_tile({"red": 30, "blue": 70}, border=40, seed=31)
    Image.fromarray(mix.rgb).save(data / "photos" / "REDp30_BLUEp70_top.png")
    Image.fromarray(make_tile({"yellow": 100}, border=40, seed=37).rgb).save(data / "photos" / "YELLOW_top.png")
    Image.fromarray(make_tile({"red": 50, "white": 50}, seed=41).rgb).save(data / "model_outputs" / "a.png")
    (data / "manifest.csv").write_text(
        "file,kind,mix,complete\n"
        "photos/REDp30_BLUEp70_top.png,photo,\"30% red, 70% blue\",yes\n"
        "photos/YELLOW_top.png,photo,100% yellow,yes\n"
        "model_outputs/a.png,sdxl_lora_output,\"50% red, 50% green\",yes\n"
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
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    from evaluate_colors import main

    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "r.md")]) == 2
    assert "manifest not found" in capsys.readouterr().err
