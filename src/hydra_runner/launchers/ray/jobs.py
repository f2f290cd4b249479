"""Fire-and-forget (``--no-wait``): a sweep's jobs submitted as Ray jobs to a running cluster.

Each job becomes one Ray job (Ray's job submission API). Its entrypoint runs the job with
the same :class:`JobRunner` as a pool worker, from a package of the project's directory
(``runtime_env`` working_dir, without outputs and virtualenvs) that carries the sweep's
setup for the duration of the submission. The submitting process records every Ray job's
id in the sweep journal as ``submitted`` and returns. Later, :func:`collect` asks the
cluster how they are doing and brings each finished job's outcome, the JSON line its
entrypoint prints last, into the journal (``hydra-runner status`` and ``results`` call it).

Where the cluster shares the filesystem (or is this machine), jobs run in the project's
own directory and their output dirs are where the user expects; elsewhere they run in the
unpacked package, and the value and error still come back through the journal.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pickle
import shlex
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from hydra.core.utils import JobStatus

from hydra_runner.errors import UsageError
from hydra_runner.jobs.outcome import outcome_report
from hydra_runner.jobs.result import JobResult
from hydra_runner.jobs.runner import JobRunner, apply_bootstrap, worker_setup
from hydra_runner.journal import Status, SweepJournal
from hydra_runner.launchers.ray.resources import task_options
from hydra_runner.tasks.ref import dumps_by_value

if TYPE_CHECKING:
    from hydra.core.utils import JobReturn

    from hydra_runner.jobs.model import JobSpec
    from hydra_runner.launchers.ray.tasks import RayLauncher

__all__ = ["ADDRESS_KEY", "RAY_JOB_PREFIX", "RayJobState", "collect", "submit_jobs"]

#: How the journal's ``worker`` column names a job submitted as a Ray job.
RAY_JOB_PREFIX = "ray-job:"
OUTCOME_MARK = "HYDRA_RUNNER_OUTCOME "
#: The journal's record of where a --no-wait sweep's jobs went (the cluster's job API).
ADDRESS_KEY = "ray_jobs_address"
_SETUP_FILE = "setup.pkl"


@dataclass
class RayJobState:
    """One submitted job, as the cluster sees it now."""

    num: int
    overrides: list[str]
    ray_job: str
    ray_status: str
    status: Status
    message: Optional[str] = None


def client(address: Optional[str]) -> Any:
    """Ray's job submission client for ``address`` (the dashboard's http://host:port, or the cluster's)."""
    if not address:
        raise UsageError("--no-wait needs a running Ray cluster to submit to",
                         fix="add --ray-address http://HEAD:8265 (the cluster's dashboard address)")

    from ray.job_submission import JobSubmissionClient

    # Ray narrates every package upload and reuse at INFO; the sweep's own log says enough.
    for name in ("ray.dashboard.modules.dashboard_sdk", "ray._private.runtime_env.packaging"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        return JobSubmissionClient(address)
    except Exception as e:
        raise UsageError(f"cannot reach Ray's job API at {address}: {e}",
                         fix="give the dashboard address of a running cluster, e.g. --ray-address http://HEAD:8265"
                         ) from None


# -- submitting -------------------------------------------------------------------------------------------


def submit_jobs(launcher: RayLauncher, jobs: Sequence[JobSpec]) -> list[JobReturn]:
    """Submit ``jobs`` as Ray jobs, record their ids, and return without waiting for them."""


    assert launcher.config is not None
    jobs_api = client(launcher.address)
    boot, setup = worker_setup(launcher.config, launcher.task_function, launcher.loader)
    boot = replace(boot, environ={})  # the shell's variables stay here; --forward-env names what goes
    project = Path(boot.cwd)
    sweep_id = uuid.uuid4().hex[:8]
    # The setup travels as a package of its own (runtime_env py_modules), so the project's
    # .gitignore, which Ray's packaging honours, cannot leave it out.
    package = f"hydra_runner_sweep_{sweep_id}"
    staging = Path(tempfile.mkdtemp(prefix="hydra-runner-submit-"))
    (staging / package).mkdir(mode=0o700)
    (staging / package / "__init__.py").touch(mode=0o600)
    (staging / package / _SETUP_FILE).touch(mode=0o600)
    (staging / package / _SETUP_FILE).write_bytes(
        dumps_by_value((boot, setup), script_in_workers=boot.main_file is not None))
    task_name = str(launcher.config.hydra.job.name)
    dashboard = jobs_api.get_address()
    if launcher.journal is not None:
        launcher.journal.set_meta(ADDRESS_KEY, dashboard)
    returns: list[JobReturn] = []
    try:
        for num, overrides in jobs:
            composed = launcher.compose((num, overrides))
            options = task_options(composed.task_config(), task_name, launcher.task_env_key)
            runtime_env = _runtime_env(launcher.runtime_env(), options.get("runtime_env", {}))
            runtime_env["py_modules"] = [*runtime_env.get("py_modules", []), str(staging / package)]
            ray_job = jobs_api.submit_job(
                entrypoint=f"python -m hydra_runner.launchers.ray.jobs {package} {num} "
                           + _quote(json.dumps(list(overrides))),
                submission_id=f"{task_name}-{sweep_id}-{num}",
                runtime_env=runtime_env,
                entrypoint_num_cpus=options["num_cpus"],
                entrypoint_num_gpus=options.get("num_gpus"),
                entrypoint_memory=options.get("memory"),
                entrypoint_resources=options.get("resources"),
                metadata={"hydra_runner_sweep": str(composed.output_dir or ""), "job": str(num)},
            )
            if launcher.journal is not None:
                launcher.journal.job_submitted(num, overrides, f"{RAY_JOB_PREFIX}{ray_job}")
            launcher.job_log.info(f"\t#{num} : {' '.join(overrides)} -> Ray job {ray_job}")
            returns.append(JobResult(overrides=list(overrides), status=JobStatus.UNKNOWN))
    finally:
        # The package was uploaded with the first job; the cluster keeps it.
        shutil.rmtree(staging, ignore_errors=True)
    sweep_dir = launcher.journal.sweep_dir if launcher.journal is not None else Path(str(launcher.config.hydra.sweep.dir))
    launcher.job_log.info(f"{len(returns)} jobs submitted to Ray ({dashboard}) with {project} as their "
                          "working_dir; not waiting for them.")
    launcher.job_log.info(f"Follow them: hydra-runner status {_shown(sweep_dir)}  (results: hydra-runner results)")
    return returns


def _runtime_env(sweep: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """The sweep's runtime_env with the job's task_env on top (env_vars and excludes merged)."""
    env = {**sweep, **job}
    for key in ("env_vars", "excludes"):
        if key in sweep and key in job:
            env[key] = {**sweep[key], **job[key]} if key == "env_vars" else [*sweep[key], *job[key]]
    if "working_dir" not in env:  # the entrypoint reads the sweep's setup from the package: it always goes
        from hydra_runner.launchers.ray.resources import PROJECT_EXCLUDES

        env.update(working_dir=str(Path.cwd()), excludes=[*PROJECT_EXCLUDES, *env.get("excludes", [])])
    return env


def _quote(text: str) -> str:
    return shlex.quote(text)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# -- collecting ------------------------------------------------------------------------------------------


def collect(sweep_dir: Path) -> Optional[list[RayJobState]]:
    """Every submitted job's state on the cluster; finished ones are written into the journal.

    None for a sweep whose jobs were not submitted with --no-wait (they ran where it ran).
    """
    with SweepJournal.open(sweep_dir) as journal:
        address = journal.meta.get(ADDRESS_KEY)
        if address is None:
            return None
        jobs_api = client(address)
        states = []
        for record in journal.jobs():
            if not (record.worker or "").startswith(RAY_JOB_PREFIX):
                continue
            ray_job = str(record.worker)[len(RAY_JOB_PREFIX):]
            state = RayJobState(record.num, record.overrides, ray_job, "unknown", record.status,
                                record.error.strip().splitlines()[-1] if record.error else None)
            try:
                info = jobs_api.get_job_info(ray_job)
                state.ray_status = str(info.status)
                if record.status is Status.SUBMITTED:
                    state.message = info.message
                    if info.status.is_terminal():
                        _record_outcome(journal, state, jobs_api.get_job_logs(ray_job), info)
            except Exception as e:  # the cluster was restarted, or the job deleted: ask again later
                state.ray_status, state.message = "gone", state.message or f"the cluster has no such job: {e}"
            states.append(state)
        return states


def _record_outcome(journal: SweepJournal, state: RayJobState, logs: str, info: Any) -> None:
    outcome = _outcome_in(logs)
    started = info.start_time / 1000 if info.start_time else None
    ended = info.end_time / 1000 if info.end_time else None
    if outcome is not None:
        state.status = Status.SUCCEEDED if outcome["completed"] else Status.FAILED
        error = outcome.get("error")
        directory = outcome.get("output_dir")
        value = outcome.get("value") if outcome["completed"] else None
    else:  # the entrypoint died before it could say how the job went
        state.status = Status.INTERRUPTED if str(info.status) == "STOPPED" else Status.CRASHED
        tail = "\n".join(logs.strip().splitlines()[-20:])
        error = f"Ray job {state.ray_job} {info.status}: {info.message or ''}\n{tail}".strip()
        directory, value = None, None
    state.message = (error or "").strip().splitlines()[-1] if error else None
    journal.job_finished(state.num, state.status, directory=directory, value=value, error=error,
                         started=started, ended=ended)


def _outcome_in(logs: str) -> Optional[dict[str, Any]]:
    for line in reversed(logs.splitlines()):
        if line.startswith(OUTCOME_MARK):
            try:
                return json.loads(line[len(OUTCOME_MARK):])  # type: ignore[no-any-return]
            except ValueError:
                continue  # cut or interleaved with other output: an earlier one may be whole
    return None


# -- the entrypoint, on the cluster ---------------------------------------------------------------------


def _run_submitted(package: str, num: int, overrides: list[str]) -> int:
    setup_file = Path(importlib.import_module(package).__file__ or "").with_name(_SETUP_FILE)
    boot, setup = pickle.loads(setup_file.read_bytes())
    apply_bootstrap(boot.relocated(os.getcwd(), sys.path), environ=False)
    runner = JobRunner(setup, on_started=lambda n, d: None, ask_parent=lambda kind, payload: None)
    outcome = runner.run(num, overrides)
    report = outcome_report(outcome)
    sys.stdout.write(f"\n{OUTCOME_MARK}{json.dumps(report)}\n")
    sys.stdout.flush()
    return 0 if outcome.completed else 1


if __name__ == "__main__":
    sys.exit(_run_submitted(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])))
