"""What every hydra-runner launcher shares; backends implement :meth:`RunnerLauncher._launch`."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Optional, Sequence

from hydra.core.utils import JobReturn, configure_log, filter_overrides
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner import _compat
from hydra_runner.composition.job import ComposedJob
from hydra_runner.composition.loader import CachingConfigLoader

__all__ = ["JobSpec", "RunnerLauncher"]


# Job announcements are logged under BasicLauncher's logger name, because the in-process
# launcher stands in for it and log formats that show %(name)s must read the same.
_BASIC_LAUNCHER_LOG = logging.getLogger("hydra._internal.core_plugins.basic_launcher")

JobSpec = tuple[int, Sequence[str]]
"""A job to launch: its number in the sweep and its overrides."""


class RunnerLauncher(Launcher, ABC):
    """A Hydra ``Launcher`` whose jobs are composed by the template-caching loader.

    Inside a plain ``@hydra.main`` app the context's loader is Hydra's own; the launcher
    then builds a caching loader over the same search path, so composition is fast there too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None
        self.loader: Optional[CachingConfigLoader] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function
        loader = hydra_context.config_loader
        if not isinstance(loader, CachingConfigLoader):
            loader = CachingConfigLoader(config_search_path=loader.get_search_path())
        self.loader = loader

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        assert self.config is not None, "setup() must be called before launch()"
        _compat.setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        jobs = [(initial_job_idx + i, overrides) for i, overrides in enumerate(job_overrides)]
        self.job_log.info(f"Launching {len(jobs)} jobs {self.where}")
        return self._launch(jobs)

    #: The logger announcing launches and jobs.
    job_log = _BASIC_LAUNCHER_LOG

    #: How the launch is described in the log line Hydra prints ("locally" for Hydra's own).
    where = "locally"

    def compose(self, job: JobSpec) -> ComposedJob:
        assert self.loader is not None and self.config is not None
        num, overrides = job
        self.job_log.info(f"\t#{num} : {' '.join(filter_overrides(overrides))}")
        return self.loader.compose_job(self.config, list(overrides), job_num=num)

    @abstractmethod
    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        """Run ``jobs`` and return their results in the same order."""
