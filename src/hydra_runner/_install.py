"""The command that installs a package for a given Python, as a ``fix:`` line prints it.

Environments made by uv (``uv venv``, ``uv sync``) have no pip, so ``python -m pip install``
fails there; uv's own command does not, and where neither is at hand, ``ensurepip`` first
gives the environment the pip it lacks.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Optional

__all__ = ["install_command"]


def _has_pip(python: Path) -> bool:
    if python == Path(sys.executable):
        import importlib.util

        return importlib.util.find_spec("pip") is not None
    lib = python.parent.parent / "lib"
    return any(lib.glob("python3*/site-packages/pip/__init__.py")) or any(lib.glob("site-packages/pip/__init__.py"))


def install_command(requirement: str, python: Optional[os.PathLike[str] | str] = None) -> str:
    """A shell command that installs ``requirement`` into the environment of ``python`` (default: this one)."""
    interpreter = Path(python or sys.executable)
    py, req = shlex.quote(str(interpreter)), shlex.quote(requirement)
    if _has_pip(interpreter):
        return f"{py} -m pip install {req}"
    uv = shutil.which("uv")
    if uv is not None:
        return f"{shlex.quote(uv)} pip install --python {py} {req}"
    return f"{py} -m ensurepip && {py} -m pip install {req}"
