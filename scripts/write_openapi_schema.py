"""Write `.cog/openapi_schema.json`, the schema `cog build` bundles and coglet validates inputs with.

    python scripts/write_openapi_schema.py           # write the file
    python scripts/write_openapi_schema.py --check   # exit 1 if the file is missing or says something else

--check compares meaning (inputs, types, defaults, bounds, choices, output), not text: `cog build`,
`cog predict` and `cog push` rewrite the file in their own layout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rubber_tile_dev.cog_schema import SCHEMA_PATH, SchemaError, generate_schema, render, schema_differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file says something else than run() declares")
    parser.add_argument("--out", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    try:
        schema = generate_schema()
    except SchemaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        return check(args.out, schema)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(schema))
    print(f"wrote {args.out}")
    return 0


def check(path: Path, schema: dict) -> int:
    try:
        committed = json.loads(path.read_text())
        differences = schema_differences(committed, schema)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"{path} is missing, stale or not a Cog schema ({error}): run python scripts/write_openapi_schema.py", file=sys.stderr)
        return 1
    if differences:
        print(f"{path} is stale: run python scripts/write_openapi_schema.py", file=sys.stderr)
        for line in differences:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
