"""The Hydra callback that turns MLflow tracking on: ``--mlflow``, or in any config.

    hydra:
      callbacks:
        mlflow:
          _target_: hydra_runner.tracking.callback.MlflowCallback
          experiment: my-experiment        # default: the task's name
          tracking_uri: null               # default: MLFLOW_TRACKING_URI, else sqlite at the project root

In the process that schedules a sweep it opens the parent run and makes the tracker
active; hydra-runner's launchers then record each job from there (whatever process runs
it). Jobs run by another launcher (Hydra's BasicLauncher in a plain ``@hydra.main`` app)
and single runs are recorded by this callback itself, in the job's process.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from hydra_runner import tracking
from hydra_runner.jobs.events import in_launched_job
from hydra_runner.journal import JOURNAL_FILE

if TYPE_CHECKING:
    from hydra_runner.tracking.mlflow import MlflowTracker

__all__ = ["CALLBACK_TARGET", "MlflowCallback", "end_tracked_sweep"]

CALLBACK_TARGET = "hydra_runner.tracking.callback.MlflowCallback"

log = logging.getLogger(__name__)


class MlflowCallback(Callback):
    def __init__(self, experiment: Optional[str] = None, tracking_uri: Optional[str] = None) -> None:
        self.experiment = experiment
        self.tracking_uri = tracking_uri
        self._owns_run = False

    def _tracker(self, config: DictConfig) -> MlflowTracker:
        from hydra_runner.tracking.mlflow import MlflowTracker, tracking_uri

        uri = tracking_uri(self.tracking_uri, start=Path.cwd())
        experiment = self.experiment or str(config.hydra.job.name)
        if uri.startswith("sqlite:///"):
            log.info(f"MLflow: experiment '{experiment}'; open it with: mlflow ui --backend-store-uri {uri}")
        else:
            log.info(f"MLflow: experiment '{experiment}' at {uri}")
        return MlflowTracker(uri, experiment)

    # -- a sweep, seen from the process that schedules it -----------------------------------------

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from hydra_runner.journal.meta import current_command

        tracker = self._tracker(config)
        if _jobs_run_here(config):
            tracker.send_in_background()
        sweep_dir = str(Path(str(config.hydra.sweep.dir)).absolute())
        sweeper = str(config.hydra.sweeper.get("_target_", "")).rsplit(".", 1)[-1]
        launcher = str(config.hydra.launcher.get("_target_", "")).rsplit(".", 1)[-1]
        tags = {"sweep_dir": sweep_dir, "sweeper": sweeper, "launcher": launcher, **_origin_tags()}
        command = current_command()
        if command:
            tags["command"] = " ".join(command)[:5000]
        tracker.start_sweep(name=str(Path(sweep_dir).relative_to(Path(sweep_dir).parents[1])), tags=tags,
                            key=sweep_dir)
        tracking.activate(tracker)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        end_tracked_sweep(Path(str(config.hydra.sweep.dir)), status="succeeded")

    # -- a job that no hydra-runner launcher records: this process records it -----------------------

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if in_launched_job():
            return
        from hydra.core.hydra_config import HydraConfig

        tracker = tracking.active()
        self._owns_run = tracker is None
        if tracker is None:  # a single run
            tracker = self._tracker(config)
            tracking.activate(tracker)
        hydra = HydraConfig.get()
        num = int(hydra.job.num) if not self._owns_run else None
        overrides = list(hydra.overrides.task)
        tracking.set_current_job(num)
        task_config = OmegaConf.masked_copy(config, [k for k in config if k != "hydra"])
        tracker.start_job(num, overrides=overrides, config=task_config)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if in_launched_job():
            return
        tracker = tracking.active()
        if tracker is None:
            return
        from hydra_runner.jobs.outcome import outcome_of

        status, error = outcome_of(job_return)
        tracker.end_job(tracking.current_job(), status=status.value,
                        value=job_return._return_value if job_return.status == JobStatus.COMPLETED else None,
                        error=error, directory=str(Path.cwd()) if job_return.working_dir is None
                        else _output_dir(job_return))
        tracking.set_current_job(None)
        if self._owns_run:
            tracking.deactivate()


def end_tracked_sweep(sweep_dir: Path, *, status: str) -> None:
    """Close the active tracker's parent run with the sweep's summary (best value, result files)."""
    tracker = tracking.active()
    if tracker is None:
        return
    metrics: dict[str, float] = {}
    params: dict[str, str] = {}
    artifacts: list[str] = []
    results = sweep_dir / "optimization_results.yaml"
    if results.exists():
        summary = OmegaConf.to_container(OmegaConf.load(results))
        assert isinstance(summary, dict)
        if summary.get("best_value") is not None:
            metrics["best_value"] = float(summary["best_value"])
        for key, value in (summary.get("best_params") or {}).items():
            params[f"best.{key}"] = str(value)
        artifacts.append(str(results))
    if (sweep_dir / JOURNAL_FILE).exists():
        from hydra_runner.journal.tables import load_report, write_csv

        with open(sweep_dir / "results.csv", "w", encoding="utf-8", newline="") as file:
            write_csv(load_report(sweep_dir), file)
    for name in ("trials.csv", "results.csv"):
        if (sweep_dir / name).exists():
            artifacts.append(str(sweep_dir / name))
    tracker.end_sweep(status=status, metrics=metrics, params=params, artifacts=artifacts)
    tracking.deactivate()


def _jobs_run_here(config: DictConfig) -> bool:
    """Whether the sweep's jobs run in this process (Hydra's BasicLauncher, which hydra-runner serves in-process).

    Only then do the store's requests, sent in the background, overlap with work: where jobs run
    in other processes this one mostly waits for them, and a second thread only competes with it
    for the interpreter (with ``-j 2`` that measured slower).
    """
    from hydra_runner import _compat

    launcher = config.hydra.launcher
    return launcher is not None and launcher.get("_target_") == _compat.BASIC_LAUNCHER_TARGET


def _output_dir(job_return: JobReturn) -> Optional[str]:
    hydra_cfg = job_return.hydra_cfg
    try:
        return str(hydra_cfg.hydra.runtime.output_dir) if hydra_cfg is not None else None
    except Exception:
        return None


def _origin_tags() -> dict[str, str]:
    from hydra_runner import __version__
    from hydra_runner.journal.meta import describe_sweep

    facts = describe_sweep(sweeper="", launcher="")
    tags = {"hydra_runner_version": __version__}
    for key in ("git_commit", "git_dirty"):
        if facts.get(key) is not None:
            tags[key] = str(facts[key])
    return tags
