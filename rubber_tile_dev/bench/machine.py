"""What the numbers were measured on: CPU, cores, memory, GPU, load, library versions."""

from __future__ import annotations

import importlib
import os
import platform
import re
from pathlib import Path


def describe_machine() -> str:
    """One line for a section's stamp."""
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.MULTILINE)
        cpu = names[0].strip() if names else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [f"{cpu}, {cores} cores usable, {torch.get_num_threads()} torch threads"]
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), flags=re.MULTILINE)
        if total is not None:
            parts.append(f"{int(total.group(1)) / 1024**2:.0f} GiB RAM")
    if torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name(0)}")
    else:
        parts.append("no GPU")
    parts.append(f"load average {os.getloadavg()[0]:.1f} at start")
    versions = ", ".join(f"{name} {_version(name)}" for name in ("torch", "diffusers", "transformers", "peft"))
    return f"{'; '.join(parts)}; Python {platform.python_version()}, {versions}; {platform.platform()}"


def _version(package: str) -> str:
    return importlib.import_module(package).__version__


def machine_note() -> str:
    """Cores and load, with a warning when the machine is busier than its cores."""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = " (busier than its cores: wall times are inflated, trust CPU times)" if load > cores else ""
    return f"{cores} cores, load average {load:.1f} at the start{busy}"
