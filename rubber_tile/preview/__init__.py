"""The procedural preview: settings (settings.py), granule layout (geometry.py), lighting
(shading.py), the render (render.py) and the backend around it (backend.py)."""
