from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hydra_runner.errors import UsageError
from hydra_runner.scaffold import new_env, new_exp, new_experiment


@pytest.fixture
def root(tmp_path: Path) -> Path:
    new_experiment("larger-model", root=tmp_path)
    return tmp_path


def _yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return OmegaConf.to_container(OmegaConf.load(path))  # type: ignore[return-value]


def test_exp_files_are_numbered_and_named(root: Path) -> None:
    exp = root / "experiments" / "001-larger-model" / "exp"
    assert new_exp("001", ["learning_rate=1e-5"], root=root) == [exp / "002.yaml"]
    assert _yaml(exp / "002.yaml") == {"defaults": ["default@_here_"], "name": "002", "learning_rate": 1e-5}
    assert new_exp("larger-model", ["batch_size=8"], name="small-batch", root=root) == [exp / "003.yaml"]
    assert _yaml(exp / "003.yaml")["name"] == "003-small-batch"


def test_name_is_given_with_the_name_option(root: Path) -> None:
    with pytest.raises(UsageError, match="--name"):
        new_exp("001", ["name=foo"], root=root)
    assert sorted(p.name for p in (root / "experiments" / "001-larger-model" / "exp").iterdir()) == ["001.yaml"]


def test_an_exp_config_without_name_gets_no_name_line(tmp_path: Path) -> None:
    directory = tmp_path / "experiments" / "001-plain"
    directory.mkdir(parents=True)
    (directory / "run.py").write_text(
        "from dataclasses import dataclass\nimport hydra\n"
        "@dataclass\nclass ExpConfig:\n    seed: int = 0\n"
        "@hydra.main(version_base=None, config_path='.', config_name='config')\ndef main(cfg):\n    pass\n"
    )
    [path] = new_exp("plain", ["seed=3"], root=tmp_path)
    assert _yaml(path) == {"defaults": ["default@_here_"], "seed": 3}


def test_env_files_are_checked_against_env_config(root: Path) -> None:
    [path] = new_env("001", "local", ["base_model=Qwen/Qwen3-4B-Instruct-2507"], root=root)
    assert path == root / "experiments" / "001-larger-model" / "env" / "local.yaml"
    assert _yaml(path) == {"defaults": ["default@_here_"], "base_model": "Qwen/Qwen3-4B-Instruct-2507"}
    with pytest.raises(UsageError, match="EnvConfig in .* has no field 'learning_rate'"):
        new_env("001", "runpod", ["learning_rate=1e-5"], root=root)
    assert not path.with_name("runpod.yaml").exists()


def test_env_never_overwrites_nor_shadows_the_default(root: Path) -> None:
    [path] = new_env("001", "local", root=root)
    path.write_text("# edited\n")
    with pytest.raises(UsageError, match="already exists; nothing was written"):
        new_env("001", "local", ["base_model=x"], root=root)
    assert path.read_text() == "# edited\n"
    with pytest.raises(UsageError, match="would clash"):
        new_env("001", "default", root=root)
    assert not path.with_name("default.yaml").exists()
