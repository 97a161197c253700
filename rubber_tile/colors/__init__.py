"""Colours: the 29 tile colours' names (vocabulary.py), their measured look (palette.py), colour
spaces (colorspace.py) and distances (distance.py)."""
