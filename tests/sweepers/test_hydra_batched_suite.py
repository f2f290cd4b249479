"""Hydra's ``BatchedSweeperTestSuite``, run through hydra-runner's grid sweeper.

The suite's ``hydra_sweep_runner`` fixture drives Hydra's own ``Hydra.multirun`` (so
Hydra's BasicSweeper); here the fixture is replaced by one that builds the ``Hydra``
hydra-runner uses, whose multirun picks :class:`hydra_runner.sweepers.grid.GridSweeper`
and hydra-runner's launchers. Everything else is the suite's own code and assertions.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest
from hydra._internal.utils import create_automatic_config_search_path, detect_task_name
from hydra.core.global_hydra import GlobalHydra
from hydra.test_utils.launcher_common_tests import BatchedSweeperTestSuite
from hydra.test_utils.test_utils import SweepTaskFunction

from hydra_runner import _compat
from hydra_runner.app import _RunnerHydra
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.sweepers.grid import GridSweeper


class _RunnerSweep(SweepTaskFunction):
    used_sweepers: list[str] = []

    def __enter__(self) -> _RunnerSweep:
        overrides = copy.deepcopy(self.overrides)
        assert overrides is not None
        self.temp_dir = self.temp_dir or tempfile.mkdtemp()
        Path(self.temp_dir).mkdir(parents=True, exist_ok=True)
        overrides.append(f"hydra.sweep.dir={self.temp_dir}")
        try:
            search_path = create_automatic_config_search_path(self.calling_file, self.calling_module,
                                                              self.config_path)
            job_name = detect_task_name(self.calling_file, self.calling_module)
            hydra = _RunnerHydra(task_name=job_name, config_loader=CachingConfigLoader(search_path))
            GlobalHydra.instance().initialize(hydra)
            self.returns = hydra.multirun(config_name=self.config_name, task_function=self, overrides=overrides,
                                          with_log_configuration=self.configure_logging)
        finally:
            GlobalHydra().clear()
        return self


@pytest.fixture
def hydra_sweep_runner(hydra_restore_singletons: Any) -> Callable[..., SweepTaskFunction]:
    def make(calling_file: Optional[str], calling_module: Optional[str], task_function: Any,
             config_path: Optional[str], config_name: Optional[str], overrides: Optional[list[str]],
             temp_dir: Optional[Path] = None) -> SweepTaskFunction:
        sweep = _RunnerSweep()
        sweep.calling_file, sweep.calling_module = calling_file, calling_module
        sweep.task_function, sweep.config_path, sweep.config_name = task_function, config_path, config_name
        sweep.overrides, sweep.temp_dir = overrides or [], str(temp_dir) if temp_dir else None
        return sweep

    return make


@pytest.fixture(autouse=True)
def _grid_sweeper_is_used(hydra_restore_singletons: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Proves the suite ran through hydra-runner's grid sweeper, with the batches it asked for."""
    batches: list[int] = []
    original = GridSweeper.get_job_batch

    def recording(self: GridSweeper) -> Any:
        batch = original(self)
        batches.append(len(batch))
        return batch

    monkeypatch.setattr(GridSweeper, "get_job_batch", recording)
    yield batches
    assert batches == [2, 2, 2]  # six jobs, max_batch_size=2


@pytest.fixture(autouse=True)
def _fresh_version_base() -> Iterator[None]:
    with _compat.fresh_version_base():
        yield


@pytest.mark.usefixtures("in_tmp_cwd")
@pytest.mark.parametrize(
    "launcher_name, overrides",
    [("basic", ["hydra.sweeper.max_batch_size=2"]),
     ("runner_pool", ["hydra.sweeper.max_batch_size=2", "hydra.launcher.n_jobs=2"])],
)
class TestBatchedGridSweeper(BatchedSweeperTestSuite):
    """Six jobs in batches of two, in process and on the process pool."""
