"""Cog adapter: Replicate's inputs in, one tile image out. The work is in the rubber_tile package."""

import json
import logging
import shutil
import tempfile
from pathlib import Path as LocalPath

from cog import BaseRunner, Input, Path

from rubber_tile.backend import ProgressCallback
from rubber_tile.generator import load_generator
from rubber_tile.mix import MixError
from rubber_tile.output import save_tile
from rubber_tile.request import make_request

log = logging.getLogger("predict")


def _log_step(done: int, total: int) -> None:
    log.info("step %d/%d", done, total)


# The Input() values below are single literals on purpose: `cog build` reads them from this file's source
# without running it; it drops names imported from other modules (a dropped default makes the input
# required), fails on computed choices and keeps the raw text of joined strings.
# TileRequest's fields (rubber_tile/request.py) are the source of these values; tests/test_openapi_schema.py
# fails if this table and that one differ in any name, default, bound, choice or description.
# run() and BaseRunner (Cog >= 0.20): predict() and BasePredictor warn in every server log since Cog 0.23.
class Predictor(BaseRunner):
    def setup(self) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.generator = load_generator()
        self.on_step: ProgressCallback = _log_step  # scripts/generate.py shows a progress bar instead
        self.last_output_dir: LocalPath | None = None

    def run(  # long: the Input() table, one literal per input for cog build's static reader
        self,
        prompt: str = Input(
            description="Colour mix, e.g. '50% red, 30% black, 20% pearl' (up to 4 of the 29 tile colours, shares summing to 100). A full prompt containing 'ohwx_rubber_tile' is used as it is."
        ),
        negative_prompt: str = Input(description="What to avoid; empty uses the model's default list.", default=""),
        seed: int = Input(
            description="Seed 0..4294967295; -1 (or leaving it out) picks a random one, logged and stored in the image.",
            default=-1,
            ge=-1,
            le=4294967295,
        ),
        num_inference_steps: int = Input(description="Denoising steps.", default=20, ge=1, le=100),
        guidance_scale: float = Input(description="Classifier-free guidance.", default=7.0, ge=0.0, le=20.0),
        width: int = Input(description="Width in pixels, a multiple of 8.", default=1024, ge=512, le=2048),
        height: int = Input(description="Height in pixels, a multiple of 8.", default=1024, ge=512, le=2048),
        output_format: str = Input(description="Image file format.", default="png", choices=["png", "webp", "jpg"]),
        preview: bool = Input(
            description="Return the instant procedural preview (exact proportions) instead of the SDXL image.",
            default=False,
        ),
        color_lock: bool = Input(
            description="Colour lock: recolour whole granules so the image shows the asked shares (the model alone misses by about 20 points per colour). No effect on the preview.",
            default=True,
        ),
        grade: str = Input(
            description="Crumb grade of the preview: fine (1-3 mm), standard (2-4 mm), coarse (3-5 mm). The SDXL model was trained on one grade and ignores it.",
            default="standard",
            choices=["fine", "standard", "coarse"],
        ),
        framing: str = Input(
            description="Preview framing: full_frame (a close-up, like the SDXL image) or product_photo (the whole tile on white). SDXL always draws a full frame.",
            default="full_frame",
            choices=["full_frame", "product_photo"],
        ),
        view: str = Input(
            description="top: the tile seen from above; installed: a floor laid with these tiles, in perspective (built from the top view of either backend).",
            default="top",
            choices=["top", "installed"],
        ),
    ) -> Path:
        inputs = dict(locals())  # exactly run()'s parameters, the inputs of TileRequest's table
        del inputs["self"]
        try:
            request = make_request(**inputs)
        except MixError as error:
            # The prediction's `error` is coglet's wrapping of the message; the logs carry the structure.
            log.error("mix refused: %s", json.dumps(error.to_dict(), ensure_ascii=False))
            raise
        log.info("seed %d, %dx%d, prompt %r", request.seed, request.width, request.height, request.prompt[:200])
        tile = self.generator.generate(request, on_step=self.on_step)
        out_dir = self.fresh_output_dir()
        return Path(save_tile(tile, out_dir / f"tile.{request.output_format}", request.output_format))

    def fresh_output_dir(self) -> LocalPath:
        """A new folder for this prediction's file, after deleting the previous prediction's.

        Cog has read (encoded or uploaded) a prediction's output before it starts the next one on
        this one-slot server, so only the latest file needs to stay; without this, every
        prediction would leave its image in /tmp for the life of the server.
        """
        if self.last_output_dir is not None and self.last_output_dir.exists():
            shutil.rmtree(self.last_output_dir)
        self.last_output_dir = LocalPath(tempfile.mkdtemp(prefix="tile-"))
        return self.last_output_dir
