"""The visualiser's Python side (rubber_tile/visualise/, scripts/visualise.py) on courtyards ray cast with
known geometry and light (rubber_tile_dev/synthetic/courtyard.py): where the laid area's corners and
seams fall, how a cast shadow carries over, the checks of bad corners, mixes and photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from rubber_tile.visualise import AreaError, estimate_area_size, visualise
from rubber_tile.visualise.geometry import photo_to_plane, square_to_quad
from rubber_tile_dev.synthetic.courtyard import render
from rubber_tile_dev.synthetic.courtyard_scenes import courtyard_for_tests
from rubber_tile_dev.visualiser_checks import (
    direction_errors_deg,
    inside,
    laid_corners,
    light_regions,
    seam_lines,
    shadow_ratio,
)
from tests.support.scripts import load_script

GREEN = np.zeros((64, 64, 3), np.uint8) + np.array([40, 200, 60], np.uint8)
GREY = np.full((64, 64, 3), 150, np.uint8)
cli = load_script("visualise.py")


@pytest.fixture(scope="module")
def courtyard():
    scene = courtyard_for_tests(400, 300, seed=5)
    return scene, render(scene)


@pytest.fixture(scope="module")
def turned_courtyard():
    scene = courtyard_for_tests(400, 300, seed=6, yaw_deg=8.0)
    return scene, render(scene)


def lay(scene, picture, texture, **options) -> np.ndarray:
    size = (scene.area.width_m, scene.area.depth_m)
    return np.asarray(visualise(Image.fromarray(picture["photo"]), scene.corners_px(), texture, size_m=size, **options))


def test_the_laid_area_sits_within_2_px_of_the_marked_corners(turned_courtyard) -> None:
    scene, picture = turned_courtyard
    result = lay(scene, picture, GREEN, seamless=True, seed=1)
    found = laid_corners(picture["photo"], result, scene.corners_px())
    errors = [float(np.hypot(*(f - np.array(c)))) for f, c in zip(found, scene.corners_px(), strict=True)]
    assert max(errors) <= 2.0, errors


def test_the_seams_run_to_the_vanishing_points_of_the_ground(turned_courtyard) -> None:
    scene, picture = turned_courtyard
    tiles, seamless = lay(scene, picture, GREY, seed=2), lay(scene, picture, GREY, seed=2, seamless=True)
    width_mm, depth_mm = scene.area.width_m * 1000, scene.area.depth_m * 1000
    plane_to_image = np.linalg.inv(photo_to_plane(scene.corners_px(), width_mm, depth_mm).matrix)
    lines = seam_lines(tiles, seamless, plane_to_image, width_mm, depth_mm)
    along, across = scene.area.axes()
    # Seams at X = const run along the depth; at Y = const along the width.
    for axis, direction in (("width", across), ("depth", along)):
        assert len(lines[axis]) >= 4, f"{axis}: {len(lines[axis])} seams found"
        vanishing = np.append(scene.camera.vanishing_point(direction), 1.0)
        errors = direction_errors_deg(lines[axis], vanishing)
        assert max(errors) < 0.6 and np.median(errors) < 0.3, (axis, errors)


def test_a_cast_shadow_darkens_the_surface_by_the_photos_ratio(courtyard) -> None:
    scene, picture = courtyard
    result = lay(scene, picture, GREY, seamless=True, seed=3)
    area = inside(scene.corners_px(), result.shape[:2], margin=6)
    shadow, sun = light_regions(picture["visibility"], area, margin=6)
    assert shadow.sum() > 300 and sun.sum() > 3000
    in_photo = shadow_ratio(picture["photo"], shadow, sun)
    laid = shadow_ratio(result, shadow, sun)
    assert in_photo == pytest.approx(scene.shadow_ratio, rel=0.12)
    assert laid == pytest.approx(in_photo, rel=0.06), (laid, in_photo, scene.shadow_ratio)


def test_a_masked_object_keeps_the_photo_and_the_rest_is_laid(courtyard) -> None:
    scene, picture = courtyard
    mask = np.where(picture["objects"], 255, 0).astype(np.uint8)
    result = lay(scene, picture, GREEN, seamless=True, seed=4, mask=mask)
    area = inside(scene.corners_px(), result.shape[:2], margin=3)
    legs = area & picture["objects"]
    assert legs.sum() > 20
    assert np.array_equal(result[legs], picture["photo"][legs])
    ground = area & ~picture["objects"]
    greener = result[ground][:, 1].astype(int) - result[ground][:, 0].astype(int)
    assert np.mean(greener > 20) > 0.99


def test_a_mask_brushed_a_little_wide_snaps_to_the_object(courtyard) -> None:
    scene, picture = courtyard
    brushed = ndimage.binary_dilation(picture["objects"], iterations=1)  # the snap reaches 1 px at 400 px (2.5 at 1280)
    result = lay(scene, picture, GREEN, seamless=True, seed=4, mask=np.where(brushed, 255, 0).astype(np.uint8))
    area = inside(scene.corners_px(), result.shape[:2], margin=3)
    legs = area & ndimage.binary_erosion(picture["objects"], iterations=1)
    assert legs.sum() > 10 and np.array_equal(result[legs], picture["photo"][legs])
    rim = area & brushed & ~picture["objects"]  # old ground under the brush
    assert rim.sum() > 20
    greener = result[rim][:, 1].astype(int) - result[rim][:, 0].astype(int)
    assert np.mean(greener > 20) > 0.8, np.mean(greener > 20)  # without the snap: none


def test_the_size_of_the_area_is_estimated_from_a_phone_at_standing_height(courtyard) -> None:
    scene, _ = courtyard  # the courtyard's camera is the assumed one: 26 mm equivalent, 1.6 m up
    width, depth = estimate_area_size(scene.corners_px(), scene.camera.width, scene.camera.height)
    assert (width, depth) == pytest.approx((scene.area.width_m, scene.area.depth_m), abs=0.11)


def test_the_homography_takes_the_plane_to_the_corners() -> None:
    corners = [(10.0, 200.0), (300.0, 210.0), (250.0, 80.0), (60.0, 70.0)]
    square = square_to_quad(corners)
    for (u, v), corner in zip(((0, 0), (1, 0), (1, 1), (0, 1)), corners, strict=True):
        x, y, w = square @ np.array([u, v, 1.0])
        assert (x / w, y / w) == pytest.approx(corner, abs=1e-9)
    plane = photo_to_plane(corners, 4000.0, 3000.0)
    assert plane.apply(*corners[2])[:2] == pytest.approx((4000.0, 3000.0), abs=1e-6)


@pytest.mark.parametrize(
    ("corners", "message"),
    [
        ([(10, 10), (100, 10), (100, 100)], "exactly 4 corners"),
        ([(10, 10), (500, 10), (100, 100), (10, 100)], "corner 2 (500, 10) is outside the photo"),
        ([(10, 10), (100, 100), (100, 10), (10, 100)], "cross each other"),
        ([(10, 10), (100, 10), (40, 40), (10, 100)], "points inwards"),
        ([(10, 10), (12, 10), (12, 12), (10, 12)], "too small"),
    ],
)
def test_bad_corners_are_refused_saying_what_to_fix(corners, message) -> None:
    photo = Image.new("RGB", (300, 200), (120, 120, 120))
    with pytest.raises(AreaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        visualise(photo, corners, GREY, size_m=(3, 3))


def test_the_command_line_lays_a_mix_on_an_upright_photo(tmp_path, courtyard, capsys) -> None:
    scene, picture = courtyard
    upright = Image.fromarray(picture["photo"])
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned, as a phone held upright stores it
    photo_path = tmp_path / "yard.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(photo_path, "JPEG", quality=92, exif=exif.tobytes())
    corners = ",".join(f"{v:.2f}" for corner in scene.corners_px() for v in corner)
    out = tmp_path / "out" / "yard_red.png"
    code = cli.main([str(photo_path), "--corners", corners, "--mix", "60% red, 40% black",
                     "--width-m", "3.2", "--depth-m", "2.6", "--seed", "3", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    laid = np.asarray(Image.open(out).convert("RGB"))
    assert laid.shape == picture["photo"].shape
    area = inside(scene.corners_px(), laid.shape[:2], margin=4) & ~picture["objects"]
    redder = laid[area][:, 0].astype(int) - laid[area][:, 2].astype(int)
    assert np.median(redder) > 25  # red on a grey ground: the corners were read in the upright photo


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--corners", "1,2,3,4,5,6", "--mix", "100% red"], "needs 4 corners: 8 numbers"),
        (["--corners", "1,1,380,1,380,290,1,290", "--mix", "50% perl, 50% white"], "unknown colour 'perl'"),
        (["--corners", "1,1,900,1,380,290,1,290", "--mix", "100% red"], "corner 2 (900, 1) is outside the photo"),
        (["--corners", "1,1,380,1,380,290,1,290", "--mix", "100% red", "--width-m", "3"], "both --width-m and --depth-m"),
    ],
)
def test_the_command_line_says_what_is_wrong(tmp_path, arguments, message, capsys) -> None:
    photo_path = tmp_path / "yard.png"
    Image.new("RGB", (400, 300), (128, 128, 128)).save(photo_path)
    code = cli.main([str(photo_path), *arguments, "--out", str(tmp_path / "out.png")])
    error = capsys.readouterr().err
    assert code == 2 and message in error, error
    assert not (tmp_path / "out.png").exists()


def test_the_command_line_refuses_a_file_that_is_no_photo(tmp_path, capsys) -> None:
    fake = tmp_path / "site.heic"
    fake.write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    code = cli.main([str(fake), "--corners", "1,1,9,1,9,9,1,9", "--mix", "100% red", "--out", str(tmp_path / "o.png")])
    error = capsys.readouterr().err
    assert code == 2 and "cannot read" in error and "HEIC: save it as JPEG" in error


def test_a_png_photo_and_its_result_keep_their_size() -> None:
    photo = Image.new("RGB", (320, 240), (110, 112, 108))
    buffer = io.BytesIO()
    visualise(photo, [(20, 220), (300, 220), (240, 90), (70, 90)], GREY, size_m=(4, 3), seed=1).save(buffer, "PNG")
    assert Image.open(buffer).size == (320, 240)
