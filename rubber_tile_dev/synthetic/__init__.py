"""Stand-ins for what cannot be had here, for tests and benchmarks: the SDXL architecture with random
weights (full size and tiny), LoRA files in the owner's trainer's format, and granule images with
exactly known colours. Nothing at run time imports this package.
"""
