"""Starting an experiment from an earlier one: which of its files come along, and how its name
is carried over to the new one.

Only small source files are copied (code, yaml, notes), never what its runs produced: Hydra's
``outputs/``, ``multirun/``, ``.hydra/`` and sweep directories, model output, virtualenvs, caches.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["cloned_files"]

SOURCE_SUFFIXES = frozenset({".py", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".json", ".txt", ".md", ".sh"})
RUN_OUTPUT_DIRS = frozenset({"outputs", "multirun", "output", "wandb", "mlruns", "lightning_logs", "__pycache__"})
MAX_FILE_BYTES = 256 * 1024


def _is_run_output(directory: Path, name: str) -> bool:
    path = directory / name
    return (
        name.startswith(".")
        or name in RUN_OUTPUT_DIRS
        or (path / ".hydra").is_dir()
        or (path / "journal.sqlite").exists()
    )


def _source_files(directory: Path) -> list[Path]:
    found = []
    for current, dirs, files in os.walk(directory):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not _is_run_output(here, d))
        for name in sorted(files):
            path = here / name
            if (
                not name.startswith(".")
                and path.suffix in SOURCE_SUFFIXES
                and path.is_file()
                and path.stat().st_size <= MAX_FILE_BYTES
            ):
                found.append(path.relative_to(directory))
    return found


def _renamed(text: str, relative: Path, old: str, new: str) -> str:
    old_name, new_name = old.partition("-")[2], new.partition("-")[2]
    if relative.parent.name == "exp" and relative.stem.isdigit():
        # exp/001.yaml of 001-baseline is named "001-baseline" after its own number: in the new
        # experiment it is parameter set 001 of larger-model, "001-larger-model".
        own = re.escape(f"{relative.stem}-{old_name}")
        text = re.sub(rf"^(name:\s*[\"']?){own}([\"']?\s*(#.*)?)$", rf"\g<1>{relative.stem}-{new_name}\g<2>",
                      text, flags=re.MULTILINE)
    return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)


def cloned_files(source: Path, new_name: str) -> dict[Path, bytes]:
    """The files of experiment ``source`` for a new experiment directory named ``new_name``,
    by path relative to it, with ``source``'s directory name replaced by ``new_name``
    (``output/001-baseline`` -> ``output/002-larger-model``)."""
    files = {}
    for relative in _source_files(source):
        data = (source / relative).read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            files[relative] = data
            continue
        files[relative] = _renamed(text, relative, source.name, new_name).encode("utf-8")
    return files
