"""Writing the markdown reports: shares as text, and the generated part between two marker lines.

A report file may hold hand-written text around its generated part; writing it again replaces only
what lies between the markers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def format_shares(shares: Mapping[str, float], unit: str = "%") -> str:
    """`60% red, 40% white` (whole percent), or `60 red, 40 white` with unit=""."""
    return ", ".join(f"{percent:.0f}{unit} {name}" for name, percent in shares.items())


def write_generated_part(path: Path, lines: list[str], *, begin: str, end: str, title: str) -> None:
    """Write `lines` between the marker lines `begin` and `end` in `path`, keeping the text around them.

    A missing file is started with `title`. A file without the markers is left alone (ValueError):
    its text is someone's, not generated.
    """
    part = "\n".join([begin, *lines, end])
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            _, tail = rest.split(end, 1)
            path.write_text(head + part + tail, encoding="utf-8")
            return
        raise ValueError(f"{path} exists without the generated-part markers; add them or move the file")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{part}\n", encoding="utf-8")
