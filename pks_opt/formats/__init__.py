"""Importers and exporters of outside formats (the Curtois & Qu rostering benchmark)."""
