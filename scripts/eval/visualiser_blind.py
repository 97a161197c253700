"""Pictures for a blind look at the visualiser: mixes laid on courtyards ray cast with known geometry.

    .venv/bin/python scripts/eval/visualiser_blind.py --out /work/scratch/i22/blind --key /work/scratch/i22/blind_key.json

Each courtyard of rubber_tile_dev/synthetic/courtyard_scenes.courtyards() is rendered once (kept in
--scenes, outside OUT, and reused), then laid with the mixes below through rubber_tile.visualise as the command
line does, the corners being the scene's area exactly; objects standing in the area are masked as a
customer would brush them. Writes OUT/result_NN.png and the key (which scene, mix, surface, corners)
outside OUT: a judge sees only the pictures. Photos from elsewhere are added with scripts/visualise.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from rubber_tile.mix import parse_mix
from rubber_tile.visualise import mix_texture, visualise
from rubber_tile_dev.synthetic.courtyard import render
from rubber_tile_dev.synthetic.courtyard_scenes import courtyards

# (scene, mix, seamless, seed): two mixes on most scenes, tiles and poured surfaces.
PLAN = (
    ("paving_afternoon", "50% red, 30% black, 20% pearl", False, 11),
    ("paving_afternoon", "70% grass green, 30% black", True, 12),
    ("asphalt_playground", "40% blue, 40% sky blue, 20% white", True, 13),
    ("asphalt_playground", "60% terracotta, 40% black", False, 14),
    ("concrete_under_tree", "45% terracotta, 35% sand, 20% black", False, 15),
    ("earth_yard_low_sun", "60% green apple, 40% dark green", True, 16),
    ("grass_overcast", "50% red, 50% black", False, 17),
    ("grass_overcast", "40% yellow, 40% orange, 20% black", True, 18),
    ("paving_shaded_court", "50% dark gray, 30% light gray, 20% white", False, 19),
    ("paving_shaded_court", "60% blue, 20% white, 20% black", True, 20),
)
SOURCE = "synthetic courtyard ray cast in numpy (rubber_tile_dev/synthetic/courtyard_scenes.py: {name}), {width}x{height}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1280x960", help="WIDTHxHEIGHT of the scenes (default 1280x960)")
    parser.add_argument("--first", type=int, default=1, help="number of the first result (default 1)")
    parser.add_argument("--key", type=Path, required=True, help="where the key goes (not in --out)")
    parser.add_argument("--scenes", type=Path, help="where the rendered scenes are kept (default: beside the key)")
    return parser.parse_args()


def scene_pictures(name: str, scene, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The scene's photo and the mask of what stands in its area (a brushed mask: objects grown by 2 px)."""
    folder.mkdir(parents=True, exist_ok=True)
    photo_path, mask_path = folder / f"{name}.png", folder / f"{name}_mask.png"
    if not photo_path.exists():
        picture = render(scene)
        Image.fromarray(picture["photo"]).save(photo_path)
        objects = ndimage.binary_dilation(picture["objects"], iterations=2)
        Image.fromarray(np.where(objects, 255, 0).astype(np.uint8)).save(mask_path)
    return np.asarray(Image.open(photo_path).convert("RGB")), np.asarray(Image.open(mask_path).convert("L"))


def main() -> int:
    args = parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    scenes = courtyards(width, height)
    args.out.mkdir(parents=True, exist_ok=True)
    key = []
    for number, (name, mix, seamless, seed) in enumerate(PLAN, start=args.first):
        scene = scenes[name]
        photo, mask = scene_pictures(name, scene, args.scenes or args.key.parent / "blind_scenes")
        texture = mix_texture(parse_mix(mix), seed=seed)
        result = visualise(Image.fromarray(photo), scene.corners_px(), texture, size_m=(scene.area.width_m, scene.area.depth_m),
                           seamless=seamless, seed=seed, mask=mask)
        file = f"result_{number:02d}.png"
        result.save(args.out / file)
        key.append({"file": file, "scene": name, "source": SOURCE.format(name=name, width=width, height=height), "mix": mix,
                    "surface": "seamless" if seamless else "500 x 500 mm tiles", "seed": seed,
                    "corners": [[round(x, 1), round(y, 1)] for x, y in scene.corners_px()],
                    "size_m": [scene.area.width_m, scene.area.depth_m]})
        print(file, name, mix)
    args.key.write_text(json.dumps(key, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
