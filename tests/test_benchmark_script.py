"""scripts/bench/benchmark.py's light parts (rubber_tile_dev/bench/): the markdown it writes from given numbers.
No timing is asserted."""

from __future__ import annotations

from rubber_tile_dev.bench import cold_start, gpu, report
from rubber_tile_dev.bench.cold_start import LoadRun, WarmRead
from rubber_tile_dev.bench.phases import Phase
from rubber_tile_dev.bench.report import Section, Stamp

STAMP = Stamp(command="python scripts/bench/benchmark.py", machine="test machine", date="2026-01-01 00:00 UTC")


def _run(kind: str, load_s: float, phases: tuple[Phase, ...] = ()) -> LoadRun:
    return LoadRun(
        kind, load_s, load_cpu_s=load_s, read_s=1.0, process_s=load_s + 4, peak_rss_gib=5.0, load_average=1.0, phases=phases
    )


def test_a_rerun_section_replaces_only_its_own_block():
    first = report.merge_report("", [Section("cold-start", "cold v1"), Section("gpu", "gpu v1")])
    second = report.merge_report(first, [Section("components", "components v1"), Section("gpu", "gpu v2")])
    assert report.section_blocks(second) == {"cold-start": "cold v1\n", "components": "components v1\n", "gpu": "gpu v2\n"}
    assert second.index("cold v1") < second.index("components v1") < second.index("gpu v2")
    assert report.merge_report(second, []) == second


def test_cold_start_table_gives_ratios_against_bare_and_judges_the_targets():
    phases = (Phase("LoRA: `fuse_lora_file`", 0, 1.5), Phase("`fuse_lora`", 1, 1.2), Phase("read", 1, 0.1))
    runs = [_run("bare", 2.0), _run("bare", 2.2), _run("runtime", 2.2, phases), _run("runtime", 2.4, phases)]
    runs += [_run("baked", 2.2), _run("baked", 2.0)]
    sizes = {"bare": 6.5, "runtime": 6.6, "baked": 6.5}
    text = cold_start.cold_start_markdown(STAMP, runs, [WarmRead("bare", 6.5, 1.0)], sizes, ["reused"])
    runtime_row = next(line for line in text.splitlines() if line.startswith("| `assemble_pipeline`, runtime"))
    baked_row = next(line for line in text.splitlines() if line.startswith("| `assemble_pipeline`, baked"))
    assert "| 1.10x |" in runtime_row and runtime_row.endswith("| <= 1.15x | met |")
    assert "| 1.00x |" in baked_row and baked_row.endswith("| <= 1.05x | met |")
    assert "Command: `python scripts/bench/benchmark.py`" in text and "test machine" in text
    assert "| &nbsp;&nbsp;`fuse_lora` | 1 | 1.20 | 52% |" in text
    assert "| other (outside the timed calls) |  | 0.80 | 35% |" in text


def test_a_missed_target_says_so():
    runs = [_run("bare", 1.0), _run("runtime", 3.0), _run("baked", 1.2)]
    text = cold_start.cold_start_markdown(STAMP, runs, [], {"bare": 1.0, "runtime": 1.0, "baked": 1.0}, ["reused"])
    assert text.count("MISSED") == 2


def test_without_a_gpu_the_gpu_section_says_no_gpu():
    assert "no GPU" in gpu.no_gpu_markdown(STAMP)
