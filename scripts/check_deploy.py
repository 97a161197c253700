"""Before `cog push`: what the image will carry, what setup() will load, the versions, and what is wrong.

    python scripts/check_deploy.py                      # exit 1 when the deployment would break or bloat
    python scripts/check_deploy.py --separate-weights   # as `cog push --separate-weights` would push it
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from rubber_tile_dev.deploy import DeployReport, check_deploy

PROJECT_DIR = Path(__file__).resolve().parent.parent


def folder_sizes(report: DeployReport) -> list[tuple[str, int, int]]:
    """(top folder or file, files, bytes), largest first: model_files/ is shown one level deeper."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for file in report.image_files:
        parts = Path(file.path).parts
        key = "/".join(parts[:2]) if parts[0] == "model_files" and len(parts) > 1 else parts[0]
        totals[key][0] += 1
        totals[key][1] += file.size
    return sorted(((key, count, size) for key, (count, size) in totals.items()), key=lambda row: -row[2])


def format_report(report: DeployReport) -> str:
    lines = [f"The image will carry {len(report.image_files)} files, {report.image_bytes / 1e9:.2f} GB:"]
    lines += [f"  {size / 1e6:10.1f} MB  {count:5d} files  {name}" for name, count, size in folder_sizes(report)[:12]]
    left_out = ", ".join(f"{name} ({count} file{'s' if count != 1 else ''})" for name, count in report.left_out)
    lines.append(f"It leaves out (.dockerignore): {left_out}")
    lines.append(f"Runtime data it carries ({len(report.runtime_data)} files):")
    lines += [f"  {file.size / 1e6:10.2f} MB  {file.path}" for file in report.runtime_data]
    lines.append(f"setup() will load {len(report.setup_reads)} files:")
    lines += [f"  {path}" for path in report.setup_reads[:12]]
    if len(report.setup_reads) > 12:
        lines.append(f"  ... and {len(report.setup_reads) - 12} more")
    lines.append("Versions:")
    lines += [f"  {name}: {value}" for name, value in report.versions.items()]
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"PROBLEM: {problem}" for problem in report.problems]
    lines.append("ready to push" if not report.problems else f"{len(report.problems)} problem(s): fix them before `cog push`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=PROJECT_DIR, help="the folder `cog build` runs in")
    parser.add_argument("--separate-weights", action="store_true", help="check as `cog push --separate-weights` pushes")
    args = parser.parse_args(argv)
    if not (args.project / "cog.yaml").is_file():
        print(f"error: no cog.yaml in {args.project}", file=sys.stderr)
        return 2
    report = check_deploy(args.project, separate_weights=args.separate_weights)
    print(format_report(report))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
