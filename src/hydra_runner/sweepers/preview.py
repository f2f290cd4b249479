"""What a grid multirun would launch, in BasicSweeper's order, without listing a large grid whole."""

from __future__ import annotations

from typing import Any, Optional

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import OmegaConf

from hydra_runner import _compat
from hydra_runner.composition.loader import check_jobs
from hydra_runner.errors import UsageError
from hydra_runner.sweepers._product import Grid

__all__ = ["preview_jobs"]


def preview_jobs(hydra: Any, config_name: Optional[str], overrides: list[str]) -> Grid:
    """Every job the grid multirun would launch, in launch order; computed one by one when read."""
    cfg = hydra.compose_config(
        config_name=config_name, overrides=list(overrides), run_mode=RunMode.MULTIRUN, with_log_configuration=False
    )
    sweeper = cfg.hydra.sweeper
    if sweeper is None or sweeper.get("_target_") != _compat.BASIC_SWEEPER_TARGET:
        name = OmegaConf.select(cfg, "hydra.runtime.choices['hydra/sweeper']") or sweeper.get("_target_")
        raise UsageError(
            f"--dry-run lists the jobs of a grid sweep; the '{name}' sweeper chooses its jobs while it runs",
            fix="drop --dry-run, or drop hydra/sweeper=... to preview the grid",
        )
    params = [f"{k}={v}" for k, v in (sweeper.params or {}).items()]
    task_overrides = OmegaConf.to_container(cfg.hydra.overrides.task, resolve=False)
    # The loader lists a config group's options for glob(...), as the sweeper's own parser does.
    parser = OverridesParser.create(config_loader=hydra.config_loader)
    parsed = parser.parse_overrides(params + list(task_overrides))  # type: ignore[arg-type]
    grid = Grid.of(parsed)
    check_jobs(hydra.config_loader, cfg, grid.probes())  # the checks the sweep makes before it starts
    return grid
