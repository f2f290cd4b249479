"""A Hydra app made runnable: the search path resolved and Hydra built on the caching loader.

:class:`App` does what ``hydra._internal.utils._run_hydra`` does for ``@hydra.main``
(mode detection, ``--cfg``, ``--info``, run, multirun) with Hydra's own ``Hydra`` object,
so runs and their outputs are Hydra's. What changes is the config loader (templates
cached, see :mod:`hydra_runner.composition.loader`) and, for multiruns, that Hydra's
BasicSweeper/BasicLauncher are served by hydra-runner's faster equivalents.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from hydra.core.config_search_path import SearchPathQuery
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import SearchPathException
from hydra.types import HydraContext, RunMode, TaskFunction
from omegaconf import OmegaConf

from hydra_runner import _compat, _teardown
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.jobs.result import JobResult, SweepResult
from hydra_runner.run_context import RunContext
from hydra_runner.sweepers import instantiate_sweeper, register_short_names
from hydra_runner.sweepers.preview import preview_jobs
from hydra_runner.tasks.call import make_task_function
from hydra_runner.tasks.locate import UNSET, TaskSpec
from hydra_runner.tasks.ref import TaskRef

__all__ = ["App", "ConfigLocation"]


@dataclass
class ConfigLocation:
    """Where the primary config directory was found, and why (shown by ``--info``)."""

    declared: Optional[str]
    search_dir: Optional[str]
    reason: str
    tried: list[str] = field(default_factory=list)


def locate_config_dir(config_path: Optional[str], source_file: Optional[str], project_root: Path) -> ConfigLocation:
    """Hydra's rule (relative to the declaring file), then the project root as a fallback.

    ``src/train.py`` saying ``config_path="conf"`` with ``conf/`` beside ``src/`` is common:
    Hydra looks in ``src/conf``; when nothing is there but ``./conf`` exists, that is used.
    """
    if config_path is None:
        return ConfigLocation(None, None, "no config_path: configs come from the ConfigStore only")
    if config_path.startswith("pkg://") or os.path.isabs(config_path):
        return ConfigLocation(config_path, config_path, "absolute or package path, used as given")
    base = Path(source_file).resolve().parent if source_file else project_root
    hydra_dir = os.path.normpath(base / config_path)
    if os.path.isdir(hydra_dir) or source_file is None:
        return ConfigLocation(config_path, hydra_dir, "relative to the file declaring the task (Hydra's rule)", [hydra_dir])
    root_dir = os.path.normpath(project_root / config_path)
    if os.path.isdir(root_dir):
        return ConfigLocation(
            config_path, root_dir, f"not found at {hydra_dir}; found relative to the project root", [hydra_dir, root_dir]
        )
    return ConfigLocation(config_path, hydra_dir, "relative to the file declaring the task (not found)", [hydra_dir, root_dir])


class App:
    """One task and its config location, ready to run, sweep or show its config."""

    def __init__(
        self,
        spec: TaskSpec,
        *,
        config_path: Any = UNSET,
        config_name: Any = UNSET,
        config_dir: Optional[str] = None,
        version_base: Any = UNSET,
        project_root: Optional[Path] = None,
        task_kwargs: Optional[dict[str, Any]] = None,
        job_name: Optional[str] = None,
    ) -> None:
        self.spec = spec
        self.project_root = (project_root or Path.cwd()).resolve()
        self.config_name = spec.config_name if config_name is UNSET else config_name
        declared = spec.config_path if config_path is UNSET else config_path
        self.location = locate_config_dir(declared, spec.source_file if spec.decorated else None, self.project_root)
        self.config_dir = config_dir
        self.version_base = spec.version_base if version_base is UNSET else version_base
        self.task_name = job_name or spec.task_name
        bind = bool(task_kwargs) or not spec.decorated
        self.task_function = make_task_function(spec.function, bind=bind, task_kwargs=task_kwargs)
        # How a worker process gets the same task function (made only if a pool asks).
        self.task_function.__hydra_runner_task_ref__ = functools.partial(  # type: ignore[attr-defined]
            TaskRef.of, spec.function, bind=bind, task_kwargs=task_kwargs
        )
        self._loader: Optional[CachingConfigLoader] = None

    # -- Hydra objects ----------------------------------------------------------------

    def _create_hydra(self) -> Any:
        if self.version_base is not UNSET:
            _compat.set_version_base(self.version_base)
        register_short_names()
        search_path = _compat.create_config_search_path(self.location.search_dir)
        if self.config_dir is not None:
            abs_dir = os.path.abspath(self.config_dir)
            if not os.path.isdir(abs_dir):
                raise SearchPathException(f"Additional config directory '{abs_dir}' not found")
            search_path.prepend(
                provider="command-line", path=f"file://{abs_dir}", anchor=SearchPathQuery(provider="schema")
            )
        hydra = _RunnerHydra(task_name=self.task_name, config_loader=CachingConfigLoader(search_path))

        GlobalHydra.instance().initialize(hydra)
        return hydra

    def _with_hydra(self, action: Callable[[Any], Any]) -> Any:
        with _compat.isolated_hydra_state():
            return action(self._create_hydra())

    # -- what the CLI and the API call --------------------------------------------------

    def run(self, overrides: list[str], *, multirun: bool = False, run: Optional[RunContext] = None) -> Any:
        """Run as ``python app.py OVERRIDES`` (``--multirun`` if asked or set by the config).

        ``run`` holds what was asked beyond the overrides (launcher, trackers, head start);
        its overrides are the caller's to add, so that Hydra's config records them.
        """

        def go(hydra: Any) -> Any:
            args = list(overrides)
            mode = hydra.get_mode(config_name=self.config_name, overrides=args)
            if mode is None:
                mode = RunMode.MULTIRUN if multirun else RunMode.RUN
                if mode == RunMode.MULTIRUN or _compat.RUN_MODE_OVERRIDE:
                    args.append(f"hydra.mode={mode.name}")
            elif multirun and mode == RunMode.RUN:
                warnings.warn(
                    "\n\tRunning Hydra app with --multirun, overriding with `hydra.mode=MULTIRUN`.", UserWarning
                )
                mode = RunMode.MULTIRUN
                args.append("hydra.mode=MULTIRUN")
            if mode == RunMode.RUN:
                ret = hydra.run(config_name=self.config_name, task_function=self.task_function, overrides=args)
                return JobResult.from_job_return(ret)
            return SweepResult.from_sweeper(
                hydra.multirun(config_name=self.config_name, task_function=self.task_function, overrides=args,
                               run=run or RunContext())
            )

        return self._with_hydra(go)

    def multirun(self, overrides: list[str], *, run: Optional[RunContext] = None) -> SweepResult:
        return self.run(overrides, multirun=True, run=run)  # type: ignore[no-any-return]

    def compose_job_config(self, overrides: list[str], *, with_hydra: bool = False) -> Any:
        """The config a run with ``overrides`` would get, as ``hydra.compose`` returns it.

        Repeated calls reuse this app's composed templates.
        """

        def go(hydra: Any) -> Any:
            if self._loader is None:
                self._loader = hydra.config_loader
            else:
                hydra.config_loader = self._loader
            job = self._loader.compose_run(self.config_name, overrides)
            return job.materialize_full_config() if with_hydra else job.task_config()

        return self._with_hydra(go)

    def show_cfg(self, overrides: list[str], cfg_type: str, package: Optional[str], resolve: bool) -> None:
        self._with_hydra(
            lambda hydra: hydra.show_cfg(
                config_name=self.config_name, overrides=list(overrides), cfg_type=cfg_type, package=package, resolve=resolve
            )
        )

    def show_info(self, info: str, overrides: list[str]) -> None:
        self._with_hydra(lambda hydra: hydra.show_info(info, config_name=self.config_name, overrides=list(overrides)))

    def job_preview(self, overrides: list[str]) -> Sequence[list[str]]:
        """The overrides of every job a grid multirun would launch, in launch order (computed when read)."""

        return self._with_hydra(lambda hydra: preview_jobs(hydra, self.config_name, overrides))  # type: ignore[no-any-return]


class _RunnerHydra(_compat.Hydra):
    """Hydra's ``Hydra`` with multirun's sweeper and launcher chosen by hydra-runner."""

    def get_mode(self, config_name: Optional[str], overrides: list[str]) -> Any:
        if not _compat.MODE_FROM_COMPOSED_CONFIG:
            return super().get_mode(config_name=config_name, overrides=overrides)
        # As Hydra's, but the composed config is kept: a multirun composes it again next.
        try:
            cfg = self.compose_config(config_name=config_name, overrides=overrides, with_log_configuration=False,
                                      run_mode=RunMode.MULTIRUN, validate_sweep_overrides=False)
            mode = cfg.hydra.mode
        except Exception:
            return None
        if isinstance(self.config_loader, CachingConfigLoader):
            self.config_loader.keep_mode_probe(config_name, overrides, cfg)
        return mode

    def multirun(
        self,
        config_name: Optional[str],
        task_function: TaskFunction,
        overrides: list[str],
        with_log_configuration: bool = True,
        *,
        run: Optional[RunContext] = None,
    ) -> Any:
        """Hydra's multirun, with ``run`` handed to the sweeper and the callbacks that take it."""

        cfg = self.compose_config(
            config_name=config_name,
            overrides=overrides,
            with_log_configuration=with_log_configuration,
            run_mode=RunMode.MULTIRUN,
        )
        run = run or RunContext()
        _compat.settle_mode(cfg, RunMode.MULTIRUN)
        _compat.set_controller_hydra_config(cfg)
        callbacks = _compat.callbacks_for(cfg)
        for callback in _compat.callback_objects(callbacks):
            if hasattr(callback, "use_run"):
                callback.use_run(run)
        callbacks.on_multirun_start(config=cfg, config_name=config_name)
        sweeper = instantiate_sweeper(
            config=cfg,
            hydra_context=HydraContext(config_loader=self.config_loader, callbacks=callbacks),
            task_function=task_function,
            run=run,
        )
        run.only_own_code_ran = _teardown.only_own_code_runs_here(cfg, sweeper)
        task_overrides = OmegaConf.to_container(cfg.hydra.overrides.task, resolve=False)
        assert isinstance(task_overrides, list)
        try:
            ret = sweeper.sweep(arguments=task_overrides)
        except BaseException as e:
            # A tracked sweep that stops early still closes its parent run (resume reopens it).
            status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
            for callback in _compat.callback_objects(callbacks):
                if hasattr(callback, "end_sweep"):
                    callback.end_sweep(Path(str(cfg.hydra.sweep.dir)), status=status)
            raise
        callbacks.on_multirun_end(config=cfg, config_name=config_name)
        return ret
