"""MLflow tracking through ``MlflowClient``: a parent run per sweep, a nested run per job.

Every call names its run id, so runs are right whichever process or thread a job ran in.
A tracking store that fails never fails a job: the first error is reported once, with
what was not logged, and the tracker stops trying (the sweep journal keeps the results).
A sweep's tracker sends in the background (:meth:`MlflowTracker.send_in_background`): its
requests run in order on a thread of their own, and the sweep waits for them at its end.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from hydra_runner.tracking._background import InOrder
from hydra_runner.tracking._base import Tracker
from hydra_runner.tracking.params import (
    flatten_params,
    override_tags,
    param_batches,
    run_name,
)

__all__ = ["MlflowTracker", "default_tracking_uri", "tracking_uri"]

log = logging.getLogger(__name__)

PARENT_TAG = "mlflow.parentRunId"
SWEEP_TAG = "hydra_runner.sweep"
JOB_TAG = "hydra_runner.job"
_STATUS = {"succeeded": "FINISHED", "pruned": "FINISHED", "interrupted": "KILLED"}


def default_tracking_uri(project_root: Path) -> str:
    """MLflow 3's own default: a SQLite store, here at the project root."""
    return f"sqlite:///{(project_root / 'mlflow.db').absolute()}"


def tracking_uri(*given: Optional[str], start: Path, environ: Optional[Mapping[str, str]] = None) -> str:
    """The first URI ``given``, else MLFLOW_TRACKING_URI, else the default of the project ``start`` is in."""
    from hydra_runner.journal.index import find_project_root

    environ = os.environ if environ is None else environ
    for uri in (*given, environ.get("MLFLOW_TRACKING_URI")):
        if uri:
            return uri
    return default_tracking_uri(find_project_root(start))


