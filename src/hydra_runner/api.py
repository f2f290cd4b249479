"""The Python API: run and sweep Hydra tasks from notebooks, tests and scripts.

Everything the command line says has a keyword here: each flag of ``multirun`` is a
keyword of the same name (``jobs=4``, ``timeout=600``, ``retries=1``, ``launcher="ray"``,
``mlflow=True``; see :mod:`hydra_runner.options`). Other keywords go to the task.

Two call shapes are accepted, so code written for either reads naturally:

* a config object and a task: ``hydra_run(Config, task, overrides=[...])`` where the
  config is a dataclass (or instance), a ``DictConfig``, a ``dict`` or a hydra-zen
  ``builds(...)``;
* a task and a config location: ``hydra_run(task, config_path="conf",
  config_name="train", overrides=[...], **task_kwargs)``, the task taking a
  ``DictConfig`` parameter of any name plus ordinary keyword arguments.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from hydra_runner import _compat
from hydra_runner.app import App
from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import Status
from hydra_runner.jobs.result import JobResult, SweepResult
from hydra_runner.journal import resume
from hydra_runner.journal.index import resolve_sweep_dir
from hydra_runner.launchers.detached import collect_detached
from hydra_runner.run_context import RunContext, option_keywords
from hydra_runner.tasks.locate import UNSET, resolve_target, task_spec_from_function

__all__ = ["diff_runs", "hydra_multirun", "hydra_run", "hydra_sweep", "load_app", "resume_sweep"]

DEFAULT_VERSION_BASE = _compat.DEFAULT_VERSION_BASE
"""``version_base`` for tasks that do not declare one (plain functions)."""

STORED_CONFIG_NAME = "hydra_runner_config"


def load_app(
    target: str,
    *,
    config_path: Optional[str] = None,
    config_name: Optional[str] = None,
    config_dir: Optional[str] = None,
    version_base: Optional[str] = None,
    project_root: Optional[Path] = None,
) -> App:
    """An :class:`App` for a TARGET as the CLI names it (``src.train``, ``app.py``, ``mod:fn``)."""
    spec = resolve_target(target, project_root)
    return _app(spec, config_path, config_name, config_dir, version_base, project_root, None, None)


def _app(
    spec: Any,
    config_path: Optional[str],
    config_name: Optional[str],
    config_dir: Optional[str],
    version_base: Optional[str],
    project_root: Optional[Path],
    task_kwargs: Optional[dict[str, Any]],
    job_name: Optional[str],
) -> App:
    if version_base is not None:
        base: Any = version_base
    elif spec.decorated:
        base = UNSET
    else:
        base = DEFAULT_VERSION_BASE
    return App(
        spec,
        config_path=UNSET if config_path is None else config_path,
        config_name=UNSET if config_name is None else config_name,
        config_dir=config_dir,
        version_base=base,
        project_root=project_root,
        task_kwargs=task_kwargs,
        job_name=job_name,
    )


def _is_task(obj: Any) -> bool:
    return callable(obj) and not dataclasses.is_dataclass(obj) and not isinstance(obj, (dict, DictConfig))


def _build(
    first: Any,
    task_function: Optional[Callable[..., Any]],
    config_path: Optional[str],
    config_name: Optional[str],
    job_name: Optional[str],
    version_base: Optional[str],
    task_kwargs: dict[str, Any],
    overrides: list[str],
) -> App:
    if task_function is None:
        if not _is_task(first):
            from hydra_runner.errors import UsageError

            raise UsageError(
                "a config was given but no task function",
                fix="hydra_run(config, task_function, overrides=[...])",
            )
        spec = task_spec_from_function(first)
        return _app(spec, config_path, config_name, None, version_base, None, task_kwargs, job_name)

    overrides[:] = _append_unlisted_groups(first, overrides)
    name = config_name or STORED_CONFIG_NAME
    ConfigStore.instance().store(name=name, node=first)
    spec = task_spec_from_function(task_function)
    spec.config_path, spec.config_name = None, name
    return _app(spec, config_path, name, None, version_base, None, task_kwargs, job_name)


def _append_unlisted_groups(config: Any, overrides: list[str]) -> list[str]:
    """``optim=sgd`` for a ConfigStore group that the config object leaves empty means ``+optim=sgd``.

    A config object has no defaults list, so Hydra would refuse to override a group that
    is not in it; the object's empty field is where the chosen option goes.
    """

    repo = ConfigStore.instance().repo
    try:
        fields = OmegaConf.create(config) if not OmegaConf.is_config(config) else config
        if not OmegaConf.is_dict(fields):
            return overrides
    except Exception:
        return overrides
    result = []
    for line in overrides:
        key, sep, _ = line.partition("=")
        if sep and key.isidentifier() and isinstance(repo.get(key), dict) and key in fields and (
            OmegaConf.is_missing(fields, key) or fields._get_node(key)._is_none()  # type: ignore[union-attr]
        ):
            line = "+" + line
        result.append(line)
    return result


def _split_keywords(keywords: dict[str, Any], *, multirun: bool) -> tuple[RunContext, dict[str, Any]]:
    """The run options among ``keywords`` as a run context, and the rest (the task's keywords)."""
    names = option_keywords()
    run = RunContext.from_keywords({k: v for k, v in keywords.items() if k in names}, multirun=multirun)
    return run, {k: v for k, v in keywords.items() if k not in names}


def hydra_run(
    config: Any,
    task_function: Optional[Callable[..., Any]] = None,
    overrides: Optional[Sequence[str]] = None,
    *,
    config_path: Optional[str] = None,
    config_name: Optional[str] = None,
    job_name: Optional[str] = None,
    version_base: Optional[str] = None,
    **keywords: Any,
) -> JobResult:
    """Run one Hydra job in this process and return its ``JobReturn``.

    ``keywords``: the run's options (``mlflow=True``, ...), else the task's own keywords.

    >>> from hydra_runner import hydra_run
    >>> job = hydra_run({"a": 1, "b": 2}, lambda cfg: cfg.a + cfg.b, overrides=["b=40"])
    >>> job.return_value
    41
    """
    run, task_kwargs = _split_keywords(keywords, multirun=False)
    run.head_start.ask_git(os.getcwd())  # answered while the config composes; the run records it
    args = list(overrides or [])
    app = _build(config, task_function, config_path, config_name, job_name, version_base, task_kwargs, args)
    return app.run(args + run.overrides(), run=run)  # type: ignore[no-any-return]


def hydra_multirun(
    config: Any,
    task_function: Optional[Callable[..., Any]] = None,
    overrides: Optional[Sequence[str]] = None,
    *,
    config_path: Optional[str] = None,
    config_name: Optional[str] = None,
    job_name: Optional[str] = None,
    version_base: Optional[str] = None,
    **keywords: Any,
) -> SweepResult:
    """Run a Hydra multirun; returns the sweeper's batches of ``JobReturn``.

    ``keywords``: the run's options, named as the ``multirun`` command's flags (``jobs=4``,
    ``timeout=600``, ``retries=1``, ``fail_fast=True``, ``launcher="ray"``, ``mlflow=True``,
    ...), else the task's own keywords.

    >>> from hydra_runner import hydra_multirun
    >>> jobs = hydra_multirun({"x": 0}, lambda cfg: cfg.x ** 2, overrides=["x=range(-2,3)"])
    >>> [j.return_value for j in jobs[0]]
    [4, 1, 0, 1, 4]
    """
    from hydra_runner.sweepers._product import jobs_on_command_line

    run, task_kwargs = _split_keywords(keywords, multirun=True)
    args = list(overrides or [])
    app = _build(config, task_function, config_path, config_name, job_name, version_base, task_kwargs, args)
    run.expected_jobs = jobs_on_command_line(args)  # a pool starts no more workers than that
    try:
        return app.multirun(args + run.overrides(), run=run)
    finally:
        run.close()


def hydra_sweep(
    task: Callable[..., Any],
    *,
    config_path: Optional[str] = None,
    config_name: Optional[str] = None,
    overrides: Optional[Sequence[str]] = None,
    version_base: Optional[str] = None,
    **keywords: Any,
) -> Any:
    """Sweep ``task`` and return one result per job, in Hydra's Cartesian order.

    ``keywords`` as for :func:`hydra_multirun`: run options, else the task's keywords.

    Each result is a :class:`JobResult`: ``float(result)`` when the task returned a number.
    A sweeper that returns something other than batches of jobs gives that value back.
    """
    result = hydra_multirun(
        task, config_path=config_path, config_name=config_name, overrides=overrides,
        version_base=version_base, **keywords,
    )
    if result.has_batches:
        return [JobResult.from_job_return(job) for job in result.jobs()]
    return result


def resume_sweep(sweep_dir: Optional[str] = None, extra: Sequence[str] = ()) -> int:
    """Finish a sweep (default: the project's latest): run what did not succeed, in its own dirs.

    Jobs it left on a Ray or Slurm cluster (``--no-wait``) are collected first; while any is
    still there, the sweep is not resumed. ``extra``: launcher flags for this run (``["-j", "4"]``),
    for a sweep that the ``hydra-runner`` command started. Returns the exit code of the sweep's command.
    """

    path = resolve_sweep_dir(sweep_dir).absolute()
    states = collect_detached(path) or []
    waiting = [state.num for state in states if state.status is Status.SUBMITTED]
    if waiting:
        jobs = ", ".join(f"#{num}" for num in waiting)
        where = "on Slurm" if hasattr(states[0], "slurm_id") else "on the Ray cluster"
        raise UsageError(f"jobs {jobs} of this sweep are still {where} (or it cannot say how they ended)",
                         fix=f"follow them with hydra-runner status {path}; resume once they have ended")
    return resume.resume_sweep(str(path), extra)


def diff_runs(a: str, b: str) -> dict[str, Any]:
    """How two jobs or two sweeps differ, as ``hydra-runner diff A B --json`` prints it.

    ``a``, ``b``: job dirs, ``SWEEP_DIR#N``, or two sweep dirs (:mod:`hydra_runner.repro.diff`).
    """
    from hydra_runner.repro.diff import compare

    return compare(a, b).to_json()
