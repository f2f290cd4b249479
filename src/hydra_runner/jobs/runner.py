"""The one way a job runs in a process of its own: the pool's workers, Ray's, any later backend's.

A process is first made to look like the one that launched the sweep (:class:`Bootstrap`,
:func:`apply_bootstrap`), then given what every job shares (:class:`WorkerSetup`), and a
:class:`JobRunner` runs jobs in it one at a time: compose, run with Hydra's semantics while
the output goes to the job's ``console.log``, report a :class:`~hydra_runner.jobs.outcome.JobOutcome`,
and put back everything the job may have changed.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import pickle
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Optional

from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.singleton import Singleton
from hydra.core.utils import JobStatus
from hydra.types import HydraContext
from omegaconf import OmegaConf
from omegaconf.basecontainer import BaseContainer

from hydra_runner import _compat
from hydra_runner.jobs.events import reporting_to
from hydra_runner.jobs.execute import reapply_logging, resolved_logging, run_sweep_job
from hydra_runner.jobs.outcome import JobOutcome
from hydra_runner.tasks.ref import TaskRef, dumps_by_value

__all__ = ["CONSOLE_LOG", "Bootstrap", "JobRunner", "WorkerSetup", "apply_bootstrap", "missing_from_main",
           "warm_up_parsers", "worker_setup"]

CONSOLE_LOG = "console.log"


@dataclass
class Bootstrap:
    """Sent first, as plain data: what a worker needs before it can unpickle anything else."""

    sys_path: list[str]
    argv: list[str]
    cwd: str
    main_file: Optional[str]
    #: The parent's environment at pool start (a worker may have been started earlier).
    environ: dict[str, str]

    def relocated(self, here: str, local_sys_path: list[str]) -> Bootstrap:
        """This bootstrap for a process on another machine, or in a copy of the project.

        Where the parent's project dir exists (this machine, a shared filesystem), jobs run
        there, as they would locally. Elsewhere the project is ``here`` (the copy a cluster
        unpacked); either way imports come from the project, then from this machine's own
        Python (``local_sys_path``), never from the parent's environment.
        """
        shared = os.path.isdir(self.cwd)
        project = self.cwd if shared else here
        inside = [p for p in self.sys_path if p == self.cwd or p.startswith(self.cwd + os.sep)]
        # The project's code, not an environment kept in it (.venv/...site-packages): that is
        # the submitting machine's Python, not this one's.
        code = [p for p in inside if "site-packages" not in p and "dist-packages" not in p]
        moved = [project + p[len(self.cwd):] for p in code]
        main_file = self.main_file
        if main_file is not None and main_file.startswith(self.cwd + os.sep):
            main_file = project + main_file[len(self.cwd):]
        # Other source dirs of the parent (PYTHONPATH) only where the filesystem is shared.
        elsewhere = [p for p in self.sys_path if shared and p not in inside and os.path.exists(p)
                     and "site-packages" not in p and "dist-packages" not in p]
        return replace(self, sys_path=list(dict.fromkeys([*moved, *local_sys_path, *elsewhere])), cwd=project,
                       main_file=main_file)


@dataclass
class WorkerSetup:
    """Sent once after the bootstrap: everything jobs share."""

    task_ref: Any
    config: Any
    loader: Any
    singleton_state: Any
    task_name: str
    #: OmegaConf resolvers registered in the parent, each pickled by value; a worker adds
    #: those that importing the task did not register (e.g. ones registered at run time).
    resolvers: dict[str, bytes] = field(default_factory=dict)


@contextlib.contextmanager
def _output_to(path: str) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors included) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


class _Baseline:
    """The process state right after set-up, put back after every job."""

    def __init__(self) -> None:
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.argv = list(sys.argv)
        self.path = list(sys.path)
        self.singletons = _compat.singleton_instances()
        self.singleton_ids = self._singleton_ids()
        self.resolvers = dict(BaseContainer._resolvers)

    @staticmethod
    def _singleton_ids() -> Any:
        def walk(node: Any) -> Any:
            return {k: walk(v) if isinstance(v, dict) else id(v) for k, v in node.items()}

        return set(Singleton._instances), walk(ConfigStore.instance().repo)

    def restore(self) -> bool:
        """Put the state back; True when Hydra's singletons (ConfigStore included) were replaced."""


        if os.environ != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)
        sys.argv[:] = self.argv
        sys.path[:] = self.path
        if BaseContainer._resolvers != self.resolvers:
            BaseContainer._resolvers = dict(self.resolvers)
        if self._singleton_ids() == self.singleton_ids:
            return False
        _compat.restore_singleton_instances(copy.deepcopy(self.singletons))
        self.singleton_ids = self._singleton_ids()
        return True


