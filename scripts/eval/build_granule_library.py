"""Build the preview's granule library from the owner's photos (reproducible: the same photos give the same files).

    python scripts/eval/build_granule_library.py [--data ../shared/data] [--out rubber_tile/data]
                                                 [--leave-out-test-quarter]

--leave-out-test-quarter builds the library without the held-out quarter of the photos
(rubber_tile_dev.granule_library.held_out_photos), for the honest realism test; write it outside the
package (--out). Without the owner's data the script says so and stops.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.colors.palette import load_palette
from rubber_tile.preview.granule_library import LIBRARY_DIR
from rubber_tile_dev.evaluation.owner_data import DEFAULT_DATA_DIR, MANIFEST_NAME
from rubber_tile_dev.evaluation.realism import photo_cases
from rubber_tile_dev.granule_library import build_library, held_out_photos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="the owner's data folder (manifest.csv, photos/)")
    parser.add_argument("--out", type=Path, default=LIBRARY_DIR, help="folder for the library files")
    parser.add_argument("--leave-out-test-quarter", action="store_true", help="leave the held-out quarter of the photos out")
    args = parser.parse_args(argv)
    if not (args.data / MANIFEST_NAME).is_file():
        print(f"stopping: the owner's data is not at {args.data} (it is never part of the repository), so there is nothing to build from")
        return 1
    cases = photo_cases(args.data)
    leave_out = held_out_photos(cases) if args.leave_out_test_quarter else []
    for path in build_library(cases, load_palette(), args.out, leave_out):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
