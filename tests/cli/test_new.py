"""``hydra-runner new``: the experiment guide's examples as a new user types them, through real subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Project

EXPERIMENT = "experiments/002-larger-model"


def _files(root: Path) -> dict[str, bytes]:
    # Python's own bytecode caches are not the task's doing.
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def larger_model(project: Project) -> Project:
    """Example 1's first steps: a baseline, then experiment 002-larger-model started from it."""
    first = project.cli("new", "experiment", "baseline")
    assert first.code == 0, first.err
    second = project.cli("new", "experiment", "larger-model", "--from", "001")
    assert second.code == 0, second.err
    return project


def test_new_experiment_prints_the_files_and_what_to_run(project: Project) -> None:
    r = project.cli("new", "experiment", "baseline")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "created experiments/001-baseline/",
        "created experiments/001-baseline/config.yaml",
        "created experiments/001-baseline/train.py",
        "created experiments/001-baseline/exp/001.yaml",
        "next:",
        "  hydra-runner run experiments/001-baseline --cfg job exp=001",
        "  hydra-runner run experiments/001-baseline exp=001",
    ]


def test_example_start_experiment_002_from_001_check_and_run_it(larger_model: Project) -> None:
    train = (larger_model.root / EXPERIMENT / "train.py").read_text()
    assert 'output_dir: str = "output/002-larger-model"' in train and "001-baseline" not in train
    before = _files(larger_model.root)

    check = larger_model.cli("run", EXPERIMENT, "--cfg", "job", "exp=001")
    assert check.code == 0, check.err
    assert yaml.safe_load(check.out) == {
        "exp": {"name": "001-larger-model", "seed": 42, "learning_rate": 2e-5, "batch_size": 16},
        "env": {"base_model": "/workspace/models/Model", "output_dir": "output/002-larger-model",
                "model_output_dir": "/workspace/output/002-larger-model"},
    }
    run = larger_model.cli("run", EXPERIMENT, "exp=001")
    assert run.code == 0, run.err
    assert yaml.safe_load(run.out) == yaml.safe_load(check.out)
    # run.dir: ., output_subdir: null, job_logging: none: no outputs/, .hydra/ nor log file.
    assert _files(larger_model.root) == before


def test_example_learning_rate_variant(larger_model: Project) -> None:
    r = larger_model.cli("new", "exp", "002", "learning_rate=1e-5")
    assert r.code == 0, r.err
    assert "created experiments/002-larger-model/exp/002.yaml" in r.out
    assert "hydra-runner run experiments/002-larger-model exp=002" in r.out
    assert (larger_model.root / EXPERIMENT / "exp" / "002.yaml").read_text() == (
        'defaults:\n- default@_here_    # the dataclass defaults in train.py\n\nname: "002"\nlearning_rate: 1.0e-05\n'
    )
    run = larger_model.cli("run", EXPERIMENT, "exp=002")
    assert run.code == 0, run.err
    assert yaml.safe_load(run.out)["exp"] == {"name": "002", "seed": 42, "learning_rate": 1e-5, "batch_size": 16}


def test_example_same_experiment_on_the_local_machine(larger_model: Project) -> None:
    r = larger_model.cli("new", "env", "002", "local", "base_model=Qwen/Qwen3-4B-Instruct-2507",
                         "model_output_dir=output/002-larger-model")
    assert r.code == 0, r.err
    assert "created experiments/002-larger-model/env/local.yaml" in r.out
    assert "hydra-runner run experiments/002-larger-model exp=001 env=local" in r.out
    run = larger_model.cli("run", EXPERIMENT, "exp=001", "env=local")
    assert run.code == 0, run.err
    assert yaml.safe_load(run.out)["env"] == {
        "base_model": "Qwen/Qwen3-4B-Instruct-2507", "output_dir": "output/002-larger-model",
        "model_output_dir": "output/002-larger-model",
    }


def test_exp_named_by_path_or_name_with_a_name_of_its_own(larger_model: Project) -> None:
    r = larger_model.cli("new", "exp", EXPERIMENT, "--name", "smaller-lr", "learning_rate=1e-6")
    assert r.code == 0, r.err
    r = larger_model.cli("new", "exp", "larger-model", "seed=7")
    assert r.code == 0, r.err
    exp = larger_model.root / EXPERIMENT / "exp"
    assert 'name: "002-smaller-lr"' in (exp / "002.yaml").read_text()
    assert "seed: 7" in (exp / "003.yaml").read_text()


@pytest.mark.parametrize("args, words", [
    (["new", "exp", "002", "batch_size=abc"],
     ["'batch_size=abc'", "ExpConfig.batch_size", "declared int", "valid keys: name, seed, learning_rate, batch_size"]),
    (["new", "exp", "002", "learning_rate=1e-5", "lr=1e-5"],
     ["ExpConfig", "no field 'lr'", "valid keys: name, seed, learning_rate, batch_size"]),
    (["new", "env", "002", "local", "batch_size=8"],
     ["EnvConfig", "no field 'batch_size'", "valid keys: base_model, output_dir, model_output_dir"]),
    (["new", "env", "002", "local", "base_model=[1,2]"], ["EnvConfig.base_model", "declared str"]),
    (["new", "exp", "009", "seed=1"], ["no experiment '009'", "001-baseline, 002-larger-model"]),
    (["new", "experiment", "002-other"], ["number 002 is taken by experiments/002-larger-model"]),
    (["new", "experiment", "other", "--from", "003"], ["no experiment '003'"]),
])
def test_bad_input_exits_2_and_writes_nothing(larger_model: Project, args: list[str], words: list[str]) -> None:
    before = _files(larger_model.root)
    r = larger_model.cli(*args)
    assert r.code == 2, r.out + r.err
    assert "Traceback" not in r.err
    for word in words:
        assert word in r.err
    assert _files(larger_model.root) == before
    assert sorted(p.name for p in (larger_model.root / "experiments").iterdir()) == ["001-baseline", "002-larger-model"]


def test_an_existing_env_file_is_never_overwritten(larger_model: Project) -> None:
    assert larger_model.cli("new", "env", "002", "local", "base_model=a").code == 0
    before = _files(larger_model.root)
    r = larger_model.cli("new", "env", "002", "local", "base_model=b")
    assert r.code == 2
    assert "env/local.yaml' already exists; nothing was written" in r.err
    assert _files(larger_model.root) == before


def test_root_option_places_experiments_elsewhere(project: Project) -> None:
    r = project.cli("new", "experiment", "baseline", "--root", "proj")
    assert r.code == 0, r.err
    r = project.cli("new", "exp", "baseline", "seed=3", "--root", "proj")
    assert r.code == 0, r.err
    assert "created proj/experiments/001-baseline/exp/002.yaml" in r.out
    assert (project.root / "proj" / "experiments" / "001-baseline" / "exp" / "002.yaml").is_file()
