"""Run one composed job with the semantics of ``hydra.core.utils.run_job``.

Same output dir, ``.hydra/`` files, working dir, logging, ``env_set``, callbacks and
``JobReturn``; what differs is cost: the ``hydra`` node is shared with the job's template
instead of being deep-copied four times (see :mod:`hydra_runner.composition.job`).
"""

from __future__ import annotations

import contextlib
import copy
import os
from pathlib import Path
from textwrap import dedent
from typing import Any, Callable, ContextManager, Optional

from hydra import version
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobRuntime, JobStatus, _flush_loggers, env_override
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_runner import _compat
from hydra_runner.composition._yaml import config_to_yaml
from hydra_runner.composition.job import ComposedJob
from hydra_runner.jobs.result import JobResult

__all__ = ["reapply_logging", "resolved_logging", "run_composed_job", "run_sweep_job"]


def _write(directory: Path, name: str, text: str) -> None:
    with open(directory / name, "w", encoding="utf-8") as file:
        file.write(text)


def _resolve_chdir(chdir: Optional[bool]) -> bool:
    if chdir is not None:
        return chdir
    if version.base_at_least("1.2"):
        return False

    url = "https://hydra.cc/docs/1.2/upgrades/1.1_to_1.2/changes_to_job_working_dir/"
    _compat.deprecation_warning(
        message=dedent(
            f"""\
            Future Hydra versions will no longer change working directory at job runtime by default.
            See {url} for more information."""
        ),
        stacklevel=2,
    )
    return True


def _config_for_callbacks(job: ComposedJob, has_callbacks: bool) -> DictConfig:
    # Callbacks may keep the config they are given; the shared node would change under them.
    return job.materialize_full_config() if has_callbacks else job.full


def run_composed_job(
    job: ComposedJob,
    *,
    task_function: TaskFunction,
    hydra_context: HydraContext,
    job_dir_key: str,
    job_subdir_key: Optional[str],
    configure_logging: bool = True,
    capture_output: Optional[Callable[[str], ContextManager[object]]] = None,
) -> JobResult:
    """Run ``job`` as ``run_job`` would; ``capture_output(output_dir)`` wraps what the job prints."""
    callbacks = hydra_context.callbacks
    has_callbacks = bool(getattr(callbacks, "callbacks", True))
    template = job.template
    hydra_node = template.hydra
    old_cwd = os.getcwd()
    hydra_config = HydraConfig.instance()
    orig_hydra_cfg = hydra_config.cfg

    job.activate()
    hydra_config.cfg = template.hydra_root  # type: ignore[assignment]
    output_dir = str(OmegaConf.select(job.full, job_dir_key))
    if job_subdir_key is not None:
        output_dir = os.path.join(output_dir, str(OmegaConf.select(job.full, job_subdir_key)))
    job.set_output_dir(os.path.abspath(output_dir))

    chdir: Optional[bool] = None
    stack = contextlib.ExitStack()
    try:
        ret = JobResult()
        task_cfg = job.task_config()
        ret.cfg = task_cfg
        fields, full = job.fields, job.full
        ret.set_hydra_cfg_factory(lambda: template.snapshot_hydra_root(fields, full))
        ret.overrides = list(job.task_overrides)
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        if capture_output is not None:
            stack.enter_context(capture_output(output_dir))

        chdir = _resolve_chdir(hydra_node.job.chdir)
        if chdir:
            os.chdir(output_dir)
            ret.working_dir = output_dir
        else:
            ret.working_dir = os.getcwd()

        if configure_logging:
            resolved = template.logging_plan.resolved()
            if resolved is not None:
                _compat.configure_logging_dict(resolved, hydra_node.verbose)

        if hydra_node.output_subdir is not None:
            hydra_output = Path(hydra_node.runtime.output_dir) / Path(hydra_node.output_subdir)
            hydra_output.mkdir(parents=True, exist_ok=True)
            _write(hydra_output, "config.yaml", config_to_yaml(task_cfg))
            _write(hydra_output, "hydra.yaml", template.hydra_yaml())
            _write(hydra_output, "overrides.yaml", config_to_yaml(hydra_node.overrides.task))

        env_set: Any = hydra_node.job.env_set
        with env_override(env_set):
            callback_config = _config_for_callbacks(job, has_callbacks)
            callbacks.on_job_start(config=callback_config, task_function=task_function)
            try:
                ret.return_value = task_function(task_cfg)
                ret.status = JobStatus.COMPLETED
            except Exception as e:
                ret.return_value = e
                ret.status = JobStatus.FAILED
                _compat.keep_remote_traceback(ret, e)
                _compat.log_job_error()

        ret.task_name = JobRuntime.instance().get("name")
        _flush_loggers()
        callbacks.on_job_end(config=callback_config, job_return=ret)
        return ret
    finally:
        stack.close()
        hydra_config.cfg = orig_hydra_cfg
        if chdir:
            os.chdir(old_cwd)


def run_sweep_job(
    job: ComposedJob,
    *,
    task_function: TaskFunction,
    hydra_context: HydraContext,
    capture_output: Optional[Callable[[str], ContextManager[object]]] = None,
) -> JobResult:
    """A job of a multirun: its output dir is ``hydra.sweep.dir/hydra.sweep.subdir``."""
    return run_composed_job(
        job,
        task_function=task_function,
        hydra_context=hydra_context,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
        capture_output=capture_output,
    )


def reapply_logging(resolved: Optional[dict[str, Any]], verbose: Any) -> None:
    """Configure logging from an already resolved config again (after a job, as BasicLauncher does)."""
    if resolved is not None:
        # dictConfig consumes the dict it is given.
        _compat.configure_logging_dict(copy.deepcopy(resolved), verbose)


def resolved_logging(node: Any) -> Optional[dict[str, Any]]:
    """``hydra.hydra_logging`` resolved once, for re-applying after every job."""
    if node is None:
        return None
    return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]
