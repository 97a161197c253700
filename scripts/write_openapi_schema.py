"""Write `.cog/openapi_schema.json`, the schema `cog build` bundles and coglet validates inputs with.

    python scripts/write_openapi_schema.py           # write the file
    python scripts/write_openapi_schema.py --check   # exit 1 if the file is missing or stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.cog_schema import SCHEMA_PATH, SchemaError, generate_schema, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file differs from what would be written")
    parser.add_argument("--out", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    try:
        text = render(generate_schema())
    except SchemaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text() if args.out.is_file() else None
        if current != text:
            print(f"{args.out} is missing or stale: run python scripts/write_openapi_schema.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
