"""Composition: Hydra's ConfigLoader with templates cached, and the ``compose`` API."""
