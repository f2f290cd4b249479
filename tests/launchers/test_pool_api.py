"""The process pool from the Python API."""

from __future__ import annotations

import os
import threading

import pytest
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from hydra_runner import UsageError, hydra_multirun

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
