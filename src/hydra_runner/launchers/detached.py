"""Jobs a sweep left on a cluster (``--no-wait``): collected from Ray or Slurm, whichever has them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

__all__ = ["collect_detached"]


def collect_detached(sweep_dir: Path) -> Optional[list[Any]]:
    """The states of the jobs ``sweep_dir`` left on a cluster, those that ended written into its journal.

    Each state has ``num`` and ``status``. None for a sweep whose jobs ran where it ran.
    """
    from hydra_runner.launchers.slurm.collect import collect as collect_slurm

    states: Optional[list[Any]] = collect_slurm(sweep_dir)
    if states is None:
        from hydra_runner.launchers.ray.jobs import collect as collect_ray

        states = collect_ray(sweep_dir)
    return states
