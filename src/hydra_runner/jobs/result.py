"""What runs and sweeps give back: Hydra's own ``JobReturn``, plus conveniences."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig

__all__ = ["JobResult", "SweepResult"]


class _LazyConfig:
    """A config attribute that a factory builds on first read, if one was set."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return None
        values = obj.__dict__
        factory = values.pop(f"{self.name}_factory", None)
        if factory is not None and values.get(self.name) is None:
            values[self.name] = factory()
        return values.get(self.name)

    def __set__(self, obj: Any, value: Optional[DictConfig]) -> None:
        obj.__dict__[self.name] = value


class JobResult(JobReturn):
    """A real :class:`hydra.core.utils.JobReturn` that can also be used as a number.

    ``hydra_cfg`` is built on first access: most jobs' hydra config is never read, and
    copying it costs more than the rest of a fast job.

    >>> from hydra.core.utils import JobStatus
    >>> r = JobResult(status=JobStatus.COMPLETED, _return_value=0.25)
    >>> float(r), r.value
    (0.25, 0.25)
    """

    #: Both are built on first access when a factory was set (see set_cfg_factory).
    cfg = _LazyConfig("cfg")  # type: ignore[assignment]
    hydra_cfg = _LazyConfig("hydra_cfg")  # type: ignore[assignment]

    def set_cfg_factory(self, factory: Callable[[], DictConfig]) -> None:
        """Build ``cfg`` on first access (jobs run elsewhere: it is composed again if read)."""
        self.__dict__["cfg"], self.__dict__["cfg_factory"] = None, factory

    def set_hydra_cfg_factory(self, factory: Callable[[], DictConfig]) -> None:
        self.__dict__["hydra_cfg"], self.__dict__["hydra_cfg_factory"] = None, factory

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(cfg=self.cfg, hydra_cfg=self.hydra_cfg)
        state.pop("cfg_factory", None)
        state.pop("hydra_cfg_factory", None)
        return state

    @property
    def value(self) -> Any:
        """The task's return value (raises the task's exception if the job failed)."""
        return self.return_value

    @property
    def succeeded(self) -> bool:
        return self.status == JobStatus.COMPLETED

    def __float__(self) -> float:
        return float(self.return_value)

    @classmethod
    def from_job_return(cls, ret: JobReturn) -> "JobResult":
        if isinstance(ret, JobResult):
            return ret
        return cls(
            overrides=ret.overrides,
            cfg=ret.cfg,
            hydra_cfg=ret.hydra_cfg,
            working_dir=ret.working_dir,
            task_name=ret.task_name,
            status=ret.status,
            _return_value=ret._return_value,
        )


class SweepResult(list):  # type: ignore[type-arg]
    """The batches a sweeper returned (a list of lists of ``JobReturn``).

    A sweeper that returns something else (an optimum, a study) is still reachable as
    ``.return_value``, so custom sweepers' results read the same way a job's do.
    """

    def __init__(self, batches: Iterable[Any] = (), return_value: Any = None, has_batches: bool = True) -> None:
        super().__init__(batches)
        self.return_value = return_value
        #: Whether the sweeper returned batches of jobs (else ``return_value`` is its own result).
        self.has_batches = has_batches

    @classmethod
    def from_sweeper(cls, returned: Any) -> "SweepResult":
        if isinstance(returned, list) and all(isinstance(b, (list, tuple)) for b in returned):
            return cls(returned, returned)
        return cls((), returned, has_batches=False)

    def jobs(self) -> list[JobReturn]:
        """All job returns, batches flattened, in launch order."""
        return [job for batch in self for job in batch]
