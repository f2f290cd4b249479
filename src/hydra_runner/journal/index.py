"""Which sweeps a project has: a list of sweep dirs in ``.hydra-runner/sweeps`` at its root.

Sweep dirs can be anywhere (``hydra.sweep.dir`` is the user's), so instead of searching
the disk each new sweep appends its directory to the project's list: relative to the
project's root when it is inside it, so a copied or moved project lists its own sweeps
(records written as absolute paths by earlier versions are read as they are).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.journal.sqlite import JOURNAL_FILE

__all__ = ["find_project_root", "latest_sweep", "list_sweeps", "register_sweep", "relative_to_root", "resolve_sweep_dir"]

_INDEX = Path(".hydra-runner") / "sweeps"


def find_project_root(start: Optional[Path] = None) -> Path:
    """The nearest directory from ``start`` (default: cwd) upwards that has a sweep index.

    So ``results``, ``sweeps`` and ``resume`` work from a subdirectory of the project; when
    no index exists anywhere above, ``start`` itself.
    """
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        if (directory / _INDEX).is_file():
            return directory
    return here


def register_sweep(project_root: Path, sweep_dir: Path) -> None:
    index = project_root / _INDEX
    index.parent.mkdir(parents=True, exist_ok=True)
    # One short append per sweep: O_APPEND keeps concurrent runners' lines whole.
    with open(index, "a", encoding="utf-8") as file:
        file.write(f"{relative_to_root(project_root, sweep_dir)}\n")


def relative_to_root(project_root: Path, path: Path) -> Path:
    """``path`` relative to the project's root when it lies inside it, else absolute."""
    path, root = path.absolute(), project_root.absolute()
    return path.relative_to(root) if path.is_relative_to(root) else path


def list_sweeps(project_root: Path) -> list[Path]:
    """Sweep dirs of the project that still have a journal, in the order they were started."""
    index = project_root / _INDEX
    if not index.exists():
        return []
    sweeps: dict[Path, None] = {}
    for line in index.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        sweep = project_root.absolute() / line.strip()  # an absolute line stays as it is
        if (sweep / JOURNAL_FILE).exists():
            sweeps.pop(sweep, None)
            sweeps[sweep] = None
    return list(sweeps)


def latest_sweep(project_root: Path) -> Optional[Path]:
    sweeps = list_sweeps(project_root)
    return sweeps[-1] if sweeps else None


def resolve_sweep_dir(path: Union[str, Path, None] = None) -> Path:
    """The sweep dir ``path`` names, or the latest sweep of the project in the current directory."""
    if path is None:
        root = find_project_root()
        latest = latest_sweep(root)
        if latest is None:
            raise UsageError(
                f"no sweep recorded in {root}",
                fix="run a multirun first (hydra-runner multirun TARGET a=1,2), "
                "or give its directory: hydra-runner results SWEEP_DIR",
            )
        return latest
    sweep_dir = Path(path)
    if not sweep_dir.is_dir():
        raise UsageError(f"no directory {sweep_dir}", fix="give a sweep dir; `hydra-runner sweeps` lists them")
    if not (sweep_dir / JOURNAL_FILE).exists():
        # A job dir inside a sweep is an easy slip: point at its parent.
        parent = sweep_dir.absolute().parent
        hint = f"give the sweep dir {parent}" if (parent / JOURNAL_FILE).exists() else (
            "give the directory of a multirun run by hydra-runner; `hydra-runner sweeps` lists them"
        )
        raise UsageError(f"{sweep_dir} has no sweep journal ({JOURNAL_FILE})", fix=hint)
    return sweep_dir
