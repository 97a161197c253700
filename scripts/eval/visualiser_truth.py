"""The visualiser's picture against the ray-cast truth: the same courtyard with the surface really laid.

    .venv/bin/python scripts/eval/visualiser_truth.py [--size 1280x960] [--scenes DIR] [--only NAME]

For each courtyard (rubber_tile_dev/synthetic/courtyard_scenes.py) and a light and a dark mix, tiles
and a poured surface: the visualiser lays the mix's texture on the photo (objects in the area masked);
the ray caster renders the same scene with a slab of the texture's mean albedo on the area, as thick
as the visualiser draws it (rubber_tile_dev/synthetic/courtyard_slab.py: the step's cast shadow, the
sky its side hides from the ground beside it). Printed per case:
- surface: the visualiser's mean linear luminance over the truth's, on the area's top (4 px clear of
  its edges and of objects), in sun and in shade; chroma: the largest ratio of the two pictures'
  chromaticities (r, g, b over their sum), 1.00 where the colour is the same;
- contact: the ground's darkening outside the edges (1 - result / photo luminance, mean over the
  ground 1-3 px and 4-12 px beyond the outline and its side), visualiser / truth, in percent;
- side: the mean luminance of the side under the edges that face the camera over the top's, both.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import ndimage

from rubber_tile.colors.colorspace import srgb_to_linear
from rubber_tile.mix import parse_mix
from rubber_tile.visualise import FULL_FRAME_FIELD_MM, Area, lay_out, mix_texture, paint
from rubber_tile.visualise.geometry import signed_distance
from rubber_tile.visualise.paint import texture_atlas
from rubber_tile.visualise.surface import POURED_MM, SIDE_MM
from rubber_tile_dev.synthetic.courtyard import render
from rubber_tile_dev.synthetic.courtyard_scenes import courtyards
from rubber_tile_dev.synthetic.courtyard_slab import laid_slab, plain
from rubber_tile_dev.visualiser_checks import LUMINANCE, linear_luminance

MIXES = ("40% blue, 40% sky blue, 20% white", "50% red, 50% black")
SEED = 5


def texture_albedo(texture: np.ndarray) -> tuple[float, float, float]:
    """The texture's mean in linear light (the top of the visualiser's pyramid): the slab's albedo."""
    top = texture_atlas(texture).channels[:, -1]
    return float(top[0]), float(top[1]), float(top[2])


def scene_photo(name: str, scene, folder: Path) -> dict[str, np.ndarray]:
    """The photo and its object mask (kept in `folder`), with the scene's sun visibility."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_truth_base.npz"
    if not path.exists():
        picture = render(scene)
        np.savez_compressed(path, photo=picture["photo"], objects=picture["objects"], visibility=picture["visibility"])
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def chromaticity(values: np.ndarray) -> np.ndarray:
    return values / max(float(values.sum()), 1e-9)


def surface_figures(result: np.ndarray, truth: dict, judged: np.ndarray, visibility: np.ndarray) -> dict[str, float]:
    figures = {}
    linear_ours, linear_true = srgb_to_linear(result[..., :3]), srgb_to_linear(truth["photo"][..., :3])
    for name, part in (("sun", visibility > 0.95), ("shade", visibility < 0.05)):
        chosen = judged & part
        if chosen.sum() < 200:
            continue
        mine, true = linear_ours[chosen].mean(axis=0), linear_true[chosen].mean(axis=0)
        figures[name] = float((mine @ LUMINANCE) / (true @ LUMINANCE))
        figures[f"{name}_chroma"] = float(np.max(np.maximum(chromaticity(mine) / chromaticity(true), chromaticity(true) / chromaticity(mine))))
    return figures


def contact_figures(photo: np.ndarray, shadowed: np.ndarray, truth: dict, beyond: np.ndarray, ground: np.ndarray) -> dict[str, float]:
    """Darkening of the ground beside the surface (the visualiser's photo with its contact shadow, under the
    surface's soft edge too), by distance beyond the truth's surface and side."""
    base = np.maximum(linear_luminance(photo), 1e-4)
    ours, true = 1 - linear_luminance(shadowed) / base, 1 - linear_luminance(truth["photo"]) / base
    figures = {}
    for label, (near, far) in (("1-3", (0.5, 3.5)), ("4-12", (3.5, 12.5))):
        band = ground & (beyond > near) & (beyond <= far)
        figures[f"ours_{label}"], figures[f"true_{label}"] = 100 * float(ours[band].mean()), 100 * float(true[band].mean())
    return figures


def one_case(scene, base: dict, texture: np.ndarray, seamless: bool, ground_albedo=None) -> dict[str, float]:
    """The figures of one case; ground_albedo: as courtyard.render's, the one `base` was rendered with."""
    photo, objects = base["photo"], base["objects"]
    thickness = (POURED_MM if seamless else SIDE_MM) / 1000
    size = (scene.area.width_m, scene.area.depth_m)
    mask = np.where(objects, 255, 0).astype(np.uint8)
    layout = lay_out(photo, Area(tuple(scene.corners_px()), *size), seamless=seamless, seed=SEED, field_mm=FULL_FRAME_FIELD_MM, mask=mask)
    result = paint(layout, texture)
    truth = render(scene, ground_albedo, slab=laid_slab(scene, thickness, plain(texture_albedo(texture))))
    ys, xs = np.mgrid[0 : photo.shape[0], 0 : photo.shape[1]]
    distance = signed_distance(scene.corners_px(), xs + 0.5, ys + 0.5)
    clear = ~ndimage.binary_dilation(objects, iterations=4)
    top, side = truth["laid"] == 1, truth["laid"] == 2
    figures = surface_figures(result, truth, (distance >= 4) & top & clear, base["visibility"])
    beyond = ndimage.distance_transform_edt(truth["laid"] == 0)  # px from the surface, its side included
    figures |= contact_figures(photo, layout.background, truth, beyond, (truth["laid"] == 0) & clear & (distance < 0))
    if side.sum() > 50:
        rim = top & (distance > 2) & (distance < 8)
        for name, picture in (("true", truth["photo"]), ("ours", result)):
            luminance = linear_luminance(picture)
            figures[f"side_{name}"] = float(luminance[side].mean() / luminance[rim].mean())
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1280x960")
    parser.add_argument("--scenes", type=Path, default=Path("/tmp/visualiser_truth"), help="where the scenes' photos are kept")
    parser.add_argument("--only", help="one scene by name")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    textures = {mix: mix_texture(parse_mix(mix), seed=SEED) for mix in MIXES}
    print("| scene | mix | surface | sun | shade | chroma | contact 1-3 px ours/true | 4-12 px ours/true | side ours/true |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, scene in courtyards(width, height).items():
        if args.only and name != args.only:
            continue
        base = scene_photo(name, scene, args.scenes / args.size)
        for mix, seamless in ((MIXES[0], True), (MIXES[1], False)):
            f = one_case(scene, base, textures[mix], seamless)
            chroma = max(f.get("sun_chroma", 1.0), f.get("shade_chroma", 1.0))
            side = f"{f['side_ours']:.2f}/{f['side_true']:.2f}" if "side_true" in f else "-"
            print(f"| {name} | {mix} | {'poured' if seamless else 'tiles'} | {f.get('sun', float('nan')):.2f} | {f.get('shade', float('nan')):.2f} | "
                  f"{chroma:.2f} | {f['ours_1-3']:.1f}/{f['true_1-3']:.1f} | {f['ours_4-12']:.1f}/{f['true_4-12']:.1f} | {side} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
