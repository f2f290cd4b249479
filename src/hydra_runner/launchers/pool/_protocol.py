"""What the pool's parent and its workers say to each other over a pipe."""

from __future__ import annotations

import os
import pickle
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Optional

__all__ = ["Bootstrap", "JobOutcome", "WorkerSetup", "RemoteError"]


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


class RemoteError(Exception):
    """A job's exception that could not be sent back as itself."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


@dataclass
class JobOutcome:
    num: int
    completed: bool
    return_value: Any = None
    #: The exception, pickled when it pickles, else a RemoteError naming it.
    exception: Optional[BaseException] = None
    traceback: Optional[str] = None
    task_name: Optional[str] = None
    working_dir: Optional[str] = None
    output_dir: Optional[str] = None
    #: Hydra 1.4's pickling form of the exception's traceback (see _compat.keep_remote_traceback).
    remote_traceback: Optional[dict[str, Any]] = None

    @classmethod
    def failed(cls, num: int, exc: BaseException, **fields: Any) -> JobOutcome:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(num=num, completed=False, exception=_sendable(exc), traceback=text, **fields)

    def value_not_sendable(self, error: Exception) -> JobOutcome:
        """This outcome as a failure: its return value could not be pickled."""
        err = RemoteError(
            type(error).__name__,
            f"the job's return value ({type(self.return_value).__name__}) cannot be sent back: {error}",
        )
        return JobOutcome(
            num=self.num,
            completed=False,
            exception=err,
            traceback=str(err),
            task_name=self.task_name,
            working_dir=self.working_dir,
            output_dir=self.output_dir,
        )


def _sendable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RemoteError(type(exc).__name__, str(exc))
