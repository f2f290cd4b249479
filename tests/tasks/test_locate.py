"""A TARGET whose own imports fail is a TargetError naming the import and the fix, not a traceback."""

from __future__ import annotations

import sys
import textwrap

import pytest

from hydra_runner._install import install_command
from tests.conftest import SEED_000, Project

TRAIN_PY = textwrap.dedent(SEED_000["src/train.py"]).lstrip("\n")


@pytest.fixture
def seed(project: Project) -> Project:
    return project.write(SEED_000)


@pytest.mark.parametrize("target", ["src.train", "src/train.py", "src.train:run"])
def test_a_library_that_is_not_installed_names_the_import_and_how_to_install_it(seed: Project, target: str) -> None:
    seed.write({"src/train.py": "import segmentation_toolkit\n" + TRAIN_PY})
    r = seed.cli("run", target)
    assert r.code == 2 and "Traceback" not in r.err
    module = target.partition(":")[0]
    assert r.err.startswith(f"error: {module} could not be imported: No module named 'segmentation_toolkit'\n")
    assert "  src/train.py:1: import segmentation_toolkit\n" in r.err
    assert (f"fix: install segmentation_toolkit into the environment the task runs in: "
            f"{install_command('segmentation_toolkit')}, or add it to the project's dependencies") in r.err


def test_verbose_shows_the_traceback(seed: Project) -> None:
    seed.write({"src/train.py": "import segmentation_toolkit\n" + TRAIN_PY})
    r = seed.cli("run", "src.train", "--verbose")
    assert r.code == 2
    assert "Traceback" in r.err and "could not be imported" in r.err


def test_the_failing_import_is_found_in_the_module_the_target_imports(seed: Project) -> None:
    seed.write({"src/model.py": "x = 1\nimport cv2\n", "src/train.py": "from src import model\n" + TRAIN_PY})
    r = seed.cli("run", "src.train")
    assert r.code == 2
    assert "error: src.train could not be imported: No module named 'cv2'" in r.err
    assert "  src/model.py:2: import cv2\n" in r.err
    # cv2 is installed as opencv-python.
    assert f"{sys.executable} -m pip install opencv-python," in r.err


def test_a_module_beside_the_file_says_to_name_the_file(seed: Project) -> None:
    seed.write({"src/model.py": "x = 1\n", "src/train.py": "import model\n" + TRAIN_PY})
    r = seed.cli("run", "src.train")
    assert r.code == 2
    assert "No module named 'model'" in r.err and "pip install" not in r.err
    assert "fix: 'model' is beside src/train.py: name the file as TARGET (src/train.py)" in r.err
    r = seed.cli("run", "src/train.py")
    assert r.code == 0, r.err


def test_a_misspelled_project_module_says_to_correct_the_import(seed: Project) -> None:
    seed.write({"src/model.py": "x = 1\n", "src/train.py": "import src.modle\n" + TRAIN_PY})
    r = seed.cli("run", "src.train")
    assert r.code == 2
    assert "fix: the project has no 'src.modle': correct the import at src/train.py:1" in r.err


def test_a_name_the_installed_library_lacks_says_to_check_the_version(seed: Project) -> None:
    seed.write({"src/train.py": "from omegaconf import NoSuchThing\n" + TRAIN_PY})
    r = seed.cli("run", "src.train")
    assert r.code == 2 and "Traceback" not in r.err
    assert "error: src.train could not be imported: cannot import name 'NoSuchThing' from 'omegaconf'" in r.err
    assert "fix: check the import at src/train.py:1: the installed package may be another version" in r.err


def test_a_target_named_like_the_missing_module_is_still_about_the_import(project: Project) -> None:
    # `s` is a prefix of `src`, but src.train exists: the missing module is what it imports.
    project.write({**SEED_000, "src/train.py": "import s\n" + TRAIN_PY})
    r = project.cli("run", "src.train")
    assert r.code == 2
    assert "src.train could not be imported: No module named 's'" in r.err


def test_a_jobs_own_import_error_stays_a_task_failure(seed: Project) -> None:
    seed.write({"src/train.py": TRAIN_PY.replace('print(f"lr=', 'import segmentation_toolkit\n    print(f"lr=')})
    r = seed.cli("run", "src.train")
    assert r.code == 1
    assert "could not be imported" not in r.err and "fix:" not in r.err
    assert "Traceback" in r.err and "ModuleNotFoundError: No module named 'segmentation_toolkit'" in r.err
    assert 'src/train.py", line 7, in run' in r.err
