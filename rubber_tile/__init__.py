"""The rubber-tile generator: a colour mix in, a top view of a rubber crumb tile out.

Data flows one way: text -> mix (mix/) -> request (request.py) -> the backend generator.py chose
(backend.py's interface): SDXL from the model prompt (prompt.py, sdxl/) with the colour lock
(lock/, measuring with analyzer/), or the preview's layout and colours (preview/) -> the installed
floor for that view (installed.py) -> file (output.py). docs/ARCHITECTURE.md says where each job
lives; benchmarks, evaluation and test stand-ins are in rubber_tile_dev, never imported from here.
Importing the package pulls in no torch; the SDXL modules import it themselves.
"""
