"""The preview from real granules: settings (settings.py), the granule library (granule_library.py,
granule_levels.py), the layout composed from it (composition.py, tile_edge.py), colouring
(colorize.py, coloring.py), the camera (camera.py), the render (render.py) and the backend (backend.py)."""
