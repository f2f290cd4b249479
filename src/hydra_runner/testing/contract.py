"""The contract every backend keeps, as tests: subclass :class:`BackendContract` and give it a backend.

::

    import pytest
    from hydra_runner.testing import Backend, BackendContract, backend_param

    MINE = Backend("mine", ("hydra/launcher=my_launcher",), slots=2)

    class TestMyBackend(BackendContract):
        @pytest.fixture(params=[backend_param(MINE)])
        def backend(self, request):
            return request.param

Each case runs the real CLI in a throw-away project (real processes, real signals) and
checks what it returns and what the sweep journal recorded. The task marks each start and
each success in files, so runs are counted however the backend runs them.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from hydra_runner.journal import JobRecord, Status
from hydra_runner.testing.backends import Backend
from hydra_runner.testing.project import (
    Project,
    Result,
    count,
    journal_of,
    start_sweep,
    statuses,
    wait_for,
)

__all__ = ["BackendContract", "TASK"]

#: The task every case runs: ``actions.xN`` says what job ``x=N`` does, else ``action`` (by default it succeeds).
TASK = """
    import json, os, signal, time
    import hydra_runner
    from hydra.core.hydra_config import HydraConfig

    def _mark(name, text):
        with open(name, "a") as f:
            f.write(f"{text}\\n")

    def _fail(x):
        raise ValueError(f"bad x={x}")

    def _crash_once(x):
        if not os.path.exists(f"crashed-{x}"):
            open(f"crashed-{x}", "w").close()
            os._exit(5)

    def _steps(x):
        for step in range(6):
            hydra_runner.report(abs(x - 2) + 1.0 / (step + 1), step)
        return abs(x - 2)

    # What a job does before it succeeds; a function that returns a value ends the job with it.
    ACTIONS = {
        "ok": lambda x: None,
        "raise": _fail,
        "exit": lambda x: os._exit(3),
        "sigkill": lambda x: os.kill(os.getpid(), signal.SIGKILL),
        "hang": lambda x: time.sleep(30),
        "crash_once": _crash_once,
        "steps": _steps,
    }

    def task(cfg):
        x = cfg.x
        hc = HydraConfig.get()
        _mark("started.log", x)
        _mark("jobs.log", json.dumps({"x": x, "num": hc.job.num, "pid": os.getpid(), "ppid": os.getppid(),
                                      "output_dir": hc.runtime.output_dir}))
        value = ACTIONS[cfg.actions.get(f"x{x}", cfg.action)](x)
        if value is not None:
            return value
        for step in range(3):
            hydra_runner.log_metrics({"loss": x * 10 - step}, step=step)
        time.sleep(cfg.sleep)
        _mark("succeeded.log", x)
        return x * 10
"""

CONFIG = """
    x: 0
    sleep: 0.0
    action: ok
    actions: {}
