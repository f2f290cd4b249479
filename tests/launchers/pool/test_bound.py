"""The pool's bound: no more workers than jobs, nor than the machine's cores and memory hold."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hydra_runner.launchers.pool._slots import (
    WORKER_MEMORY,
    WORKERS_PER_CORE,
    plan_slots,
    worker_bound,
)

from ...conftest import Project

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts processes in /proc")

# Each job counts the worker processes its parent (the sweep's process) has at that moment.
TASK = """
    import json, os, time
    from pathlib import Path

    def children(pid):
        # The pool's workers: forked from the sweep's process (the same command line) or started
        # as the pool's worker module; not other children the process has (git, servers a test started).
        found = set()
        for thread in Path(f"/proc/{pid}/task").iterdir():
            try:
                found.update((thread / "children").read_text().split())
            except OSError:
                pass
        parent = _cmdline(pid)
        return [kid for kid in found
                if _cmdline(kid) == parent or "hydra_runner.launchers.pool" in _cmdline(kid)]

    def _cmdline(pid):
        try:
            return Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            return ""

    def task(cfg):
        time.sleep(cfg.sleep)
        with open(cfg.out, "a") as f:
            f.write(json.dumps({"seed": cfg.seed, "workers": len(children(os.getppid()))}) + "\\n")
        return cfg.seed
"""
CONFIG = "seed: 0\nsleep: 0.5\nout: counts.jsonl\n"


@pytest.fixture
def counting(project: Project) -> Project:
    return project.write({"count.py": TASK, "conf/config.yaml": CONFIG})


def _counts(project: Project, name: str = "counts.jsonl") -> list[dict[str, int]]:
    return [json.loads(line) for line in (project.root / name).read_text().splitlines()]


def test_the_bound_comes_from_cores_and_memory() -> None:
    plenty = 2**50
    assert worker_bound(cpu_count=2, memory=plenty) == 2 * WORKERS_PER_CORE
    assert worker_bound(cpu_count=64, memory=3 * WORKER_MEMORY) == 3
    assert worker_bound(cpu_count=1, memory=0) == 1  # always one worker
    assert len(plan_slots(10000, gpus=(), cpu_count=2, memory=plenty)) == 2 * WORKERS_PER_CORE
    assert len(plan_slots(4, gpus=(), cpu_count=2, memory=plenty)) == 4  # below the bound: as asked
    assert len(plan_slots("auto", gpus=(), cpu_count=4, memory=2 * WORKER_MEMORY)) == 2


@linux_only
def test_a_huge_j_on_two_jobs_starts_two_workers(counting: Project) -> None:
    r = counting.cli("multirun", "count.py:task", "--config-path", "conf", "--config-name", "config",
                     "seed=1,2", "-j", "10000")
    assert r.code == 0, r.err
    assert "Launching 2 jobs on 2 worker processes" in r.out
    counts = _counts(counting)
    assert sorted(c["seed"] for c in counts) == [1, 2]
    assert all(1 <= c["workers"] <= 2 for c in counts), counts
    assert "more than this machine runs at once" not in r.out + r.err  # 2 jobs: the bound never mattered


@linux_only
def test_a_j_above_the_bound_is_cut_with_a_warning(counting: Project) -> None:
    bound = worker_bound()
    if bound > 24:
        pytest.skip(f"this machine's bound ({bound} workers) needs a larger sweep than a test should run")
    jobs = bound + 2
    r = counting.cli("multirun", "count.py:task", "--config-path", "conf", "--config-name", "config",
                     f"seed=range({jobs})", "sleep=0.2", "-j", "10000")
    assert r.code == 0, r.err
    assert f"Launching {jobs} jobs on {bound} worker processes" in r.out
    assert "-j 10000 is more than this machine runs at once" in r.out
    assert f"using {bound} worker processes" in r.out
    counts = _counts(counting)
    assert len(counts) == jobs and max(c["workers"] for c in counts) <= bound


@linux_only
def test_the_api_starts_no_more_workers_than_jobs(counting: Project, in_tmp_cwd: Path) -> None:
    from hydra_runner import hydra_multirun

    sys.path.insert(0, str(counting.root))
    from count import task  # type: ignore[import-not-found]

    out = counting.root / "api_counts.jsonl"
    result = hydra_multirun({"seed": 0, "sleep": 0.5, "out": str(out)}, task, overrides=["seed=1,2"], jobs=10000)
    assert sorted(job.return_value for job in result[0]) == [1, 2]
    counts = _counts(counting, out.name)
    assert all(1 <= c["workers"] <= 2 for c in counts), counts


@linux_only
def test_a_job_count_from_the_config_grows_the_pool(counting: Project) -> None:
    # The command line says one job; the config's sweeper params make it three.
    counting.write({"conf/config.yaml": CONFIG + "hydra:\n  sweeper:\n    params:\n      seed: 1,2,3\n"})
    r = counting.cli("multirun", "count.py:task", "--config-path", "conf", "--config-name", "config", "-j", "3")
    assert r.code == 0, r.err
    assert "Launching 3 jobs on 3 worker processes" in r.out
    counts = _counts(counting)
    assert sorted(c["seed"] for c in counts) == [1, 2, 3]
    assert all(c["workers"] <= 3 for c in counts)
