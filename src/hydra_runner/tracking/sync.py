"""``hydra-runner sync``: log to MLflow, from the sweep journal, the jobs a sweep could not log.

A sweep whose tracking store was down kept every result in its journal. Sync finds the
sweep's parent run (or creates it), skips each job that already has a finished run under
it, and logs the others as the sweep would have: params from the job's ``.hydra/config.yaml``,
its overrides, value, files and status. Running it twice logs nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from omegaconf import OmegaConf

from hydra_runner.errors import HydraRunnerError
from hydra_runner.journal import Status, SweepJournal

__all__ = ["SyncReport", "sync_sweep"]

_UNFINISHED = (Status.PENDING, Status.RUNNING)


@dataclass(frozen=True)
class SyncReport:
    tracking_uri: str
    experiment: str
    logged: int
    already_there: int


def sync_sweep(sweep_dir: Path, *, tracking_uri: Optional[str] = None, experiment: Optional[str] = None) -> SyncReport:
    from hydra_runner.tracking.callback import end_tracked_sweep
    from hydra_runner.tracking.mlflow import MlflowTracker
    from hydra_runner.tracking.mlflow import tracking_uri as resolve_uri

    sweep_dir = sweep_dir.absolute()
    config = OmegaConf.load(sweep_dir / "multirun.yaml")
    settings = config.hydra.get("callbacks", {}).get("mlflow", {}) or {}
    uri = resolve_uri(tracking_uri, settings.get("tracking_uri"), start=sweep_dir)
    name = experiment or settings.get("experiment") or str(config.hydra.job.name)
    with SweepJournal.open(sweep_dir) as journal:  # before MLflow makes anything: a damaged journal stops here
        records = journal.jobs()
        meta = journal.meta
    tracker = MlflowTracker(uri, name)
    tags = {"sweep_dir": str(sweep_dir), "command": " ".join(meta.get("command", []))[:5000],
            "sweeper": str(meta.get("sweeper", "")).rsplit(".", 1)[-1], "launcher": str(meta.get("launcher", ""))}
    tracker.start_sweep(name=f"{sweep_dir.parent.name}/{sweep_dir.name}", tags=tags, key=str(sweep_dir))
    there = tracker.logged_jobs()
    logged = 0
    for record in records:
        if record.status in _UNFINISHED or record.num in there:
            continue
        config_file = Path(record.directory or "") / ".hydra" / "config.yaml"
        tracker.start_job(record.num, overrides=record.overrides,
                          config=OmegaConf.load(config_file) if config_file.exists() else None)
        tracker.end_job(record.num, status=record.status.value, value=record.value, error=record.error,
                        directory=record.directory)
        logged += 1
    end_tracked_sweep(tracker, sweep_dir, status="succeeded" if all(r.status.finished_well for r in records) else "failed")
    if tracker.failed is not None:
        raise HydraRunnerError(f"could not log to MLflow at {uri}: {tracker.failed}",
                               fix="check that the tracking store answers, then run hydra-runner sync again")
    return SyncReport(uri, name, logged, len(there))