class JobRunner:
    """Runs jobs in a process prepared by :func:`apply_bootstrap`: the pool's workers, Ray's.

    ``on_started(num, output_dir)`` is told when a job's dir exists; ``ask_parent(kind,
    payload)`` carries a job's events (``hydra_runner.report``) to the process running the sweep.
    """

    def __init__(self, setup: WorkerSetup, *, on_started: Callable[[int, str], None],
                 ask_parent: Callable[[str, Any], Any]) -> None:


        _compat.setup_globals()
        _compat.restore_singleton_instances(setup.singleton_state)
        self.task_function = setup.task_ref.load()
        _add_missing_resolvers(setup.resolvers)
        self.config = setup.config
        self.loader = setup.loader
        self.loader.refresh_repository()
        GlobalHydra.instance().clear()
        GlobalHydra.instance().initialize(_compat.Hydra(task_name=setup.task_name, config_loader=self.loader))
        self.hydra_context = HydraContext(config_loader=self.loader, callbacks=_compat.callbacks_for(self.config))
        self.hydra_logging = resolved_logging(self.config.hydra.hydra_logging)
        self.on_started = on_started
        self.ask_parent = ask_parent
        self.output_dir: Optional[str] = None
        self.baseline = _Baseline()

    def _capture(self, num: int) -> Any:
        @contextlib.contextmanager
        def capture(output_dir: str) -> Iterator[None]:
            self.output_dir = output_dir
            self.on_started(num, output_dir)
            with _output_to(os.path.join(output_dir, CONSOLE_LOG)):
                yield

        return capture

    def prepare(self) -> None:
        """Build what the first job would build (the config repository) while waiting for it."""
        with contextlib.suppress(Exception):
            self.loader.prepare_for(self.config)

    def take_parsed(self, data: bytes) -> None:
        """Take Hydra's parse of a job's overrides from the parent (pickled), instead of parsing them here."""
        parsed = _loaded(data)
        if parsed is not None:
            self.loader.take_parsed(parsed)

    def adopt_template(self, data: bytes, *, prepare: bool = False) -> None:
        """Take a template the parent composed (pickled); one that does not load is composed here instead.

        ``prepare``: no job is waiting, so also build what its first job's outputs need.
        """
        template = _loaded(data)
        if template is not None:
            self.loader.adopt_template(template)
            if prepare:
                with contextlib.suppress(Exception):
                    template.prepare_outputs()

    def run(self, num: int, overrides: list[str]) -> JobOutcome:
        self.output_dir = None
        try:
            job = self.loader.compose_job(self.config, overrides, job_num=num)
            with reporting_to(self.ask_parent):
                ret = run_sweep_job(
                    job,
                    task_function=self.task_function,
                    hydra_context=self.hydra_context,
                    capture_output=self._capture(num),
                )
        except Exception as e:
            return JobOutcome.failed(num, e, output_dir=self.output_dir)
        fields = dict(task_name=ret.task_name, working_dir=ret.working_dir, output_dir=self.output_dir)
        if ret.status == JobStatus.COMPLETED:
            return JobOutcome(num=num, completed=True, return_value=ret._return_value, **fields)
        return JobOutcome.failed(num, ret._return_value, remote_traceback=_compat.remote_traceback_of(ret), **fields)

    def reset(self) -> None:
        reapply_logging(self.hydra_logging, self.config.hydra.verbose)
        if self.baseline.restore():
            self.loader.refresh_repository()


def _loaded(data: bytes) -> Any:
    """What the parent pickled to spare this worker some work; None if it does not load here."""

    try:
        return pickle.loads(data)
    except Exception:
        return None