class MlflowTracker(Tracker):
    def __init__(self, tracking_uri: str, experiment: str) -> None:
        # MLflow retries an unreachable server for minutes by default; a sweep waits for
        # its tracker, so a store that is down is given up on quickly (the user may set more).
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
        from mlflow.tracking import MlflowClient

        self.tracking_uri = tracking_uri
        self.client = MlflowClient(tracking_uri)
        self.experiment = experiment
        self.experiment_id: Optional[str] = None
        self.parent_id: Optional[str] = None
        self.runs: dict[Optional[int], str] = {}
        self.artifact_uris: dict[str, str] = {}
        self.failed: Optional[str] = None
        self._background: Optional[InOrder] = None

    def send_in_background(self) -> None:
        """From now on, store requests run on a thread of their own, in the order they were made."""
        if self._background is None:
            self._background = InOrder("hydra-runner-mlflow")
            atexit.register(self.wait)  # a sweep that never reached its end still logs what it did

    def wait(self) -> None:
        """Return once every request made so far has been sent (or given up on)."""
        if self._background is not None:
            self._background.wait()

    def _stop_background(self) -> None:
        if self._background is not None:
            self._background.close()
            self._background = None
            atexit.unregister(self.wait)

    # -- what the launcher calls ---------------------------------------------------------------

    def start_sweep(self, *, name: str, tags: dict[str, str], key: str) -> None:
        def start() -> None:
            experiment_id = self._experiment_id()
            existing = self.client.search_runs(
                [experiment_id], filter_string=f"tags.`{SWEEP_TAG}` = '{_quoted(key)}'", max_results=1
            )
            if existing:  # a resumed sweep: the same parent run
                self.parent_id = existing[0].info.run_id
                self.client.update_run(self.parent_id, status="RUNNING")
            else:
                run = self.client.create_run(experiment_id, run_name=name, tags={**tags, SWEEP_TAG: key})
                self.parent_id = run.info.run_id

        self._try(start, "the sweep's parent run")

    def start_job(self, num: Optional[int], *, overrides: Sequence[str], config: Any) -> None:
        what = f"the run of job {num}" if num is not None else "the run"
        overrides = list(overrides)
        params: dict[str, str] = {}
        run_tags: dict[str, str] = {}

        def read() -> None:  # now, not in the background: the config may share nodes the next job changes
            params.update(flatten_params(config) if config is not None else {})
            run_tags.update(override_tags(overrides))
            if num is not None:
                run_tags[JOB_TAG] = str(num)

        def start() -> None:
            from mlflow.entities import Param

            if self.parent_id is not None:
                run_tags[PARENT_TAG] = self.parent_id
            run = self.client.create_run(self._experiment_id(), run_name=run_name(num, overrides), tags=run_tags)
            self.runs[num] = run.info.run_id
            self.artifact_uris[run.info.run_id] = run.info.artifact_uri
            for batch in param_batches(params):
                self.client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in batch])

        self._try_now(read, what)
        self._try(start, what)

    def log_metrics(self, num: Optional[int], metrics: dict[str, float], step: Optional[int] = None) -> None:
        metrics = dict(metrics)

        def log_them() -> None:
            run_id = self.runs.get(num)
            if run_id is not None:
                self._log(run_id, metrics, step)

        self._try(log_them, f"metrics of job {num}")

    def end_job(self, num: Optional[int], *, status: str, value: Any = None, error: Optional[str] = None,
                directory: Optional[str] = None) -> None:
        metrics: dict[str, float] = {}

        def read() -> None:  # now: the value is the job's, and could change once it is handed back
            metrics.update(numeric_metrics(value))

        def end() -> None:
            run_id = self.runs.pop(num, None)
            if run_id is None:
                return
            tags = {"pruned": "true"} if status == "pruned" else {"error": _first_line(error)} if error else {}
            self._log(run_id, metrics, None, tags)
            artifact_uri = self.artifact_uris.pop(run_id, None)
            if directory is not None and artifact_uri is not None:
                self._log_job_files(artifact_uri, Path(directory))
            self.client.set_terminated(run_id, status=_STATUS.get(status, "FAILED"))

        self._try_now(read, f"the end of job {num}")
        self._try(end, f"the end of job {num}")

    def end_sweep(self, *, status: str, metrics: dict[str, float], params: dict[str, str],
                  artifacts: list[str]) -> None:
        def end() -> None:
            from mlflow.entities import Param

            parent_id = self.parent_id
            if parent_id is None:
                return
            self._log(parent_id, metrics, None)
            for batch in param_batches(params):
                self.client.log_batch(parent_id, params=[Param(k, v) for k, v in batch])
            for path in artifacts:
                self.client.log_artifact(parent_id, path)
            self.client.set_terminated(parent_id, status=_STATUS.get(status, "FAILED"))

        self._try(end, "the sweep's summary")
        self._stop_background()

    def logged_jobs(self) -> set[int]:
        """Jobs of the sweep that have a finished run under its parent (a run left RUNNING is closed)."""
        self.wait()
        if self.parent_id is None or self.experiment_id is None:
            return set()
        done: set[int] = set()
        runs = self.client.search_runs([self.experiment_id], max_results=50_000,
                                       filter_string=f"tags.`{PARENT_TAG}` = '{self.parent_id}'")
        for run in runs:
            num = run.data.tags.get(JOB_TAG)
            if num is None:
                continue
            if run.info.status == "RUNNING":  # its sweep was killed: the journal knows how it ended
                self.client.set_terminated(run.info.run_id, status="KILLED")
            else:
                done.add(int(num))
        return done

    # -- internals -------------------------------------------------------------------------------

    def _experiment_id(self) -> str:
        if self.experiment_id is None:
            found = self.client.get_experiment_by_name(self.experiment)
            self.experiment_id = found.experiment_id if found else self.client.create_experiment(self.experiment)
        return self.experiment_id

    def _log(self, run_id: str, metrics: Mapping[str, float], step: Optional[int],
             tags: Optional[Mapping[str, str]] = None) -> None:
        """Metrics (and tags) in as few store writes as MLflow's batch limits allow."""
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        entries = [Metric(key, float(v), now, step or 0) for key, v in metrics.items()]
        run_tags = [RunTag(k, v) for k, v in (tags or {}).items()]
        for start in range(0, max(len(entries), 1), 1000):
            batch = entries[start: start + 1000]
            if batch or run_tags:
                self.client.log_batch(run_id, metrics=batch, tags=run_tags if start == 0 else [])

    def _log_job_files(self, artifact_uri: str, directory: Path) -> None:
        from mlflow.store.artifact.artifact_repository_registry import (
            get_artifact_repository,
        )

        # The repository straight from the artifact URI create_run returned: the client
        # would first read the run back from the store to find it.
        repo = get_artifact_repository(artifact_uri, tracking_uri=self.tracking_uri)
        hydra_dir = directory / ".hydra"
        if hydra_dir.is_dir():
            repo.log_artifacts(str(hydra_dir), ".hydra")
        for log_file in sorted(directory.glob("*.log")):
            repo.log_artifact(str(log_file))

    def _try(self, action: Callable[[], None], what: str) -> None:
        if self._background is not None:
            self._background.call(lambda: self._try_now(action, what))
        else:
            self._try_now(action, what)

    def _try_now(self, action: Callable[[], None], what: str) -> None:
        if self.failed is not None:
            return
        try:
            action()
        except Exception as e:  # the store is down or refused: the science goes on
            self.failed = f"{type(e).__name__}: {_first_line(str(e))}"
            log.warning(f"MLflow at {self.tracking_uri} failed while logging {what} ({self.failed}); "
                        "nothing more is logged to it in this sweep; results stay in the sweep journal")


def numeric_metrics(value: Any, name: str = "value") -> dict[str, float]:
    """The numbers in a job's return value: a number under ``name``, a dict's numeric entries."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, (int, float)):
        return {name: float(value)} if math.isfinite(value) else {}
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
    try:
        number = float(value)  # numpy scalars, results that define __float__
    except (TypeError, ValueError):
        return {}
    return {name: number} if math.isfinite(number) else {}


def _first_line(text: str) -> str:
    """The first line of an error; of a traceback, the first line of its exception's message."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):
        frames = [i for i, line in enumerate(lines) if line.startswith((" ", "\t"))]
        after = frames[-1] + 1 if frames else 1
        lines = lines[after:] or lines[-1:]
    return (lines[0] if lines else "")[:500]


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
