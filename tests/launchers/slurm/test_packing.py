"""--jobs-per-allocation: many jobs in one Slurm allocation, one warm process each, on the real cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hydra_runner.journal import Status
from hydra_runner.testing.slurm import SlurmCluster
from tests.launchers.slurm._project import make_project, records, sweep

pytestmark = pytest.mark.xdist_group("slurm")

PID_TASK = """
    import json, os

    def task(cfg):
        with open(os.path.join(cfg.root, "pids.jsonl"), "a") as f:
            f.write(json.dumps({"x": cfg.x, "pid": os.getpid(), "job": os.environ["SLURM_JOB_ID"]}) + "\\n")
        return cfg.x
"""


def test_twelve_jobs_in_three_allocations_each_one_process(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    project = make_project(tmp_path, {"app.py": PID_TASK})
    result = sweep(project, slurm_cluster, "x=range(12)", "--jobs-per-allocation", "4", "-j", "2")
    assert result.code == 0, result.err
    jobs = records(project)
    assert [job.status for job in jobs.values()] == [Status.SUCCEEDED] * 12
    assert [job.value for job in jobs.values()] == list(range(12))
    allocations = {num: str(job.worker).split("@")[0] for num, job in jobs.items()}
    assert len(set(allocations.values())) == 3
    assert all(allocations[num] == allocations[num - num % 4] for num in range(12))  # in order, four each
    runs = [json.loads(line) for line in (tmp_path / "pids.jsonl").read_text().splitlines()]
    assert len({run["pid"] for run in runs}) == 3 and len({run["job"] for run in runs}) == 3


def test_a_crash_ends_its_allocation_and_retries_run_the_jobs_it_took_along(
        tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    project = make_project(tmp_path)
    result = sweep(project, slurm_cluster, "x=range(6)", "segfault=1", "--jobs-per-allocation", "3",
                   "--retries", "1")
    assert result.code == 1, result.err
    jobs = records(project)
    assert {num: job.status for num, job in jobs.items()} == {
        0: Status.SUCCEEDED, 1: Status.CRASHED, 2: Status.SUCCEEDED, 3: Status.SUCCEEDED, 4: Status.SUCCEEDED,
        5: Status.SUCCEEDED}
    # Job 2 shared #1's allocation: lost with it, then run again on its own.
    assert jobs[1].attempts == 2 and jobs[2].attempts == 2 and jobs[0].attempts == 1 and jobs[4].attempts == 1
    assert "before the task returned" in jobs[1].error
