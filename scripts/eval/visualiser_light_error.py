"""How well the visualiser reads the light of a photo: its shading against the ground truth of ray-cast
courtyards, beside simpler ways of reading it.

    .venv/bin/python scripts/eval/visualiser_light_error.py [--size 640x480]

For each courtyard (the test scene and the six of courtyard_scenes.courtyards()) the renderer knows the
light that falls on each ground pixel (sun, its shadows, the sky, occlusion near walls) and the lens's
vignette: the true shading of a surface laid there, relative to the area's lit level (its 90th
percentile). Each method reads a shading from the photo alone; the error is the mean |ln(read / true)|
over the area's ground pixels (objects left out, as the brush would), in percent (ln 0.01 ~ 1%):
- visualiser: rubber_tile.visualise.light (thin lines out, edge-keeping guided filter, half resolution)
- photo as is: the photo's own luminance (the old ground's pattern comes along)
- blurred: luminance averaged over the same radius, over the area (no edge kept)
- local mean: luminance over its local mean (the same radius x 4), as a first idea would have it
"""

from __future__ import annotations

import argparse

import numpy as np

from rubber_tile.visualise.light import LIT_PERCENTILE, LOG_FLOOR, box_sum, estimate_light, percentile, radii
from rubber_tile.visualise.surface import area_crop
from rubber_tile_dev.synthetic.courtyard import render, vignette
from rubber_tile_dev.synthetic.courtyard_scenes import courtyard_for_tests, courtyards
from rubber_tile_dev.visualiser_checks import inside, linear_luminance


def relative(log_values: np.ndarray, area: np.ndarray) -> np.ndarray:
    return log_values - percentile(log_values, area, LIT_PERCENTILE, LOG_FLOOR - 10, 10.0)


def masked_mean(values: np.ndarray, weights: np.ndarray, r: int) -> np.ndarray:
    return box_sum(values * weights, r) / np.maximum(box_sum(weights, r), 1e-9)


def errors_for(scene) -> dict[str, float]:
    picture = render(scene)
    photo, camera = picture["photo"], scene.camera
    corners = scene.corners_px()
    crop = area_crop(corners, camera.width, camera.height)
    window = (slice(crop.y0, crop.y0 + crop.height), slice(crop.x0, crop.x0 + crop.width))
    area_full = inside(corners, photo.shape[:2], margin=0) & ~picture["objects"]
    area = area_full[window]
    judged = (inside(corners, photo.shape[:2], margin=3) & ~picture["objects"])[window]
    truth = relative(np.log(np.maximum(picture["irradiance"] * vignette(camera), 1e-6))[window], area)
    log_photo = np.log(np.maximum(linear_luminance(photo), 1 / 4096))[window]
    guide = radii(camera.width, camera.height)[1]
    weights = area.astype(float) + 1e-3
    read = {
        "visualiser": estimate_light(photo, crop, area.astype(float)).smooth,
        "photo as is": log_photo,
        "blurred": masked_mean(log_photo, weights, guide),
        "local mean": log_photo - masked_mean(log_photo, weights, 4 * guide),
    }
    return {name: 100 * float(np.mean(np.abs(relative(values, area)[judged] - truth[judged]))) for name, values in read.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="640x480")
    width, height = (int(v) for v in parser.parse_args().size.split("x"))
    scenes = {"test courtyard": courtyard_for_tests(width, height, seed=5), **courtyards(width, height)}
    rows = {name: errors_for(scene) for name, scene in scenes.items()}
    methods = list(next(iter(rows.values())))
    print("| scene | " + " | ".join(methods) + " |")
    print("| --- |" + " --- |" * len(methods))
    for name, errors in rows.items():
        print(f"| {name} | " + " | ".join(f"{errors[m]:.1f}%" for m in methods) + " |")
    print("| mean | " + " | ".join(f"{np.mean([r[m] for r in rows.values()]):.1f}%" for m in methods) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
