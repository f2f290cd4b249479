"""The other two doors to the Slurm launcher: ``hydra/launcher=runner_slurm`` in a plain ``@hydra.main`` app, and the API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hydra_runner.journal import Status, SweepJournal
from hydra_runner.testing.project import Project
from hydra_runner.testing.slurm import SlurmCluster

pytestmark = pytest.mark.xdist_group("slurm")

MAIN = """
    import hydra

    @hydra.main(version_base=None, config_path=None, config_name=None)
    def main(cfg):
        return cfg.x * 2

    if __name__ == "__main__":
        main()
"""


def test_a_plain_hydra_main_app_selects_runner_slurm(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    Project(tmp_path).write({"main.py": MAIN})
    done = subprocess.run([sys.executable, "main.py", "--multirun", "hydra/launcher=runner_slurm", "+x=1,2,3",
                           "hydra.launcher.array_parallelism=2", "hydra.sweep.dir=out"], cwd=tmp_path,
                          env=slurm_cluster.client_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    with SweepJournal.open(tmp_path / "out") as journal:
        jobs = journal.jobs()
    assert [(job.status, job.value) for job in jobs] == [(Status.SUCCEEDED, 2), (Status.SUCCEEDED, 4),
                                                         (Status.SUCCEEDED, 6)]
    assert all(str(job.worker).startswith("slurm:") and job.worker.endswith("@node1") for job in jobs)
    array = str(jobs[0].worker).removeprefix("slurm:").split("_")[0]
    assert "ArrayTaskThrottle=2" in slurm_cluster.run("scontrol", "show", "job", array).stdout
    assert (tmp_path / "out" / "0" / ".hydra" / "hydra.yaml").exists()


def test_the_python_api_takes_launcher_slurm(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    script = """
from hydra_runner import hydra_multirun

def cube(cfg):
    return cfg.x ** 3

if __name__ == "__main__":
    jobs = hydra_multirun({"x": 0}, cube, overrides=["x=1,2", "hydra.sweep.dir=api"], launcher="slurm", jobs=1)
    print(sorted(job.return_value for job in jobs[0]))
"""
    (tmp_path / "run.py").write_text(script)
    done = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, env=slurm_cluster.client_env(),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[1, 8]"
    with SweepJournal.open(tmp_path / "api") as journal:
        assert {str(job.worker).split("@")[-1] for job in journal.jobs()} == {"node1"}
