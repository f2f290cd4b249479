"""Whether this process may end without the interpreter's teardown.

Tearing the interpreter down (freeing every module and object one by one) takes 0.05 to
0.2 s once Hydra, OmegaConf and Optuna are loaded. Its only effect that anyone could see is
finalizers doing work, such as a file a task left open flushing its buffer. A sweep whose
tasks ran in other processes, with only hydra-runner's sweepers and callbacks here, leaves
none: the command line then ends the process once its atexit handlers have run
(:func:`hydra_runner.cli._exit.exit_with`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["allow_skipping", "may_skip", "only_own_code_runs_here"]

_allowed = False


def allow_skipping() -> None:
    """Note that nothing but hydra-runner's own code runs in this process."""
    global _allowed
    _allowed = True


def may_skip() -> bool:
    return _allowed


def only_own_code_runs_here(config: Any, sweeper: Any) -> bool:
    """Whether a sweep of ``config`` by ``sweeper`` runs no task or third-party plugin in this process."""
    launcher = getattr(sweeper, "launcher", None)
    callbacks = config.hydra.callbacks or {}
    return (
        bool(getattr(launcher, "runs_tasks_elsewhere", False))
        and _own(type(sweeper).__module__)
        and all(_own(str((callback or {}).get("_target_", ""))) for callback in callbacks.values())
    )


def _own(dotted: str) -> bool:
    return dotted.startswith("hydra_runner.")
