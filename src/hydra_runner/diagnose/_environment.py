"""Faults of the machine around a run (files, dirs, encodings), as errors a user can act on.

Hydra and hydra-runner read and write files in many places (configs, output dirs, journals,
``--csv``); an ``OSError`` from any of them means the same few things, told here once by its
``errno``. Only faults outside the task reach these rules: the task's own ``OSError`` keeps its
traceback (see :data:`~hydra_runner.diagnose.TASK_ERROR_ATTR`).
"""

from __future__ import annotations

import errno
import os
from typing import Optional

from hydra_runner.errors import HydraRunnerError

__all__ = ["EnvironmentFault", "environment_error"]

_LONGEST_SHOWN = 120


class EnvironmentFault(HydraRunnerError):
    """A file or dir the run needs cannot be read or written as it is."""


def _shown(path: str) -> str:
    return path if len(path) <= _LONGEST_SHOWN else f"{path[:60]}...{path[-40:]} ({len(path)} characters)"


def _existing_parent(path: str) -> str:
    parent = os.path.dirname(os.path.abspath(path))
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return parent


def _os_error(exc: OSError) -> Optional[EnvironmentFault]:
    path = exc.filename if isinstance(exc.filename, str) else None
    if path is None:
        return None
    where = _shown(path)
    reason = exc.strerror or type(exc).__name__
    code = exc.errno
    if code == errno.ENAMETOOLONG:
        longest = max((len(part) for part in path.split(os.sep)), default=0)
        return EnvironmentFault(f"a file name would be {longest} characters long, more than the file system allows",
                                fix="shorten the key or value that names it (long values belong in a config file, "
                                    "not on the command line)", detail=f"path: {where}")
    if code == errno.ENOTDIR:
        parent = _existing_parent(path)
        return EnvironmentFault(f"cannot use '{where}': '{parent}' is a file, not a directory",
                                fix="choose another path (hydra.run.dir=..., hydra.sweep.dir=..., or the option's "
                                    "value), or move that file away")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EnvironmentFault(f"cannot write or read '{where}': {reason}",
                                fix="choose a path you may write to (hydra.run.dir=..., hydra.sweep.dir=...), "
                                    "or change its permissions")
    if code == errno.ENOENT:
        parent = _existing_parent(path)
        return EnvironmentFault(f"'{where}' does not exist",
                                fix=f"create its directory first (mkdir -p {os.path.dirname(path) or '.'}), "
                                    f"or give a path under an existing one such as {parent}")
    if code == errno.EISDIR:
        return EnvironmentFault(f"'{where}' is a directory, where a file is needed",
                                fix="give a file's path (for example with a .csv or .yaml name)")
    if code in (errno.ENOSPC, errno.EDQUOT):
        return EnvironmentFault(f"no space left to write '{where}'",
                                fix="free some space, or write the outputs elsewhere (hydra.sweep.dir=...)")
    return EnvironmentFault(f"cannot use '{where}': {reason}", fix="check the path and the file system it is on")


def _encoding_error(exc: UnicodeDecodeError) -> EnvironmentFault:
    path = _file_being_read(exc)
    what = f"'{path}'" if path else "a config file"
    return EnvironmentFault(
        f"{what} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start})",
        fix=f"save {path or 'the file'} as UTF-8 (for example: iconv -f latin1 -t utf-8 FILE > FILE.new)",
    )


def _file_being_read(exc: BaseException) -> Optional[str]:
    """The YAML file a frame of the traceback was reading, where one shows it."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        for name in ("full_path", "path", "filename"):
            value = tb.tb_frame.f_locals.get(name)
            if isinstance(value, str) and value.endswith((".yaml", ".yml")):
                found = value
        tb = tb.tb_next
    return found


def environment_error(exc: BaseException) -> Optional[EnvironmentFault]:
    """The fault of the surroundings that ``exc`` is (or was raised from), if it is one.

    Only explicit causes count: an error raised while handling an ``OSError`` (a config
    looked for where it is not) is about what was looked for, not about the file system.
    """
    cause: Optional[BaseException] = exc
    while cause is not None:
        if isinstance(cause, UnicodeDecodeError):
            return _encoding_error(cause)
        if isinstance(cause, OSError):
            return _os_error(cause)
        cause = cause.__cause__
    return None