def missing_from_main(error: BaseException) -> Optional[str]:
    """The name a worker did not find in ``__main__``: defined in a notebook, or under the script's guard."""
    if not isinstance(error, AttributeError):
        return None
    # pickle: "Can't get attribute 'f' on <module '__main__' ...>"; getattr: "module '__mp_main__' has no attribute 'f'"
    m = re.search(r"attribute '([^']+)' on <module '__(?:mp_)?main__'", str(error)) or re.search(
        r"module '__(?:mp_)?main__' has no attribute '([^']+)'", str(error))
    return m.group(1) if m else None


def _add_missing_resolvers(resolvers: dict[str, bytes]) -> None:
    """Register the parent's resolvers that this process does not have yet.

    After the task's import: a module that registers a resolver at import time (without
    ``replace=True``) would fail on finding it registered already.
    """


    for name, data in resolvers.items():
        if name in BaseContainer._resolvers:
            continue
        with contextlib.suppress(Exception):
            BaseContainer._resolvers[name] = pickle.loads(data)


@functools.lru_cache(maxsize=None)
def warm_up_parsers() -> None:
    """Import what every job needs, and run the override and interpolation parsers once.

    The parsers (ANTLR) build their decision tables on first use, a cost each process pays
    once, on its first job unless paid here. A parent that forks workers calls this first;
    its workers inherit the tables, and that this was done.
    """

    import hydra_runner.composition.loader  # noqa: F401
    import hydra_runner.jobs.execute  # noqa: F401

    with contextlib.suppress(Exception):
        OverridesParser.create().parse_overrides(
            ["a=1", "+b.c=x_y", "++d=[1,2]", "e=interval(0,1)", "f/g@h=choice(i,j)", "~k", "l=${m}"])
        cfg = OmegaConf.create({"a": {"b": "1-2_3"}, "c": "${a.b}", "d": "x/${a.b}/${oc.env:HYDRA_RUNNER_UNSET,'%Y-%m'}",
                                "e": "${oc.select:a.b, [1, {f: 2.5}]}"})
        OmegaConf.to_container(cfg, resolve=True)


def apply_bootstrap(boot: Bootstrap, *, environ: bool = True) -> None:
    """Make this process look like the parent's: sys.path, argv, cwd, the main script (and env)."""
    if environ:
        # The parent's environment as it is now, plus this worker's devices (set at its
        # start, before anything could initialise CUDA).
        devices = os.environ.get("CUDA_VISIBLE_DEVICES")
        os.environ.clear()
        os.environ.update(boot.environ)
        if devices is not None:
            os.environ["CUDA_VISIBLE_DEVICES"] = devices
    sys.path[:] = boot.sys_path
    sys.argv[:] = boot.argv
    os.chdir(boot.cwd)
    if boot.main_file is not None:
        from hydra_runner.tasks.ref import _load_main

        _load_main(boot.main_file)


def worker_setup(config: Any, task_function: Any, loader: Any) -> tuple[Bootstrap, WorkerSetup]:
    """What a process needs to run a sweep's jobs: where and how to start, then the task and configs."""

    task_ref = TaskRef.for_task(task_function)
    bootstrap = Bootstrap(
        sys_path=list(sys.path),
        argv=list(sys.argv),
        cwd=os.getcwd(),
        main_file=task_ref.main_file if task_ref.module == "__main__" else None,
        environ=dict(os.environ),
    )
    setup = WorkerSetup(
        task_ref=task_ref,
        config=config,
        loader=loader,
        singleton_state=_compat.shippable_singleton_instances(),
        task_name=str(config.hydra.job.name),
        resolvers=_sendable_resolvers(),
    )
    return bootstrap, setup


def _sendable_resolvers() -> dict[str, bytes]:
    """The parent's OmegaConf resolvers that can be sent to a worker (by value)."""


    sendable: dict[str, bytes] = {}
    for name, resolver in BaseContainer._resolvers.items():
        try:
            sendable[name] = dumps_by_value(resolver)
        except Exception:  # without cloudpickle, or it holds what cannot be sent: not sent
            pass
    return sendable
