"""Figures: Plotly charts, the figure style, computed captions, export, talk and lesson packs."""
