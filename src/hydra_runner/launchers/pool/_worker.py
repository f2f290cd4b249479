"""A pool worker: a warm process that runs one job at a time and comes back clean.

Started once per slot by :mod:`._pool` (``python -c`` calling :func:`main` with the pipe
ends), it imports the task once, then loops: receive a job, compose it with its own
caching loader, run it with ``run_composed_job`` while its output goes to the job's
``console.log``, send the outcome back, and restore everything the job may have changed
(environment, cwd, ``sys.argv``/``sys.path``, logging, Hydra's singletons, resolvers).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import re
import sys
from typing import Any, Callable, Iterator, Optional

from hydra_runner._forked import helper_ends
from hydra_runner.launchers.pool._protocol import Bootstrap, JobOutcome, WorkerSetup

__all__ = ["CONSOLE_LOG", "JobRunner", "apply_bootstrap", "main", "missing_from_main"]

CONSOLE_LOG = "console.log"


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
        from omegaconf.basecontainer import BaseContainer

        from hydra_runner import _compat

        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.argv = list(sys.argv)
        self.path = list(sys.path)
        self.singletons = _compat.singleton_instances()
        self.singleton_ids = self._singleton_ids()
        self.resolvers = dict(BaseContainer._resolvers)

    @staticmethod
    def _singleton_ids() -> Any:
        from hydra.core.config_store import ConfigStore
        from hydra.core.singleton import Singleton

        def walk(node: Any) -> Any:
            return {k: walk(v) if isinstance(v, dict) else id(v) for k, v in node.items()}

        return set(Singleton._instances), walk(ConfigStore.instance().repo)

    def restore(self) -> bool:
        """Put the state back; True when Hydra's singletons (ConfigStore included) were replaced."""
        from omegaconf.basecontainer import BaseContainer

        from hydra_runner import _compat

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
        from hydra.core.global_hydra import GlobalHydra
        from hydra.types import HydraContext

        from hydra_runner import _compat
        from hydra_runner.launchers._run_job import resolved_logging

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
        from hydra.core.utils import JobStatus

        from hydra_runner import _compat
        from hydra_runner.launchers._run_job import run_sweep_job
        from hydra_runner.reporting import reporting_to

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
        from hydra_runner.launchers._run_job import reapply_logging

        reapply_logging(self.hydra_logging, self.config.hydra.verbose)
        if self.baseline.restore():
            self.loader.refresh_repository()


def _loaded(data: bytes) -> Any:
    """What the parent pickled to spare this worker some work; None if it does not load here."""
    import pickle

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
    import pickle

    from omegaconf.basecontainer import BaseContainer

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
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    import hydra_runner.composition.loader  # noqa: F401
    import hydra_runner.launchers._run_job  # noqa: F401

    with contextlib.suppress(Exception):
        OverridesParser.create().parse_overrides(
            ["a=1", "+b.c=x_y", "++d=[1,2]", "e=interval(0,1)", "f/g@h=choice(i,j)", "~k", "l=${m}"])
        cfg = OmegaConf.create({"a": {"b": "1-2_3"}, "c": "${a.b}", "d": "x/${a.b}/${oc.env:HYDRA_RUNNER_UNSET,'%Y-%m'}",
                                "e": "${oc.select:a.b, [1, {f: 2.5}]}"})
        OmegaConf.to_container(cfg, resolve=True)


def _warm_up() -> None:
    """What every job needs, done while the parent is still composing the sweep.

    Not the task: it is imported after the bootstrap sets sys.path (and the devices are set).
    """
    from hydra_runner import _compat

    warm_up_parsers()
    _compat.plugins()  # already made if this worker was forked: the parent scanned first


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
        from hydra_runner.task_ref import _load_main

        _load_main(boot.main_file)


def main() -> None:
    """A spawned worker: ``python -c`` with the two pipe ends as arguments."""
    serve(int(sys.argv[1]), int(sys.argv[2]))


def serve(inbox_fd: int, outbox_fd: int) -> None:
    """Boot from the parent's bootstrap and setup, then run jobs until told to stop."""
    inbox, outbox = helper_ends(inbox_fd, outbox_fd)
    _warm_up()
    try:
        boot: Bootstrap = inbox.recv()
    except (EOFError, OSError):  # started ahead for a pool that never came
        os._exit(0)
    apply_bootstrap(boot)
    from hydra_runner import _compat

    _compat.plugins()  # scanned again if the project, now on sys.path, has plugins of its own

    def ask_parent(kind: str, payload: Any) -> Any:
        # The job waits for the answer; the parent answers between its other work.
        outbox.send(("event", kind, payload))
        reply = inbox.recv()
        if reply[0] == "error":
            raise RuntimeError(f"the sweep could not handle the job's {kind!r}: {reply[1]}")
        return reply[1]

    try:
        worker = JobRunner(inbox.recv(), on_started=lambda num, path: outbox.send(("started", num, path)),
                           ask_parent=ask_parent)
    except BaseException as e:
        outbox.send(("init_failed", JobOutcome.failed(-1, e).traceback, missing_from_main(e)))
        return
    outbox.send(("ready", os.getpid()))
    worker.prepare()
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            outbox.close()
            os._exit(0)  # nothing left that the OS does not clean up; interpreter teardown is slow
        if message[0] == "template":
            worker.adopt_template(message[1], prepare=True)
            continue
        _, num, overrides, template, parsed = message
        if template is not None:
            worker.adopt_template(template)
        if parsed is not None:
            worker.take_parsed(parsed)
        outcome = worker.run(num, overrides)
        try:
            outbox.send(("done", outcome))
        except Exception as e:  # the return value or exception does not pickle
            outbox.send(("done", outcome.value_not_sendable(e)))
        worker.reset()
