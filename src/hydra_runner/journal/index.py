"""Which sweeps a project has: a list of sweep dirs in ``.hydra-runner/sweeps`` at its root.

Sweep dirs can be anywhere (``hydra.sweep.dir`` is the user's), so instead of searching
the disk each new sweep appends its directory to the project's list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from hydra_runner.journal.sqlite import JOURNAL_FILE

__all__ = ["latest_sweep", "list_sweeps", "register_sweep"]

_INDEX = Path(".hydra-runner") / "sweeps"


def register_sweep(project_root: Path, sweep_dir: Path) -> None:
    index = project_root / _INDEX
    index.parent.mkdir(parents=True, exist_ok=True)
    # One short append per sweep: O_APPEND keeps concurrent runners' lines whole.
    with open(index, "a", encoding="utf-8") as file:
        file.write(f"{sweep_dir.absolute()}\n")


def list_sweeps(project_root: Path) -> list[Path]:
    """Sweep dirs of the project that still have a journal, in the order they were started."""
    index = project_root / _INDEX
    if not index.exists():
        return []
    sweeps: dict[Path, None] = {}
    for line in index.read_text(encoding="utf-8").splitlines():
        if line.strip() and (Path(line.strip()) / JOURNAL_FILE).exists():
            sweeps.pop(Path(line.strip()), None)
            sweeps[Path(line.strip())] = None
    return list(sweeps)


def latest_sweep(project_root: Path) -> Optional[Path]:
    sweeps = list_sweeps(project_root)
    return sweeps[-1] if sweeps else None
