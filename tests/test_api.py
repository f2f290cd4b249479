"""Seed 003 (config object + task) and seed 004 (task + config location) call shapes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, List, Optional

import pytest
from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper
from hydra_zen import builds, instantiate
from omegaconf import DictConfig

import hydra_runner
from hydra_runner import hydra_multirun, hydra_run, hydra_sweep

pytestmark = pytest.mark.usefixtures("in_tmp_cwd")


def test_root_all_is_complete_and_sorted() -> None:
    assert hydra_runner.__all__ == sorted(hydra_runner.__all__)
    for name in hydra_runner.__all__:
        assert getattr(hydra_runner, name) is not None


def test_run_builds_dict_returns_job_return() -> None:
    job = hydra_run(builds(dict, a=1, b=1), task_function=instantiate)
    assert isinstance(job, JobReturn)
    assert job.return_value == {"a": 1, "b": 1}
    assert job.hydra_cfg.hydra.job.name == "instantiate"


def test_multirun_builds_dict_sweep() -> None:
    jobs = hydra_multirun(builds(dict, a=1, b=1), task_function=instantiate, overrides=["a=1,2"])
    assert [j.return_value for j in jobs[0]] == [{"a": 1, "b": 1}, {"a": 2, "b": 1}]


def _pow_task(cfg: DictConfig) -> Any:
    return instantiate(cfg.f)(cfg.x)


def test_run_partial_pow() -> None:
    cfg = dict(f=builds(pow, exp=2, zen_partial=True), x=10)
    assert hydra_run(cfg, _pow_task).return_value == 100


def test_multirun_range_over_partial_pow() -> None:
    cfg = dict(f=builds(pow, exp=2, zen_partial=True), x=1)
    jobs = hydra_multirun(cfg, _pow_task, overrides=["x=range(-2,3)"])
    assert [j.return_value for j in jobs[0]] == [4, 1, 0, 1, 4]


def test_config_store_groups_sweep() -> None:
    cs = ConfigStore.instance()
    cs.store(group="optim", name="sgd", node=builds(dict, name="sgd", lr=0.3))
    cs.store(group="optim", name="adam", node=builds(dict, name="adam", lr=0.3))
    experiment = builds(dict, optim=None, steps=3)
    jobs = hydra_multirun(experiment, task_function=lambda c: c.optim.name, overrides=["optim=sgd,adam"])
    assert [j.return_value for j in jobs[0]] == ["sgd", "adam"]


class RandomSearchSweeper(Sweeper):
    """Seed 003's hand-written sweeper (registered through the ConfigStore)."""

    def __init__(self, optim: DictConfig) -> None:
        self.opt_config = optim
        self.launcher: Any = None
        self.job_idx: Optional[int] = None

    def setup(self, *, hydra_context: Any, task_function: Any, config: DictConfig) -> None:
        self.job_idx = 0
        self.config = config
        # Hydra 1.3.8 refuses instantiate(config.hydra.launcher) from user code; its plugin API is the way.
        from hydra.core.plugins import Plugins

        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, task_function=task_function, hydra_context=hydra_context
        )

    def sweep(self, arguments: List[str]) -> Any:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parsed = OverridesParser.create().parse_overrides(arguments)
        bounds = {o.get_key_element(): [o.value().start, o.value().end] for o in parsed if o.is_interval_sweep()}
        rng = random.Random(0)
        all_results, best_score, best = [], None, None
        for _ in range(self.opt_config.max_iter):
            solution = {k: rng.uniform(*v) for k, v in bounds.items()}
            returns = self.launcher.launch([tuple(f"{k}={float(v)}" for k, v in solution.items())], initial_job_idx=self.job_idx)
            score = returns[0].return_value
            if best_score is None or score < best_score:
                best_score, best = score, solution
            self.job_idx += len(returns)
            all_results.append(solution)
        return {"best_evaluated_params": best, "best_evaluated_result": best_score}, all_results


def test_custom_sweeper_result_is_reachable_as_return_value() -> None:
    conf = builds(RandomSearchSweeper, optim=dict(x=0, y=12, maximize=False, max_iter=10))
    ConfigStore.instance().store(group="hydra/sweeper", name="test_sweeper", node=conf)

    def square(x: float, y: float, z: float = 12) -> float:
        return (x - 2) ** 2 + (y + 3) ** 2 + abs(z)

    job = hydra_multirun(
        dict(x=1, y=12), lambda cfg: square(cfg.x, cfg.y),
        overrides=["hydra/sweeper=test_sweeper", "x=interval(-12, 12)", "y=interval(-12, 12)"],
    )
    best, history = job.return_value
    assert len(history) == 10
    assert best["best_evaluated_result"] == min(square(h["x"], h["y"]) for h in history)
    assert best["best_evaluated_result"] >= 12


def _pipeline(cfg: DictConfig, dataset: str, scale: float = 1.0) -> float:
    return cfg.optimizer.lr * cfg.training.epochs * scale + len(dataset)


@pytest.fixture
def training_conf(in_tmp_cwd: Path) -> Path:
    (in_tmp_cwd / "conf" / "optimizer").mkdir(parents=True)
    (in_tmp_cwd / "conf" / "training.yaml").write_text(
        "defaults:\n  - optimizer: adam\n  - _self_\ntraining:\n  epochs: 30\n"
    )
    (in_tmp_cwd / "conf" / "optimizer" / "adam.yaml").write_text("lr: 0.001\n")
    return in_tmp_cwd / "conf"


def test_seed004_run_with_task_kwargs(training_conf: Path) -> None:
    run = hydra_run(_pipeline, config_path="conf", config_name="training", overrides=["optimizer.lr=0.01"], dataset="abc")
    assert float(run) == pytest.approx(0.01 * 30 + 3)
    assert run.value == run.return_value


def test_seed004_sweep_in_cartesian_order(training_conf: Path) -> None:
    runs = hydra_sweep(
        _pipeline, config_path="conf", config_name="training",
        overrides=["optimizer.lr=0.001,0.01,0.1", "training.epochs=10,20"], dataset="", scale=2.0,
    )
    expected = [lr * ep * 2.0 for lr in (0.001, 0.01, 0.1) for ep in (10, 20)]
    assert [float(r) for r in runs] == pytest.approx(expected)
    assert [r.overrides for r in runs][1] == ["optimizer.lr=0.001", "training.epochs=20"]


def test_calls_are_reentrant_inside_a_job() -> None:
    def outer(cfg: DictConfig) -> int:
        inner = hydra_multirun({"y": 0}, lambda c: c.y * 10, overrides=["y=1,2"])
        from hydra.core.hydra_config import HydraConfig

        assert HydraConfig.get().job.name == "outer"  # the outer job's state is back
        return sum(j.return_value for j in inner[0]) + cfg.x

    first = hydra_run({"x": 1}, outer, job_name="outer")
    second = hydra_run({"x": 2}, outer, job_name="outer")
    assert (first.return_value, second.return_value) == (31, 32)


def test_task_exception_propagates() -> None:
    def bad(cfg: DictConfig) -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        hydra_run({"a": 1}, bad)
