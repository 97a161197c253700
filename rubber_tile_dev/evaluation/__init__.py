"""Evaluation against the owner's data: what the report, sheet and palette scripts in scripts/eval/ share.

owner_data.py finds ../shared/data and reads manifest.csv; scoring.py scores a measured mix against
the asked one; palette_fit.py is what the palette build measures on a photo; reports.py writes the
markdown; sheets.py draws the image sheets. The other modules hold one report's measurements each:
color_accuracy.py and held_out.py (the analyzer), lock_quality.py (the colour lock), preview_*.py
(the preview renderer). Nothing here is imported by the generator itself.
"""
