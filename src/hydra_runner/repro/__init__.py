"""Reproducing runs: what a job or a sweep recorded (:mod:`.records`) and how two of them differ (:mod:`.diff`)."""
