"""Calling a task that takes its config under any parameter name, plus ordinary arguments.

An ``async def`` task is awaited: its coroutine runs to its end in the job's own process
(``asyncio.run``) and what it returns is the job's return value. Where this thread already
runs an event loop (a notebook calling the Python API), the coroutine gets a loop of its own
in a fresh thread, since a running loop cannot be waited on from inside. A generator task
is refused: a job has one return value, and nothing would consume what it yields.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import threading
from typing import Any, Callable, Optional

from omegaconf import DictConfig

from hydra_runner.diagnose import TASK_ERROR_ATTR
from hydra_runner.errors import UsageError

__all__ = ["bind_config_parameter", "config_parameter_name", "make_task_function", "run_coroutine"]


def config_parameter_name(fn: Callable[..., Any]) -> str:
    """The parameter of ``fn`` that receives the config.

    The one annotated ``DictConfig`` (or a dataclass), else the first positional one.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return ""
    params = [p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    for p in params:
        annotation = p.annotation
        if annotation is DictConfig or annotation == "DictConfig" or (
            isinstance(annotation, str) and annotation.endswith("DictConfig")
        ):
            return p.name
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional:
        raise UsageError(
            f"task '{getattr(fn, '__name__', fn)}' takes no parameter for the config",
            fix="give it one: def task(cfg: DictConfig, ...)",
        )
    return positional[0].name


def bind_config_parameter(fn: Callable[..., Any], task_kwargs: dict[str, Any]) -> Callable[[Any], Any]:
    """``fn`` as a Hydra task function: ``task(cfg)`` calls ``fn(<its config param>=cfg, **task_kwargs)``."""
    name = config_parameter_name(fn)
    _check_nothing_else_required(fn, {name, *task_kwargs})
    if not task_kwargs:
        return fn
    if name in task_kwargs:
        raise UsageError(f"'{name}' is the task's config parameter and cannot also be passed as an argument")

    @functools.wraps(fn)
    def task(cfg: Any) -> Any:
        return fn(**{name: cfg}, **task_kwargs)

    return task


def _check_nothing_else_required(fn: Callable[..., Any], given: set[str]) -> None:
    """Refuse a task with parameters that neither the config nor ``task_kwargs`` fill (before any job runs)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    needed = [p.name for p in signature.parameters.values()
              if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in given]
    if needed:
        names = ", ".join(f"'{n}'" for n in needed)
        raise UsageError(
            f"task '{getattr(fn, '__name__', fn)}' also needs {names}, which no job can give it",
            fix=f"give {'them defaults' if len(needed) > 1 else 'it a default'}, or read the value from the config "
                f"(cfg.{needed[0]})",
        )


def make_task_function(
    fn: Callable[..., Any], *, bind: bool, task_kwargs: Optional[dict[str, Any]] = None
) -> Callable[[Any], Any]:
    """The Hydra task function that runs ``fn``: its config parameter bound when ``bind``.

    Exceptions raised by ``fn`` are marked, so that an OmegaConf error raised by the task
    itself is reported as the task's error, not as a config error.
    """
    _refuse_generator(fn, inspect.unwrap(fn))
    if bind:
        fn = bind_config_parameter(fn, task_kwargs or {})

    @functools.wraps(fn)
    def task(cfg: Any) -> Any:
        try:
            result = fn(cfg)
            if inspect.iscoroutine(result):
                return run_coroutine(result)
        except Exception as e:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(e, TASK_ERROR_ATTR, True)
            raise
        _refuse_generator(fn, result)
        return result

    return task


def run_coroutine(coroutine: Any) -> Any:
    """Run ``coroutine`` to its end and return its value, whether or not this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()  # the caller's context variables, as asyncio.run would see them

    def run() -> None:
        try:
            outcome["value"] = context.run(asyncio.run, coroutine)
        except BaseException as e:  # raised in the caller's thread instead
            outcome["error"] = e

    thread = threading.Thread(target=run, name="hydra-runner-async-task")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _refuse_generator(fn: Callable[..., Any], what: Any) -> None:
    """A generator function (or what one returned) as a task: a usage error."""
    if not (inspect.isgeneratorfunction(what) or inspect.isasyncgenfunction(what)
            or inspect.isgenerator(what) or inspect.isasyncgen(what)):
        return
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
    raise UsageError(f"the task '{name}' is a generator function (it yields): a job has one return value",
                     fix="return the result instead of yielding it (collect yielded items in a list first), "
                         "or report values along the way with hydra_runner.report / log_metrics")
