"""Writing new files only: nothing that exists is ever replaced."""

from __future__ import annotations

from pathlib import Path

from hydra_runner.errors import UsageError

__all__ = ["write_new_file", "write_new_tree"]


def _exists_error(path: Path, fix: str) -> UsageError:
    return UsageError(f"'{path}' already exists; nothing was written", fix=fix)


def write_new_file(path: Path, text: str, *, fix: str) -> Path:
    """Create ``path`` with ``text``; a :class:`UsageError` saying ``fix`` if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise _exists_error(path, fix) from None
    return path


def write_new_tree(directory: Path, files: dict[Path, bytes], *, fix: str) -> list[Path]:
    """Create ``directory`` (which must not exist) holding ``files``; returns it, then the files."""
    try:
        directory.mkdir(parents=True)
    except FileExistsError:
        raise _exists_error(directory, fix) from None
    written = [directory]
    for relative, data in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
