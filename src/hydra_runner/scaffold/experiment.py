"""``new_experiment``: a new ``experiments/NNN-name/``, from the templates or from an earlier experiment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.scaffold.clone import cloned_files
from hydra_runner.scaffold.layout import experiments_dir, resolve_experiment
from hydra_runner.scaffold.numbering import (
    format_number,
    next_number,
    numbered_dirs,
    split_name,
)
from hydra_runner.scaffold.templates import config_yaml, diff_yaml, train_py
from hydra_runner.scaffold.writing import write_new_tree

__all__ = ["new_experiment"]


def _fresh_files(directory_name: str) -> dict[Path, bytes]:
    return {
        Path("config.yaml"): config_yaml(directory_name).encode(),
        Path("train.py"): train_py(directory_name).encode(),
        # Parameter set 001 is the experiment itself, so it carries the experiment's name.
        Path("exp", "001.yaml"): diff_yaml({}, name=f"001-{directory_name.partition('-')[2]}").encode(),
    }


def _directory_name(name: str, parent: Path) -> str:
    number, slug = split_name(name)
    existing = numbered_dirs(parent)
    if number is None:
        number = next_number(n for n, _, _ in existing)
    taken = [path for n, _, path in existing if n == number]
    if taken:
        raise UsageError(f"experiment number {format_number(number)} is taken by {taken[0]}; nothing was written",
                         fix=f"leave the number out to get the next free one: hydra-runner new experiment {slug}")
    same_name = [path for _, other, path in existing if other == slug]
    if same_name:
        # Experiments are also named without their number (new exp larger-model): keep names unique.
        raise UsageError(f"there is already an experiment named '{slug}': {same_name[0]}; nothing was written",
                         fix="choose another name")
    return f"{format_number(number)}-{slug}"


def new_experiment(
    name: str, *, source: Optional[str] = None, root: Union[str, os.PathLike[str], None] = None
) -> list[Path]:
    """Create ``experiments/NNN-name/`` under ``root`` (default: the current directory).

    ``name`` is ``larger-model`` (the next free number) or ``002-larger-model``. Without
    ``source`` the experiment gets ``config.yaml``, ``train.py`` and ``exp/001.yaml``; with
    ``source`` (``001``, ``001-baseline``, a path) it gets that experiment's source files with
    its name replaced. Returns the new directory, then the files in it.

    >>> new_experiment("baseline")  # doctest: +SKIP
    [PosixPath('experiments/001-baseline'), PosixPath('experiments/001-baseline/config.yaml'), ...]
    """
    base = Path(root) if root is not None else Path()
    parent = experiments_dir(base)
    directory_name = _directory_name(name, parent)
    if source is None:
        files = _fresh_files(directory_name)
    else:
        files = cloned_files(resolve_experiment(source, base), directory_name)
    return write_new_tree(parent / directory_name, files,
                          fix="choose another name, or leave the number out to get the next free one")
