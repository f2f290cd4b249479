"""The sbatch scripts of what one node cannot show (several nodes, GRES GPUs, accounts), against golden files.

No cluster needed: the script is rendered from the job's task_env as it would be submitted.
Regenerate a golden file by deleting it and running the test once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hydra_runner.errors import UsageError
from hydra_runner.launchers.slurm.resources import sbatch_parameters
from hydra_runner.launchers.slurm.submit import array_parameters, sbatch_script

GOLDEN = Path(__file__).with_name("golden")

CASES = {
    "multi_node": {"resources": {"cpu": 8, "nodes": 4, "tasks_per_node": 2, "time": "12:00:00", "memory": "64Gi"}},
    "gres_gpus": {"resources": {"cpu": 6, "gpu": 2, "gres": "gpu:a100:2", "constraint": "a100", "partition": "gpu",
                                "time": 90}, "env_vars": {"NCCL_DEBUG": "INFO"}},
    "account": {"resources": {"account": "lab-42", "qos": "high", "partition": "cpu,long",
                              "sbatch": ["--mail-type=END", "--exclusive"]}},
}


def _script(task_env: dict, count: int) -> str:
    params = sbatch_parameters(OmegaConf.create({"task_env": task_env}), "train")
    parameters = array_parameters(params, job_name="train", setup=["source /project/.venv/bin/activate"],
                                  array_parallelism=4, count=count)
    return sbatch_script(parameters, folder="/project/multirun/sweep/.slurm", python="/project/.venv/bin/python",
                         count=count)


@pytest.mark.parametrize("case", sorted(CASES))
def test_sbatch_script_matches_its_golden_file(case: str) -> None:
    script = _script(CASES[case], count=10)
    golden = GOLDEN / f"{case}.sh"
    if not golden.exists():
        golden.write_text(script)
    assert script == golden.read_text()


def test_a_single_job_is_no_array() -> None:
    script = _script(CASES["account"], count=1)
    assert "--array" not in script and "%j_0_log.out" in script


@pytest.mark.parametrize(("resources", "words"), [
    ({"cpu": 2, "a100": 1}, "a100, which Slurm jobs cannot ask for"),
    ({"time": "soon"}, "is not a time limit"),
    ({"sbatch": ["mail-type=END"]}, "is not a long sbatch flag"),
])
def test_a_request_slurm_cannot_take_is_refused_with_a_fix(resources: dict, words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        sbatch_parameters(OmegaConf.create({"task_env": {"resources": resources}}), "train")
    assert caught.value.fix


def test_dry_run_shows_the_sbatch_parameters_of_each_job(tmp_path: Path) -> None:
    from hydra_runner.testing.project import Project

    project = Project(tmp_path).write({
        "app.py": "def task(cfg):\n    return cfg.x\n",
        "conf/config.yaml": "x: 0\n",
        "conf/task_env/small.yaml": "resources: {cpu: 2, memory: 4Gi, time: 30}\n",
        "conf/task_env/gpu.yaml": "resources: {cpu: 8, gpu: 1, partition: gpu, account: lab}\n",
    })
    result = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=1,2",
                         "+task_env=small,gpu", "--launcher", "slurm", "--dry-run")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "4 jobs would run:"
    assert lines[1] == "  #0 : x=1 +task_env=small  (sbatch: cpus=2 mem=4096M time=30)"
    assert lines[4] == "  #3 : x=2 +task_env=gpu  (sbatch: partition=gpu cpus=8 gpus=1 account=lab)"
    assert not (tmp_path / "multirun").exists()
