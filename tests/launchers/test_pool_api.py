"""The process pool from the Python API."""

from __future__ import annotations

import os
import threading

import pytest
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from hydra_runner import UsageError, hydra_multirun
from tests.conftest import Project

pytestmark = pytest.mark.usefixtures("in_tmp_cwd")

POOL = ["hydra/launcher=runner_pool", "hydra.launcher.n_jobs=2"]


def square_in_worker(cfg: DictConfig) -> dict:  # type: ignore[type-arg]
    return {"square": cfg.x**2, "pid": os.getpid(), "num": HydraConfig.get().job.num}


def test_results_come_back_in_job_order_with_their_configs() -> None:
    jobs = hydra_multirun({"x": 0}, square_in_worker, overrides=["x=range(-2,3)", *POOL]).jobs()
    assert [j.return_value["square"] for j in jobs] == [4, 1, 0, 1, 4]
    assert [j.return_value["num"] for j in jobs] == [0, 1, 2, 3, 4]
    assert os.getpid() not in {j.return_value["pid"] for j in jobs}
    # cfg and hydra_cfg are composed again in this process when read.
    assert [j.cfg.x for j in jobs] == [-2, -1, 0, 1, 2]
    assert jobs[3].hydra_cfg.hydra.job.num == 3
    assert jobs[3].working_dir == os.getcwd()


def test_lambdas_reach_workers_by_value() -> None:
    offset = 100
    jobs = hydra_multirun({"x": 0}, lambda cfg: cfg.x + offset, overrides=["x=1,2", *POOL]).jobs()
    assert [j.return_value for j in jobs] == [101, 102]


def test_a_task_workers_cannot_receive_is_a_clear_error() -> None:
    lock = threading.Lock()

    def task(cfg: DictConfig) -> int:
        with lock:
            return int(cfg.x)

    with pytest.raises(UsageError, match="can be neither imported nor pickled"):
        hydra_multirun({"x": 0}, task, overrides=["x=1,2", *POOL])


# -- tasks and configs defined in __main__: a notebook, `python -c`, a script run directly ---------

SWEEP = (
    'jobs = hydra_multirun({config}, square, overrides=["x=1,2,3", "hydra/launcher=runner_pool", '
    '"hydra.launcher.n_jobs=2", "hydra/hydra_logging=disabled", "hydra/job_logging=disabled"])\n'
    'print("squares", [j.return_value[0] for j in jobs[0]], "in parent:", '
    "any(j.return_value[1] == os.getpid() for j in jobs[0]))\n"
)
HEAD = "import os\nfrom dataclasses import dataclass\nfrom hydra_runner import hydra_multirun\n"
SQUARE = "def square(cfg):\n    return cfg.x ** 2, os.getpid()\n"
CONFIG = "@dataclass\nclass Config:\n    x: int = 0\n"


def _guarded(code: str) -> str:
    return 'if __name__ == "__main__":\n' + "".join(f"    {line}\n" for line in code.splitlines())


SCRIPTS = {
    # python -c (a notebook's cells are the same: a __main__ without a file).
    "-c": HEAD + SQUARE + SWEEP.format(config='{"x": 0}'),
    "-c with a dataclass config": HEAD + SQUARE + CONFIG + SWEEP.format(config="Config"),
    # A script whose top level runs the sweep: a worker importing it would run the sweep again.
    "script without a guard": HEAD + SQUARE + SWEEP.format(config='{"x": 0}'),
    "task under the guard": HEAD + _guarded(SQUARE + SWEEP.format(config='{"x": 0}')),
    "config under the guard": HEAD + SQUARE + _guarded(CONFIG + SWEEP.format(config="Config")),
    "config in the script, task in a module": HEAD + "from tasks import square\n" + CONFIG
    + _guarded(SWEEP.format(config="Config")),
}


@pytest.mark.parametrize("case", list(SCRIPTS))
def test_what_main_defines_reaches_the_workers(project: Project, case: str) -> None:
    project.write({"tasks.py": SQUARE.replace("def", "import os\ndef", 1)})
    if case.startswith("-c"):
        r = project.python("-c", SCRIPTS[case])
    else:
        project.write({"sweep.py": SCRIPTS[case]})
        r = project.python("sweep.py")
    assert r.code == 0, r.err
    # The jobs ran in worker processes, and the sweep once (not again in a worker importing the script).
    assert r.out.count("squares") == 1 and "squares [1, 4, 9] in parent: False" in r.out
    assert len(list(project.root.glob("multirun/*/*"))) == 1


def test_a_name_a_worker_does_not_find_in_main_is_a_clear_error(project: Project) -> None:
    # Bound when the script runs, not when a worker imports it (as __mp_main__).
    project.write({"sweep.py": HEAD + 'if __name__ != "__mp_main__":\n    def square(cfg):\n        return cfg.x\n'
                   + _guarded(SWEEP.format(config='{"x": 0}'))})
    r = project.python("sweep.py")
    assert r.code == 1
    assert ("UsageError: the task square is defined in __main__ (a notebook or a script run directly) and worker "
            "processes cannot import it\nfix: move it into a .py module and import it, or run without n_jobs") in r.err
    assert "PoolError" not in r.err
