"""--launcher slurm on a real single-node Slurm (the ``slurm_cluster`` fixture): sweeps, throttle, failures, --no-wait."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from hydra_runner.journal import Status, latest_sweep
from hydra_runner.testing.project import Project
from hydra_runner.testing.slurm import SlurmCluster
from tests.launchers.slurm._project import TARGET, make_project, records, sweep

pytestmark = pytest.mark.xdist_group("slurm")

@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


def test_an_eight_job_sweep_runs_as_one_array_and_is_in_results(project: Project, slurm_cluster: SlurmCluster) -> None:
    result = sweep(project, slurm_cluster, "x=range(8)", "-j", "2")
    assert result.code == 0, result.err
    jobs = records(project)
    assert sorted(jobs) == list(range(8))
    assert all(job.status is Status.SUCCEEDED for job in jobs.values())
    # One array: job ids 123_0 ... 123_7, each run on the cluster's node.
    workers = [job.worker for job in jobs.values()]
    ids = {re.fullmatch(r"slurm:(\d+)_(\d+)@node1", str(w)).group(1) for w in workers}
    assert len(ids) == 1, workers
    assert sorted(int(str(w).split("_")[1].split("@")[0]) for w in workers) == list(range(8))
    sweep_dir = latest_sweep(project.root)
    assert sweep_dir is not None
    for num in range(8):
        job_dir = sweep_dir / str(num)
        assert (job_dir / ".hydra" / "overrides.yaml").read_text().strip() == f"- x={num}"
        assert f"hello from {num}" in (job_dir / "console.log").read_text()
    shown = project.cli("results", "--json", "-", env=slurm_cluster.env)
    assert shown.code == 0, shown.err
    values = {row["job"]: row["value"] for row in json.loads(shown.out)["jobs"]}
    assert values == {num: num * 10 for num in range(8)}


def test_the_array_throttle_runs_one_job_at_a_time(project: Project, slurm_cluster: SlurmCluster) -> None:
    # The node has room for two; -j 1 (the array's %1) lets one run.
    assert slurm_cluster.cpus >= 2
    result = sweep(project, slurm_cluster, "x=1,2,3", "sleep=1", "-j", "1")
    assert result.code == 0, result.err
    times = sorted((json.loads(line) for line in (project.root / "times.jsonl").read_text().splitlines()),
                   key=lambda t: t["start"])
    assert len(times) == 3
    for earlier, later in zip(times, times[1:]):
        assert later["start"] >= earlier["end"], times
    array = {t["job"] for t in times}
    assert len(array) == 1
    shown = slurm_cluster.run("scontrol", "show", "job", array.pop()).stdout
    assert "ArrayTaskThrottle=1" in shown or "%1" in shown, shown


def test_a_raising_and_a_segfaulting_job_leave_the_others_to_finish(project: Project,
                                                                     slurm_cluster: SlurmCluster) -> None:
    result = sweep(project, slurm_cluster, "x=range(4)", "fail=1", "segfault=2")
    assert result.code == 1
    assert "2 of 4 jobs did not succeed" in result.err, result.err
    jobs = records(project)
    statuses = {num: job.status for num, job in jobs.items()}
    assert statuses == {0: Status.SUCCEEDED, 1: Status.FAILED, 2: Status.CRASHED, 3: Status.SUCCEEDED}
    assert "ValueError: bad x=1" in jobs[1].error
    assert "FAILED" in jobs[2].error and "Segmentation fault" in jobs[2].error


def test_no_wait_returns_at_once_and_status_and_results_collect_later(project: Project,
                                                                      slurm_cluster: SlurmCluster) -> None:
    result = sweep(project, slurm_cluster, "x=1,2,3", "sleep=2", "fail=3", "--no-wait")
    assert result.code == 0, result.err
    submitted = re.findall(r"-> Slurm job (\d+_\d+)", result.err + result.out)
    assert len(submitted) == 3
    assert {job.status for job in records(project).values()} == {Status.SUBMITTED}
    deadline = time.monotonic() + 120
    while True:  # each look is a new process, as from another shell
        status = project.cli("status", env={**slurm_cluster.env, "COLUMNS": "200"})
        assert status.code == 0, status.err
        if "3 ended" in status.out or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "3 jobs: 3 ended, 0 still on Slurm" in status.out, status.out
    for slurm_id in submitted:
        assert slurm_id in status.out
    shown = project.cli("results", "--json", "-", env=slurm_cluster.env)
    rows = {row["job"]: row for row in json.loads(shown.out)["jobs"]}
    assert {num: row["status"] for num, row in rows.items()} == {0: "succeeded", 1: "succeeded", 2: "failed"}
    assert rows[0]["value"] == 10 and rows[1]["value"] == 20
    workers = {job.worker for job in records(project).values()}
    assert workers == {f"slurm:{slurm_id}@node1" for slurm_id in submitted}


def test_scancel_of_a_job_then_resume_runs_it_again(project: Project, slurm_cluster: SlurmCluster) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "hydra_runner", "multirun", *TARGET, "x=1,2,3", "hang_once=2",
                             "--launcher", "slurm"], cwd=project.root, env=slurm_cluster.client_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (project.root / "hung").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    jobs = records(project)
    slurm_id = str(jobs[1].worker).removeprefix("slurm:").split("@")[0]
    slurm_cluster.run("scancel", slurm_id)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    after = records(project)
    assert after[1].status is Status.INTERRUPTED and "CANCELLED" in after[1].error
    assert after[0].status is Status.SUCCEEDED and after[2].status is Status.SUCCEEDED
    resumed = project.cli("resume", env=slurm_cluster.env, timeout=240)
    assert resumed.code == 0, resumed.err
    final = records(project)
    assert all(job.status is Status.SUCCEEDED for job in final.values())
    assert final[1].attempts == 2 and final[0].attempts == 1
    assert final[1].worker != jobs[1].worker


def test_cancel_from_a_new_shell_then_resume(project: Project, slurm_cluster: SlurmCluster) -> None:
    # -j 1: job #0 runs (and hangs), #1 and #2 wait in Slurm's queue.
    result = sweep(project, slurm_cluster, "x=0,1,2", "hang_once=0", "-j", "1", "--no-wait")
    assert result.code == 0, result.err
    deadline = time.monotonic() + 60
    while not (project.root / "hung").exists():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    one = project.cli("cancel", "2", env=slurm_cluster.env)
    assert one.code == 0 and "cancelled 1 job" in one.out and "#2" in one.out, one.out + one.err
    rest = project.cli("cancel", env=slurm_cluster.env)
    assert rest.code == 0 and "#0, #1" in rest.out, rest.out + rest.err
    jobs = records(project)
    assert {job.status for job in jobs.values()} == {Status.INTERRUPTED}
    array = str(jobs[0].worker).removeprefix("slurm:").split("_")[0]
    assert slurm_cluster.run("squeue", "-h", "-r", "-t", "pending,running", "-j", array, "-o", "%i",
                             check=False).stdout.split() == []
    resumed = project.cli("resume", env=slurm_cluster.env, timeout=240)
    assert resumed.code == 0, resumed.err
    deadline = time.monotonic() + 120
    while project.cli("status", env=slurm_cluster.env).out.find("3 ended") < 0:
        assert time.monotonic() < deadline
        time.sleep(1)
    assert {num: job.value for num, job in records(project).items()} == {0: 0, 1: 10, 2: 20}
    nothing = project.cli("cancel", env=slurm_cluster.env)
    assert nothing.code == 0 and "no job" in nothing.out
