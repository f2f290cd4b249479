"""Pictures of an Optuna sweep's study: optimisation history, param importances, Pareto front."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Optional

from omegaconf import OmegaConf

from hydra_runner._install import install_command
from hydra_runner.errors import UsageError

__all__ = ["load_sweep_study", "plot_study"]


def load_sweep_study(sweep_dir: Path) -> Optional[Any]:
    """The Optuna study an Optuna sweep in ``sweep_dir`` wrote, or None for other sweeps."""
    from hydra_runner.sweepers import is_optuna_sweeper

    config_file = sweep_dir / "multirun.yaml"
    if not config_file.exists():
        return None
    hydra = OmegaConf.load(config_file).get("hydra", {})
    sweeper = hydra.get("sweeper", {})
    if not is_optuna_sweeper(sweeper.get("_target_")):
        return None
    import optuna

    from hydra_runner.sweepers.optuna_study import STUDY_FILE, study_storage

    storage = sweeper.get("storage")
    if storage is None and not (sweep_dir / STUDY_FILE).exists():
        return None
    name = sweeper.get("study_name") or hydra.get("job", {}).get("name")
    return optuna.load_study(study_name=name, storage=study_storage(storage, sweep_dir, fresh=False))


def plot_study(study: Any, out_dir: Path) -> list[Path]:
    """Write the study's plots as PNGs in ``out_dir``; the paths written."""
    try:
        import matplotlib
    except ImportError as e:
        raise UsageError("plotting needs matplotlib, which is not installed",
                         fix=install_command("hydra-runner[plot]")) from e
    matplotlib.use("Agg")  # files only: no GUI backend
    from optuna.visualization import matplotlib as plots

    figures: list[tuple[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
        if len(study.directions) > 1:
            figures.append(("pareto_front", lambda: plots.plot_pareto_front(study)))
        else:
            figures.append(("optimization_history", lambda: plots.plot_optimization_history(study)))
            figures.append(("param_importances", lambda: plots.plot_param_importances(study)))
        written = []
        for name, draw in figures:
            try:
                ax = draw()
            except (ValueError, RuntimeError) as e:  # e.g. importances need two finished trials
                warnings.warn(f"{name} not drawn: {e}", stacklevel=2)
                continue
            figure = ax.figure if not hasattr(ax, "ravel") else ax.ravel()[0].figure
            path = out_dir / f"{name}.png"
            figure.savefig(path, dpi=100, bbox_inches="tight")
            matplotlib.pyplot.close(figure)
            written.append(path)
    return written
