"""Whether a sweep ran only hydra-runner's own code in this process.

Then nothing of the user's can have left a finalizer behind, and the command line may end
the process without the interpreter's teardown (:class:`hydra_runner.cli._exit.ExitPlan`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["only_own_code_runs_here"]


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
