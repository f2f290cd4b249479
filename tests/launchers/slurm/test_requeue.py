"""Slurm's warning signal before a time limit or a preemption: the job's save runs, and its next run resumes.

Slurm warns a job with SIGUSR2 (``--signal=USR2@N``); the tests send that same signal with
``scancel --signal`` instead of waiting for slurmctld's periodic time-limit check, so they
take seconds. submitit tells a time limit from a preemption by the job's requested time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hydra_runner.journal import Status
from hydra_runner.testing.project import Project
from hydra_runner.testing.slurm import SlurmCluster
from tests.launchers.slurm._project import records

pytestmark = pytest.mark.xdist_group("slurm")

TASK = """
    import json, os, time
    import hydra_runner
    from hydra.core.hydra_config import HydraConfig

    def task(cfg):
        path = os.path.join(HydraConfig.get().runtime.output_dir, "state.json")
        state = json.load(open(path)) if hydra_runner.restarts() else {"step": 0, "runs": 0}
        state["runs"] += 1
        hydra_runner.on_requeue(lambda: json.dump(state, open(path, "w")))
        while state["step"] < cfg.steps:
            time.sleep(0.5)
            state["step"] += 1
            with open(os.path.join(cfg.root, "progress"), "w") as f:
                f.write(str(state["step"]))
        return {"step": state["step"], "runs": state["runs"], "restarts": hydra_runner.restarts()}
"""

FILES = {
    "app.py": TASK,
    "conf/config.yaml": "steps: 12\nroot: ${hydra:runtime.cwd}\n",
    # submitit calls a warning "timed out" once the job has used its time but 10 minutes (10
    # minutes: at once), else "preempted" (30 minutes). Slurm's own warning comes 30 s before
    # the limit: never within these tests.
    "conf/task_env/short.yaml": "resources: {time: 10}\n",
    "conf/task_env/long.yaml": "resources: {time: 30}\n",
}


def _warn_when_running(project: Project, cluster: SlurmCluster, *args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "hydra_runner", "multirun", "app:task", "--config-path", "conf",
                             "--config-name", "config", *args, "--launcher", "slurm"], cwd=project.root,
                            env=cluster.client_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress = project.root / "progress"
    deadline = time.monotonic() + 90
    while not (progress.exists() and int(progress.read_text() or 0) >= 3):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    slurm_id = str(records(project)[0].worker).removeprefix("slurm:").split("@")[0]
    cluster.run("scancel", "--signal=USR2", slurm_id)
    return proc, slurm_id


def test_a_job_at_its_time_limit_saves_and_its_retry_resumes(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    project = Project(tmp_path).write(FILES)
    proc, first = _warn_when_running(project, slurm_cluster, "+task_env=short", "--retries", "1")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err, records(project)[0])
    assert "retrying" in out + err, out + err
    job = records(project)[0]
    assert job.status is Status.SUCCEEDED and job.attempts == 2
    assert job.value["step"] == 12 and job.value["runs"] == 2 and job.value["restarts"] == 1
    assert str(job.worker).split("@")[0] != f"slurm:{first}"  # the retry is a new Slurm job
    saved = json.loads((project.root / str(job.directory) / "state.json").read_text())
    assert 3 <= saved["step"] < 12 and saved["runs"] == 1  # what the first run saved when warned


def test_a_preempted_job_is_requeued_and_resumes(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    project = Project(tmp_path).write(FILES)
    proc, slurm_id = _warn_when_running(project, slurm_cluster, "+task_env=long")
    # Slurm holds a requeued job for two minutes before it may start again: let it start now.
    deadline = time.monotonic() + 60
    while slurm_cluster.run("squeue", "-h", "-j", slurm_id, "-o", "%T %r").stdout.split() != ["PENDING", "BeginTime"]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    slurm_cluster.run("scontrol", "update", f"JobId={slurm_id}", "StartTime=now")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err, records(project)[0])
    job = records(project)[0]
    assert job.status is Status.SUCCEEDED and job.attempts == 2
    assert job.worker == f"slurm:{slurm_id}@node1"  # the same Slurm job, run again
    assert job.value["step"] == 12 and job.value["runs"] == 2 and job.value["restarts"] == 1
