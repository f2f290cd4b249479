"""Numbers: experiments are ``experiments/NNN-name/``, parameter sets ``exp/NNN.yaml``.

A new one gets one past the highest number in use; gaps are left alone, so the numbers
keep saying what came first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Optional

from hydra_runner.errors import UsageError

__all__ = ["format_number", "next_number", "numbered_dirs", "numbered_files", "split_name"]

WIDTH = 3
_NUMBERED = re.compile(r"^(\d{%d,})-(.+)$" % WIDTH)
_SHORT_NUMBER = re.compile(r"^\d{1,%d}-" % (WIDTH - 1))
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def format_number(number: int) -> str:
    return f"{number:0{WIDTH}d}"


def next_number(taken: Iterable[int]) -> int:
    return max(taken, default=0) + 1


def split_name(name: str) -> tuple[Optional[int], str]:
    """``"002-larger-model"`` -> ``(2, "larger-model")``; ``"larger-model"`` -> ``(None, "larger-model")``."""
    if _SHORT_NUMBER.match(name):
        number, _, rest = name.partition("-")
        raise UsageError(
            f"'{name}': experiment numbers have {WIDTH} digits",
            fix=f"write {format_number(int(number))}-{rest}, or leave the number out to get the next free one",
        )
    match = _NUMBERED.match(name)
    number, slug = (int(match.group(1)), match.group(2)) if match else (None, name)
    if not _SLUG.match(slug) or slug.isdigit():
        raise UsageError(
            f"'{name}' is not a usable experiment name",
            fix="use letters, digits, '-', '_' and '.', e.g. larger-model (a number in front, 002-larger-model, is optional)",
        )
    return number, slug


def numbered_dirs(parent: Path) -> list[tuple[int, str, Path]]:
    """``(number, name, path)`` of each ``NNN-name`` directory in ``parent``, in order."""
    found = []
    if parent.is_dir():
        for path in sorted(parent.iterdir()):
            match = _NUMBERED.match(path.name)
            if match and path.is_dir():
                found.append((int(match.group(1)), match.group(2), path))
    return found


def numbered_files(directory: Path, suffix: str = ".yaml") -> dict[int, Path]:
    """The ``NNN.yaml`` files in ``directory`` by number."""
    if not directory.is_dir():
        return {}
    return {int(path.stem): path for path in sorted(directory.glob(f"*{suffix}")) if path.stem.isdigit()}
