"""A directory TARGET names the Python file in it that declares a @hydra.main."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydra_runner.errors import TargetError
from hydra_runner.tasks.locate import hydra_main_file
from tests.conftest import Project

DECORATED = "import hydra\n@hydra.main(version_base=None, config_path='.', config_name='config')\ndef main(cfg):\n    print(cfg)\n"
DECORATED_BY_NAME = "from hydra import main as entry\n@entry(version_base=None)\ndef go(cfg):\n    pass\n"
PLAIN = "def main(cfg):\n    pass\n"


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_train_py_is_preferred(tmp_path: Path) -> None:
    directory = _write(tmp_path, {"train.py": DECORATED, "eval.py": DECORATED, "utils.py": PLAIN})
    assert hydra_main_file(directory) == directory / "train.py"


def test_the_only_decorated_file_is_found_however_hydra_main_is_imported(tmp_path: Path) -> None:
    directory = _write(tmp_path, {"run.py": DECORATED_BY_NAME, "train.py": PLAIN, "broken.py": "def (:\n"})
    assert hydra_main_file(directory) == directory / "run.py"


def test_no_or_several_decorated_files_is_a_target_error(tmp_path: Path) -> None:
    empty = _write(tmp_path / "empty", {"utils.py": PLAIN})
    with pytest.raises(TargetError, match="has no Python file with a @hydra.main"):
        hydra_main_file(empty)
    several = _write(tmp_path / "several", {"a.py": DECORATED, "b.py": DECORATED})
    with pytest.raises(TargetError, match="several Python files with a @hydra.main: a.py, b.py") as info:
        hydra_main_file(several)
    assert info.value.fix == f"name one: {several / 'a.py'}"


@pytest.mark.parametrize("args, expected", [
    (["experiments/001-x", "lr=0.5", "--cfg", "job"], "lr: 0.5"),
    (["experiments/001-x/", "lr=0.25"], "{'lr': 0.25}"),
])
def test_run_a_directory_with_overrides(project: Project, args: list[str], expected: str) -> None:
    project.write({
        "experiments/001-x/config.yaml": "lr: 0.1\nhydra:\n  output_subdir: null\n  run:\n    dir: .\n",
        "experiments/001-x/app.py": DECORATED,
    })
    r = project.cli("run", *args)
    assert r.code == 0, r.err
    assert r.out.strip() == expected


def test_a_package_named_as_a_module_is_still_imported_as_one(project: Project) -> None:
    project.write({"pkg/__init__.py": DECORATED, "pkg/config.yaml": "a: 1\n"})
    r = project.cli("run", "pkg", "--cfg", "job")
    assert r.code == 0, r.err
    assert r.out.strip() == "a: 1"


def test_run_a_directory_without_an_entry_point_exits_2(project: Project) -> None:
    project.write({"experiments/001-x/utils.py": PLAIN})
    r = project.cli("run", "experiments/001-x")
    assert r.code == 2
    assert "directory 'experiments/001-x' has no Python file with a @hydra.main" in r.err
    assert "Traceback" not in r.err
