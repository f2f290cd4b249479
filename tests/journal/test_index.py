"""The project's list of sweeps: paths relative to its root, so a copied project lists its own."""

from __future__ import annotations

import shutil
from pathlib import Path

from hydra_runner.journal import SweepJournal
from hydra_runner.journal.index import latest_sweep, list_sweeps, register_sweep


def _sweep(path: Path) -> Path:
    SweepJournal.create(path, {"command": ["x"], "cwd": str(path)}).close()
    return path


def test_sweeps_inside_the_project_are_recorded_relative_to_it(tmp_path: Path) -> None:
    root = tmp_path / "project"
    inside = _sweep(root / "multirun" / "a")
    outside = _sweep(tmp_path / "scratch" / "b")
    register_sweep(root, inside)
    register_sweep(root, outside)
    assert (root / ".hydra-runner" / "sweeps").read_text().splitlines() == ["multirun/a", str(outside)]
    assert list_sweeps(root) == [inside, outside]


def test_a_copied_project_lists_its_own_sweeps(tmp_path: Path) -> None:
    root = tmp_path / "project"
    register_sweep(root, _sweep(root / "multirun" / "a"))
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert list_sweeps(copy) == [copy / "multirun" / "a"]
    assert latest_sweep(copy) == copy / "multirun" / "a"
    shutil.rmtree(root / "multirun")
    assert list_sweeps(copy) == [copy / "multirun" / "a"]  # the original's fate does not matter


def test_absolute_records_of_earlier_versions_are_still_read(tmp_path: Path) -> None:
    root = tmp_path / "project"
    old = _sweep(root / "multirun" / "old")
    new = _sweep(root / "multirun" / "new")
    (root / ".hydra-runner").mkdir(parents=True)
    (root / ".hydra-runner" / "sweeps").write_text(f"{old.absolute()}\n")
    register_sweep(root, new)
    assert list_sweeps(root) == [old, new]
    register_sweep(root, old)  # run again: listed once, as the latest
    assert list_sweeps(root) == [new, old]
