"""The Hydra callback that turns MLflow tracking on: ``--mlflow``, or in any config.

    hydra:
      callbacks:
        mlflow:
          _target_: hydra_runner.tracking.callback.MlflowCallback
          experiment: my-experiment        # default: the task's name
          tracking_uri: null               # default: MLFLOW_TRACKING_URI, else sqlite at the project root

In the process that schedules a sweep it opens the parent run and keeps the sweep's
tracker (``sweep_tracker``); hydra-runner's launchers find it there at their set-up
(:func:`~hydra_runner.tracking.tracker_of`) and record each job (whatever process runs it). Jobs run by another launcher (Hydra's BasicLauncher in a plain ``@hydra.main`` app)
and single runs are recorded by this callback itself, in the job's process.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from hydra_runner import __version__, _compat
from hydra_runner.jobs import events
from hydra_runner.jobs.outcome import outcome_of
from hydra_runner.journal import JOURNAL_FILE
from hydra_runner.options.tracking import MlflowOptions
from hydra_runner.run_context import RunContext
from hydra_runner.tracking.mlflow import MlflowTracker, tracking_uri

if TYPE_CHECKING:
    from hydra_runner.tracking._base import Tracker
    from hydra_runner.tracking.mlflow import MlflowTracker

__all__ = ["CALLBACK_TARGET", "MlflowCallback", "end_tracked_sweep"]

CALLBACK_TARGET = "hydra_runner.tracking.callback.MlflowCallback"

log = logging.getLogger(__name__)


class MlflowCallback(Callback):
    """Built by Hydra from ``hydra.callbacks.mlflow``: its keys are :class:`MlflowOptions`' fields."""

    def __init__(self, **settings: Any) -> None:
        self.options: MlflowOptions = MlflowOptions.from_config(settings)
        #: The run this callback serves (the app hands it over; a plain Hydra app has its own).
        self.run = RunContext()
        #: The tracker of the sweep this process schedules (found by its launcher), if any.
        self.sweep_tracker: Optional[MlflowTracker] = None
        # The job this process runs itself (no hydra-runner launcher): its tracker, number, prior channel.
        self._job: Optional[tuple[MlflowTracker, Optional[int], Any]] = None

    def use_run(self, run: RunContext) -> None:
        self.run = run

    def _tracker(self, config: DictConfig) -> MlflowTracker:
        uri = tracking_uri(self.options.tracking_uri, start=Path.cwd())
        experiment = self.options.experiment or str(config.hydra.job.name)
        if uri.startswith("sqlite:///"):
            log.info(f"MLflow: experiment '{experiment}'; open it with: mlflow ui --backend-store-uri {uri}")
        else:
            log.info(f"MLflow: experiment '{experiment}' at {uri}")
        return MlflowTracker(uri, experiment)

    # -- a sweep, seen from the process that schedules it -----------------------------------------

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        tracker = self._tracker(config)
        if _jobs_run_here(config):
            tracker.send_in_background()
        sweep_dir = str(Path(str(config.hydra.sweep.dir)).absolute())
        sweeper = str(config.hydra.sweeper.get("_target_", "")).rsplit(".", 1)[-1]
        launcher = str(config.hydra.launcher.get("_target_", "")).rsplit(".", 1)[-1]
        tags = {"sweep_dir": sweep_dir, "sweeper": sweeper, "launcher": launcher, **_origin_tags(self.run)}
        tags["command"] = " ".join(self.run.recorded_command())[:5000]
        tracker.start_sweep(name=str(Path(sweep_dir).relative_to(Path(sweep_dir).parents[1])), tags=tags,
                            key=sweep_dir)
        self.sweep_tracker = tracker

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self.end_sweep(Path(str(config.hydra.sweep.dir)), status="succeeded")

    def end_sweep(self, sweep_dir: Path, *, status: str) -> None:
        """Close the sweep's parent run (also when the sweep stops early: resume reopens it)."""
        if self.sweep_tracker is not None:
            end_tracked_sweep(self.sweep_tracker, sweep_dir, status=status)
            self.sweep_tracker = None

    # -- a job that no hydra-runner launcher records: this process records it -----------------------

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if events.in_launched_job():
            return

        single_run = self.sweep_tracker is None
        tracker = self._tracker(config) if single_run else self.sweep_tracker
        assert tracker is not None
        hydra = HydraConfig.get()
        num = None if single_run else int(hydra.job.num)
        task_config = OmegaConf.masked_copy(config, [k for k in config if k != "hydra"])
        tracker.start_job(num, overrides=list(hydra.overrides.task), config=task_config)
        # The job's log_metrics / report reach this tracker through the job's channel.
        previous = events.swap_channel(lambda kind, payload: tracker.log_event(num, kind, payload))
        self._job = (tracker, num, previous)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if self._job is None:
            return

        (tracker, num, previous), self._job = self._job, None
        events.swap_channel(previous)
        status, error = outcome_of(job_return)
        tracker.end_job(num, status=status.value,
                        value=job_return._return_value if job_return.status == JobStatus.COMPLETED else None,
                        error=error, directory=str(Path.cwd()) if job_return.working_dir is None
                        else _output_dir(job_return))


def end_tracked_sweep(tracker: Tracker, sweep_dir: Path, *, status: str) -> None:
    """Close ``tracker``'s parent run with the sweep's summary (best value, result files)."""
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
        from hydra_runner.journal.tables import load_results, write_csv

        with open(sweep_dir / "results.csv", "w", encoding="utf-8", newline="") as file:
            write_csv(load_results(sweep_dir), file)
    for name in ("trials.csv", "results.csv"):
        if (sweep_dir / name).exists():
            artifacts.append(str(sweep_dir / name))
    tracker.end_sweep(status=status, metrics=metrics, params=params, artifacts=artifacts)


def _jobs_run_here(config: DictConfig) -> bool:
    """Whether the sweep's jobs run in this process (Hydra's BasicLauncher, which hydra-runner serves in-process).

    Only then do the store's requests, sent in the background, overlap with work: where jobs run
    in other processes this one mostly waits for them, and a second thread only competes with it
    for the interpreter (with ``-j 2`` that measured slower).
    """

    launcher = config.hydra.launcher
    return launcher is not None and launcher.get("_target_") == _compat.BASIC_LAUNCHER_TARGET


def _output_dir(job_return: JobReturn) -> Optional[str]:
    hydra_cfg = job_return.hydra_cfg
    try:
        return str(hydra_cfg.hydra.runtime.output_dir) if hydra_cfg is not None else None
    except Exception:
        return None


def _origin_tags(run: RunContext) -> dict[str, str]:
    code = run.head_start.code_state(str(Path.cwd()))
    facts = {"git_commit": code.commit, "git_dirty": code.dirty}
    tags = {"hydra_runner_version": __version__}
    for key in ("git_commit", "git_dirty"):
        if facts.get(key) is not None:
            tags[key] = str(facts[key])
    return tags
