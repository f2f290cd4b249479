"""The project the Slurm tests sweep, and how they run and read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra_runner.journal import SweepJournal, latest_sweep
from hydra_runner.testing.project import Project, Result
from hydra_runner.testing.slurm import SlurmCluster

TASK = """
    import ctypes, json, os, time

    def task(cfg):
        started = time.time()
        if cfg.x == cfg.fail:
            raise ValueError(f"bad x={cfg.x}")
        if cfg.x == cfg.segfault:
            ctypes.string_at(0)
        if cfg.x == cfg.hang_once and not os.path.exists(os.path.join(cfg.root, "hung")):
            open(os.path.join(cfg.root, "hung"), "w").close()
            time.sleep(300)
        time.sleep(cfg.sleep)
        with open(os.path.join(cfg.root, "times.jsonl"), "a") as f:
            f.write(json.dumps({"x": cfg.x, "start": started, "end": time.time(),
                                "job": os.environ.get("SLURM_ARRAY_JOB_ID")}) + "\\n")
        print("hello from", cfg.x)
        return cfg.x * 10
"""

CONFIG = """
    x: 0
    sleep: 0.0
    fail: -1
    segfault: -1
    hang_once: -1
    root: ${hydra:runtime.cwd}
"""

TARGET = ("app:task", "--config-path", "conf", "--config-name", "config")


def make_project(root: Path, files: dict[str, str] | None = None) -> Project:
    return Project(root).write({"app.py": TASK, "conf/config.yaml": CONFIG, **(files or {})})


def sweep(project: Project, cluster: SlurmCluster, *args: str) -> Result:
    return project.cli("multirun", *TARGET, *args, "--launcher", "slurm", env=cluster.env, timeout=240)


def records(project: Project) -> dict[int, Any]:
    sweep_dir = latest_sweep(project.root)
    assert sweep_dir is not None
    with SweepJournal.open(sweep_dir) as journal:
        return {job.num: job for job in journal.jobs()}
