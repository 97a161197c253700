"""The SDXL backend: where the weights are (paths.py), checks on them (weight_files.py), the
assembled pipeline (pipeline.py, lora.py, textual_inversion.py), baking (bake.py) and the
generator (backend.py). Only the modules that need torch import it."""
