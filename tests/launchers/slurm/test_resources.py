"""task_env resources on a real Slurm: what the jobs asked for is what ``scontrol show job`` shows; the impossible is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hydra_runner.journal import Status, latest_sweep
from hydra_runner.testing.slurm import PARTITION, SlurmCluster
from tests.launchers.slurm._project import make_project, records, sweep

pytestmark = pytest.mark.xdist_group("slurm")

PRESETS = {
    "conf/task_env/small.yaml": """
        resources: {cpu: 1, memory: 300Mi, time: 7}
        env_vars: {GREETING: hi-small}
    """,
    "conf/task_env/large.yaml": f"""
        resources: {{cpu: 2, memory: 600Mi, time: "0:11:00", partition: {PARTITION},
                     sbatch: ["--comment=from-the-config"]}}
    """,
}


def test_presets_become_sbatch_parameters_that_scontrol_shows(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    project = make_project(tmp_path, PRESETS)
    result = sweep(project, slurm_cluster, "+task_env=small,large", "x=1,2")
    assert result.code == 0, result.err
    jobs = records(project)
    assert all(job.status is Status.SUCCEEDED for job in jobs.values())
    # One array per distinct request: small (jobs 0, 1) and large (jobs 2, 3), as Hydra orders the grid.
    by_preset: dict[str, set[str]] = {}
    for job in jobs.values():
        preset = next(o.split("=")[1] for o in job.overrides if o.startswith("+task_env="))
        by_preset.setdefault(preset, set()).add(str(job.worker).removeprefix("slurm:").split("_")[0])
        assert f"cpus={1 if preset == 'small' else 2} " in job.slot
    assert all(len(arrays) == 1 for arrays in by_preset.values()) and by_preset["small"] != by_preset["large"]
    small = slurm_cluster.run("scontrol", "show", "job", by_preset["small"].pop()).stdout
    large = slurm_cluster.run("scontrol", "show", "job", by_preset["large"].pop()).stdout
    assert re.search(r"NumCPUs=1\b", small) and "TimeLimit=00:07:00" in small and "mem=300M" in small, small
    assert re.search(r"NumCPUs=2\b", large) and "TimeLimit=00:11:00" in large and "mem=600M" in large, large
    assert f"Partition={PARTITION}" in large and "Comment=from-the-config" in large, large


@pytest.mark.parametrize(("resources", "words"), [
    ("{partition: nowhere}", "the cluster has no partition 'nowhere'"),
    ("{cpu: 512}", "asks for 512 CPUs per node"),
])
def test_an_impossible_request_is_refused_before_anything_is_submitted(
        tmp_path: Path, slurm_cluster: SlurmCluster, resources: str, words: str) -> None:
    project = make_project(tmp_path, {"conf/task_env/bad.yaml": f"resources: {resources}\n"})
    before = set(slurm_cluster.run("squeue", "-h", "-t", "all", "-o", "%i").stdout.split())
    result = sweep(project, slurm_cluster, "x=1,2", "+task_env=bad")
    assert result.code == 2, result.err
    assert words in result.err and "nothing was submitted" in result.err, result.err
    assert "\nfix: " in result.err and "Traceback" not in result.err, result.err
    assert set(slurm_cluster.run("squeue", "-h", "-t", "all", "-o", "%i").stdout.split()) == before
    sweep_dir = latest_sweep(project.root)
    assert sweep_dir is not None and not list((sweep_dir / ".slurm").glob("*submitted.pkl"))


def test_what_sbatch_refuses_is_an_error_with_its_words(tmp_path: Path, slurm_cluster: SlurmCluster) -> None:
    project = make_project(tmp_path, {"conf/task_env/odd.yaml": "resources: {sbatch: [\"--no-such-flag=1\"]}\n"})
    result = sweep(project, slurm_cluster, "x=1", "+task_env=odd")
    assert result.code == 2, result.err
    assert "sbatch refused the array of job #0" in result.err and "no-such-flag" in result.err, result.err
    assert "\nfix: " in result.err and "Traceback" not in result.err
