"""Where experiments live (``experiments/`` under the project root) and which one a name means."""

from __future__ import annotations

from pathlib import Path

from hydra_runner.errors import UsageError
from hydra_runner.scaffold.numbering import numbered_dirs

__all__ = ["EXPERIMENTS_DIR", "experiments_dir", "resolve_experiment"]

EXPERIMENTS_DIR = "experiments"


def experiments_dir(root: Path) -> Path:
    return root / EXPERIMENTS_DIR


def resolve_experiment(ref: str, root: Path) -> Path:
    """The experiment directory ``ref`` names: a path (``experiments/002-larger-model``, from
    ``root``), or under ``root/experiments`` a number (``002``), a full name or a name without
    its number (``larger-model``)."""
    parent = experiments_dir(root)
    as_path = root / ref
    if "/" in ref or "\\" in ref or as_path.is_dir():
        if not as_path.is_dir():
            raise UsageError(f"no experiment directory '{ref}' (from {root})",
                             fix=f"give a path to a directory, or a name or number of one in {parent}")
        return as_path
    existing = numbered_dirs(parent)
    matches = [
        path for number, name, path in existing
        if ref in (path.name, name) or (ref.isdigit() and int(ref) == number)
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(path.name for path in matches)
        raise UsageError(f"'{ref}' names several experiments: {names}", fix="give the full name, e.g. " + matches[0].name)
    if not existing:
        raise UsageError(f"no experiment '{ref}': {parent} has no NNN-name directories",
                         fix="create one first: hydra-runner new experiment NAME")
    names = ", ".join(path.name for _, _, path in existing)
    raise UsageError(f"no experiment '{ref}' in {parent}", fix=f"choose one of: {names}")
