"""hydra-runner's errors.

    HydraRunnerError                 root; carries ``fix``, the line telling the user what to do
    ├── UsageError(ValueError)       bad command line or API arguments            -> exit 2
    ├── TargetError(ImportError)     the TARGET cannot be imported or has no task -> exit 2
    └── ConfigError(ValueError)      composition failed (bad override, missing config, ...) -> exit 2

A task's own exception is never wrapped: it propagates with its traceback.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "ConfigError",
    "HydraRunnerError",
    "JobCrashed",
    "JobInterrupted",
    "JobLost",
    "JobNotStarted",
    "JobTimedOut",
    "SweepFailed",
    "TargetError",
    "UsageError",
]


class HydraRunnerError(Exception):
    """Root of hydra-runner's errors. ``fix`` says how to fix it."""

    exit_code = 2

    def __init__(self, message: str, *, fix: Optional[str] = None, detail: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.detail = detail

    def __str__(self) -> str:
        lines = [self.message]
        if self.detail:
            lines.append(self.detail)
        if self.fix:
            lines.append(f"fix: {self.fix}")
        return "\n".join(lines)


class UsageError(HydraRunnerError, ValueError):
    """Arguments that cannot work together or are malformed."""


class TargetError(HydraRunnerError, ImportError):
    """The TARGET cannot be imported or holds no task function."""


class ConfigError(HydraRunnerError, ValueError):
    """Hydra could not compose the config; ``detail`` holds Hydra's own message."""


class JobLost(RuntimeError):
    """A job that ended without an outcome of its own; the return value of its failed ``JobReturn``."""


class JobCrashed(JobLost):
    """The job's process died (killed by a signal, ``os._exit``, a segfault)."""


class JobTimedOut(JobLost):
    """The job ran longer than the launcher's timeout and was killed."""


class JobInterrupted(JobLost):
    """The job was stopped by a second Ctrl-C."""


class JobNotStarted(JobLost):
    """The job never started: fail-fast stopped the sweep first (``resume`` runs it)."""


class SweepFailed(HydraRunnerError):
    """Some jobs of a sweep did not succeed (the others ran to the end, or fail-fast left them not started)."""

    exit_code = 1

    def __init__(self, failed: list[Any], *, total: int, sweep_dir: str, not_started: int = 0) -> None:
        if not_started:
            message = (f"{len(failed)} of {total} jobs failed (summary above); "
                       f"{not_started} {'was' if not_started == 1 else 'were'} not started (--fail-fast)")
            rerun = "runs the failed and the not started ones"
        else:
            message = f"{len(failed)} of {total} jobs did not succeed (summary above)"
            rerun = "runs them again"
        super().__init__(
            message,
            fix=f"see each job's console.log; `hydra-runner results {sweep_dir}` lists them, "
            f"`hydra-runner resume {sweep_dir}` {rerun}",
        )
        self.failed = failed
        self.total = total
        self.not_started = not_started
        self.sweep_dir = sweep_dir
