"""The rubber-tile generator: a colour mix in, a top view of a rubber crumb tile out.

Data flows one way: text -> mix (mix/) -> request (request.py) -> prompt (prompt.py) or preview
layout (preview/) -> image (generator.py, sdxl/) -> measure (analyzer/) and colour lock (lock/) ->
file (output.py). docs/ARCHITECTURE.md says where each job lives. Importing the package pulls in
no torch; the SDXL modules import it themselves.
"""
