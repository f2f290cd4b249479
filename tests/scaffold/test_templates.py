from __future__ import annotations

import ast

import yaml
from omegaconf import OmegaConf

from hydra_runner.scaffold.templates import config_yaml, diff_yaml, train_py


def test_config_yaml_is_only_defaults_and_hydra_settings() -> None:
    text = config_yaml("002-larger-model")
    assert text.startswith("# Check the config:")
    assert "hydra-runner run experiments/002-larger-model exp=001" in text
    assert yaml.safe_load(text) == {
        "defaults": ["_self_", {"exp": "default"}, {"env": "default"}, {"override hydra/job_logging": "none"}],
        "hydra": {"output_subdir": None, "job": {"chdir": False}, "run": {"dir": "."}},
    }


def _dataclass_fields(tree: ast.Module, name: str) -> dict[str, str]:
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
    return {
        stmt.target.id: ast.literal_eval(stmt.value)  # type: ignore[union-attr, arg-type]
        for stmt in cls.body if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Constant)
    }


def test_train_py_dataclasses_hold_the_defaults_named_after_the_experiment() -> None:
    tree = ast.parse(train_py("002-larger-model"))
    assert _dataclass_fields(tree, "ExpConfig") == {
        "name": "default", "seed": 42, "learning_rate": 2e-5, "batch_size": 16,
    }
    assert _dataclass_fields(tree, "EnvConfig") == {
        "base_model": "/workspace/models/Model",
        "output_dir": "output/002-larger-model",
        "model_output_dir": "/workspace/output/002-larger-model",
    }
    source = ast.unparse(tree)
    assert "@hydra.main(version_base=None, config_path='.', config_name='config')" in source
    assert "cs.store(name='default', group='exp', node=ExpConfig)" in source
    assert "cs.store(name='default', group='env', node=EnvConfig)" in source


def test_diff_yaml_reads_back_as_written() -> None:
    text = diff_yaml({"learning_rate": 1e-5, "fold": [0, 1]}, name="002")
    assert text.startswith("defaults:\n- default@_here_")
    assert 'name: "002"' in text
    assert OmegaConf.to_container(OmegaConf.create(text)) == {
        "defaults": ["default@_here_"], "name": "002", "learning_rate": 1e-5, "fold": [0, 1],
    }
    assert OmegaConf.to_container(OmegaConf.create(diff_yaml({}))) == {"defaults": ["default@_here_"]}