"""

TARGET = ("app:task", "--config-path", "conf", "--config-name", "config")


class BackendContract:
    """The cases; a subclass provides the ``backend`` fixture (a :class:`Backend`)."""

    @pytest.fixture
    def backend(self) -> Backend:
        raise NotImplementedError("a BackendContract subclass provides the backend fixture")

    @pytest.fixture
    def contract_project(self, tmp_path: Path) -> Project:
        return Project(tmp_path).write({"app.py": TASK, "conf/config.yaml": CONFIG})

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def sweep(project: Project, backend: Backend, *args: str) -> Result:
        return project.cli("multirun", *TARGET, *args, *backend.flags, env=dict(backend.env),
                           timeout=backend.cli_timeout)

    @staticmethod
    def jobs(project: Project) -> dict[int, JobRecord]:
        with journal_of(project) as journal:
            return {job.num: job for job in journal.jobs()}

    @staticmethod
    def marks(project: Project, name: str) -> list[int]:
        path = project.root / name
        return sorted(int(line) for line in path.read_text().split()) if path.exists() else []

    @staticmethod
    def runs(project: Project) -> list[dict[str, Any]]:
        """What each run of the task saw: x, job number, pid, parent pid, output dir."""
        return [json.loads(line) for line in (project.root / "jobs.log").read_text().splitlines()]

    def ran_elsewhere(self, project: Project) -> bool:
        """Whether every job ran outside the CLI's process (whose parent is this test)."""
        return all(run["ppid"] != os.getpid() and run["pid"] != os.getpid() for run in self.runs(project))

    # -- the cases -----------------------------------------------------------------------------

    def test_jobs_succeed_with_hydra_outputs(self, contract_project: Project, backend: Backend) -> None:
        r = self.sweep(contract_project, backend, "x=0,1,2")
        assert r.code == 0, r.err
        jobs = self.jobs(contract_project)
        assert [jobs[n].status for n in range(3)] == [Status.SUCCEEDED] * 3
        assert [jobs[n].value for n in range(3)] == [0, 10, 20]
        for n in range(3):
            job_dir = contract_project.root / (jobs[n].directory or "")
            assert job_dir.name == str(n) and job_dir.parent.parent.parent.name == "multirun"
            assert {p.name for p in (job_dir / ".hydra").iterdir()} >= {"config.yaml", "hydra.yaml", "overrides.yaml"}
            assert f"x: {n}" in (job_dir / ".hydra" / "config.yaml").read_text()
            assert "- x=" + str(n) in (job_dir / ".hydra" / "overrides.yaml").read_text()
        assert {run["num"]: Path(run["output_dir"]) for run in self.runs(contract_project)} == {
            n: (contract_project.root / (jobs[n].directory or "")).absolute() for n in range(3)}
        assert self.marks(contract_project, "succeeded.log") == [0, 1, 2]

    def test_a_job_that_raises_fails_alone(self, contract_project: Project, backend: Backend) -> None:
        r = self.sweep(contract_project, backend, "x=0,1,2,3", "+actions.x1=raise")
        assert r.code == 1, r.err
        jobs = self.jobs(contract_project)
        assert {n: job.status for n, job in jobs.items()} == {
            0: Status.SUCCEEDED, 1: Status.FAILED, 2: Status.SUCCEEDED, 3: Status.SUCCEEDED}
        error = jobs[1].error or ""
        assert "Traceback" in error and "ValueError: bad x=1" in error
        assert jobs[1].value is None and jobs[3].value == 30
        assert "ValueError: bad x=1" in r.err
        assert self.marks(contract_project, "succeeded.log") == [0, 2, 3]

    @pytest.mark.parametrize("action, exit_code", [("exit", 3), ("sigkill", -signal.SIGKILL)])
    def test_a_job_that_ends_its_process(self, contract_project: Project, backend: Backend, action: str,
                                         exit_code: int) -> None:
        r = self.sweep(contract_project, backend, "x=0,1,2,3", f"+actions.x1={action}")
        jobs = self.jobs(contract_project)
        if backend.isolates_crashes:
            assert r.code == 1, r.err
            assert {n: job.status for n, job in jobs.items()} == {
                0: Status.SUCCEEDED, 1: Status.CRASHED, 2: Status.SUCCEEDED, 3: Status.SUCCEEDED}
            assert jobs[1].error
            assert self.marks(contract_project, "succeeded.log") == [0, 2, 3]
        else:  # the sweep's process is the job's: it ends, with what the journal knew
            assert r.code == exit_code, r.err
            assert {n: job.status for n, job in jobs.items()} == {
                0: Status.SUCCEEDED, 1: Status.RUNNING, 2: Status.PENDING, 3: Status.PENDING}
            assert self.marks(contract_project, "succeeded.log") == [0]

    def test_a_job_past_the_timeout_is_stopped(self, contract_project: Project, backend: Backend) -> None:
        r = self.sweep(contract_project, backend, "x=0,1", "+actions.x1=hang", "--timeout", "2")
        assert r.code == 1, r.err
        jobs = self.jobs(contract_project)
        assert {n: job.status for n, job in jobs.items()} == {0: Status.SUCCEEDED, 1: Status.TIMEOUT}
        assert "timed out after 2 s" in (jobs[1].error or "") and "timed out after 2 s" in r.err
        assert (jobs[1].duration or 0) < 25  # stopped, not slept out
        assert backend.limits_jobs or self.ran_elsewhere(contract_project)

    def test_retries_run_again_only_a_lost_job(self, contract_project: Project, backend: Backend) -> None:
        r = self.sweep(contract_project, backend, "x=0,1,2", "+actions.x1=crash_once", "+actions.x2=raise",
                       "--retries", "1")
        assert r.code == 1, r.err
        jobs = self.jobs(contract_project)
        assert {n: (job.status, job.attempts) for n, job in jobs.items()} == {
            0: (Status.SUCCEEDED, 1), 1: (Status.SUCCEEDED, 2), 2: (Status.FAILED, 1)}
        assert self.marks(contract_project, "started.log") == [0, 1, 1, 2]  # a raise is not retried
        assert self.marks(contract_project, "succeeded.log") == [0, 1]
        assert backend.limits_jobs or self.ran_elsewhere(contract_project)

    def test_fail_fast_starts_no_job_after_the_first_failure(self, contract_project: Project,
                                                             backend: Backend) -> None:
        r = self.sweep(contract_project, backend, "x=range(6)", "sleep=1", "+actions.x0=raise", "--fail-fast")
        assert r.code == 1, r.err
        jobs = self.jobs(contract_project)
        assert jobs[0].status is Status.FAILED
        # Only the jobs given a slot before #0 failed ever start (a backend may start a job it
        # took a little later, on its own worker); the flags' pool on its own has a slot per core.
        first = backend.slots if backend.limits_jobs and backend.slots else (os.cpu_count() or 1)
        started = sorted(n for n, job in jobs.items() if job.status is not Status.PENDING)
        pending = [n for n, job in jobs.items() if job.status is Status.PENDING]
        assert 0 in started and set(started) <= set(range(first)), jobs
        assert all(jobs[n].attempts == 0 and jobs[n].started is None for n in pending)
        assert len(pending) >= 6 - first
        if pending:
            assert f"{len(pending)} were not started (--fail-fast)" in r.err
        assert backend.limits_jobs or self.ran_elsewhere(contract_project)

    def test_ctrl_c_stops_the_sweep_and_resume_runs_the_rest_once(self, contract_project: Project,
                                                                  backend: Backend) -> None:
        proc = start_sweep(contract_project, *TARGET, "x=range(6)", "sleep=1", *backend.flags, env=dict(backend.env))
        try:
            wait_for(lambda: count(contract_project, Status.RUNNING) >= 1, timeout=backend.cli_timeout)
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to the CLI's process group
            _, err = proc.communicate(timeout=backend.cli_timeout)
        finally:
            if proc.returncode is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert proc.returncode == 130, err
        seen = statuses(contract_project)
        assert set(seen.values()) <= {Status.SUCCEEDED, Status.INTERRUPTED, Status.PENDING}, seen
        assert Status.PENDING in seen.values()
        r = contract_project.cli("resume", env=dict(backend.env), timeout=backend.cli_timeout)
        assert r.code == 0, r.err
        assert statuses(contract_project) == {n: Status.SUCCEEDED for n in range(6)}
        assert self.marks(contract_project, "succeeded.log") == list(range(6))  # each job succeeded once

    def test_reports_reach_the_pruner(self, contract_project: Project, backend: Backend) -> None:
        r = self.sweep(contract_project, backend, "hydra/sweeper=optuna", "hydra.sweeper.n_trials=8",
                       "x=interval(-10,10)", "action=steps",
                       "+hydra.sweeper.enqueue=[{x: 2.0}, {x: 2.2}, {x: 2.4}]", "+hydra/sweeper/pruner=median",
                       "hydra.sweeper.pruner.n_startup_trials=3", "hydra.sweeper.n_jobs=1")
        assert r.code == 0, r.err
        jobs = self.jobs(contract_project)
        assert [jobs[n].status for n in range(3)] == [Status.SUCCEEDED] * 3
        if not backend.relays_events:  # the trials run to their end: nothing tells the pruner how they go
            assert {job.status for job in jobs.values()} == {Status.SUCCEEDED} and len(jobs) == 8
            assert {job.value for job in jobs.values()} >= {0.0}  # the enqueued x=2.0 ends with |x - 2|
            return
        pruned = [job for job in jobs.values() if job.status is Status.PRUNED]
        assert pruned, {n: job.status for n, job in jobs.items()}
        assert all("pruned at step" in (job.error or "") for job in pruned)
        # The pruner compared reported values: at step 0 the start-up trials' median is 1.2,
        # so only a trial whose value there (|x - 2| + 1) is above it can have been stopped.
        xs = [float(next(o for o in job.overrides if o.startswith("x="))[2:]) for job in pruned]
        assert all(abs(x - 2) > 0.2 for x in xs), xs

    def test_jobs_are_tracked_in_mlflow(self, contract_project: Project, backend: Backend) -> None:
        from mlflow.tracking import MlflowClient

        uri = f"sqlite:///{contract_project.root / 'tracking.db'}"
        r = self.sweep(contract_project, backend, "x=0,1,2", "+actions.x1=raise", "--mlflow", "--mlflow-uri", uri,
                       "--mlflow-experiment", "contract")
        assert r.code == 1, r.err
        client = MlflowClient(uri)
        experiment = client.get_experiment_by_name("contract")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        parents = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
        assert len(parents) == 1
        children: dict[int, Any] = {int(run.data.tags["hydra_runner.job"]): run for run in runs
                                    if run.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id}
        assert sorted(children) == [0, 1, 2] and len(runs) == 4
        assert [children[n].info.status for n in range(3)] == ["FINISHED", "FAILED", "FINISHED"]
        assert children[2].data.metrics["value"] == 20.0 and "value" not in children[1].data.metrics
        assert children[1].data.tags["error"] == "ValueError: bad x=1"
        history = client.get_metric_history(children[2].info.run_id, "loss")
        steps = [(0, 20.0), (1, 19.0), (2, 18.0)] if backend.relays_events else []
        assert sorted((m.step, m.value) for m in history) == steps
