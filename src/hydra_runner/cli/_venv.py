"""Running under the project's own ``.venv`` when there is one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hydra_runner._install import install_command

__all__ = ["has_hydra_runner", "reexec_in_project_venv"]

MARKER = "HYDRA_RUNNER_IN_PROJECT_VENV"


def _venv_python(root: Path) -> Path:
    return root / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def has_hydra_runner(venv: Path) -> bool:
    """Whether the virtualenv at ``venv`` has hydra-runner installed (POSIX or Windows layout)."""
    return any(venv.glob("lib/python*/site-packages/hydra_runner*")) or any(venv.glob("Lib/site-packages/hydra_runner*"))


def reexec_in_project_venv(root: Path | None = None) -> None:
    """Re-execute this command with ``./.venv``'s Python if that is not the one running.

    A project's modules import its own dependencies; running them under another
    interpreter fails in confusing ways. When the venv lacks hydra-runner, say so and go on.
    """
    root = (root or Path.cwd()).resolve()
    python = _venv_python(root)
    if os.environ.get(MARKER) or not python.exists():
        return
    venv = (root / ".venv").resolve()
    if Path(sys.prefix).resolve() == venv:
        return
    if not has_hydra_runner(venv):
        sys.stderr.write(
            f"note: {venv} has no hydra-runner, so TARGET runs with {sys.executable}.\n"
            f"      To use the project's environment: {install_command('hydra-runner', python)}"
            " (or pass --no-venv to silence this).\n"
        )
        return
    os.environ[MARKER] = "1"
    os.execv(str(python), [str(python), "-m", "hydra_runner", *sys.argv[1:]])
