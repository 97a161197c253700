"""Benchmarks of the generator, one module per job, one per BENCHMARKS.md section.

The markdown file and its sections (report.py), the machine (machine.py), the full-size random SDXL
files (sdxl_assets.py), timers on the load's steps (phases.py), one timed load in a fresh process
(fresh_load.py), and the sections: cold start (cold_start.py), components (components.py, with the
timing helpers of scripts/bench/bench_*.py in *_timing.py) and GPU sampling (gpu.py). The command
line is scripts/bench/benchmark.py. Nothing at run time imports this package.
"""
