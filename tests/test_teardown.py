"""Which sweeps run only hydra-runner's own code in the launching process."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from omegaconf import OmegaConf

from hydra_runner._teardown import only_own_code_runs_here
from hydra_runner.launchers.inprocess import InProcessLauncher
from hydra_runner.launchers.pool import ProcessPoolLauncher
from hydra_runner.sweepers.grid import GridSweeper


def _config(callbacks: Any = None) -> Any:
    return OmegaConf.create({"hydra": {"callbacks": callbacks}})


def _grid_on(launcher_class: type) -> Any:
    sweeper = GridSweeper.__new__(GridSweeper)
    sweeper.launcher = launcher_class.__new__(launcher_class)
    return sweeper


def test_grid_on_the_pool_runs_only_own_code() -> None:
    assert only_own_code_runs_here(_config(), _grid_on(ProcessPoolLauncher))


def test_in_process_launcher_runs_tasks_here() -> None:
    assert not only_own_code_runs_here(_config(), _grid_on(InProcessLauncher))


@pytest.mark.parametrize("target, own", [
    ("hydra_runner.tracking.callback.MlflowCallback", True),
    ("mypackage.callbacks.Notify", False),
])
def test_callbacks_count_by_their_target(target: str, own: bool) -> None:
    config = _config({"cb": {"_target_": target}})
    assert only_own_code_runs_here(config, _grid_on(ProcessPoolLauncher)) is own


def test_a_third_party_sweeper_runs_here() -> None:
    sweeper = SimpleNamespace(launcher=ProcessPoolLauncher.__new__(ProcessPoolLauncher))
    assert not only_own_code_runs_here(_config(), sweeper)
