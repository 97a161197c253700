"""BENCHMARKS.md: its sections, the stamp each one carries, merging a run into the file, tables."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SECTION_KEYS = ("cold-start", "components", "gpu")
BENCHMARK_SCRIPT = "scripts/bench/benchmark.py"
GIB = 1024**3

BEGIN_MARK = "<!-- benchmark:{key} -->"
END_MARK = "<!-- /benchmark:{key} -->"
FILE_HEADER = (
    "# Benchmarks\n\n"
    f"Written by `{BENCHMARK_SCRIPT}`. Each section says the command, machine and date it was measured with; "
    "running the script with one section's flag rewrites only that section. Timings are wall-clock medians.\n"
)


@dataclass(frozen=True)
class Section:
    """One block of BENCHMARKS.md; `key` names it between the markers that delimit it."""

    key: str
    body: str


@dataclass(frozen=True)
class Stamp:
    command: str
    machine: str
    date: str

    def markdown(self) -> str:
        return f"Command: `{self.command}`  \nMachine: {self.machine}  \nDate: {self.date}\n"


def section_blocks(text: str) -> dict[str, str]:
    """The bodies of the sections in an existing BENCHMARKS.md, by key."""
    blocks = {}
    for key in SECTION_KEYS:
        pattern = re.escape(BEGIN_MARK.format(key=key)) + r"\n(.*?)" + re.escape(END_MARK.format(key=key))
        match = re.search(pattern, text, flags=re.DOTALL)
        if match is not None:
            blocks[key] = match.group(1)
    return blocks


def merge_report(existing: str, sections: Sequence[Section]) -> str:
    """The new file: sections run now replace their old text; the others are kept as they were."""
    blocks = section_blocks(existing) | {section.key: section.body.rstrip("\n") + "\n" for section in sections}
    parts = [FILE_HEADER]
    for key in SECTION_KEYS:
        if key in blocks:
            parts.append(f"{BEGIN_MARK.format(key=key)}\n{blocks[key]}{END_MARK.format(key=key)}\n")
    return "\n".join(parts)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def seconds_list(values: Sequence[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)
