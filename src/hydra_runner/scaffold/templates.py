"""The files of a new experiment: ``config.yaml``, ``train.py`` and the yaml diffs in ``exp/`` and ``env/``.

The dataclasses in ``train.py`` hold every default; ``config.yaml`` only chooses them and
sets Hydra up to write nothing of its own; a diff names the ConfigStore's ``default`` entry
as its base and lists what differs from it.
"""

from __future__ import annotations

import json
from string import Template
from typing import Any, Optional

__all__ = ["config_yaml", "diff_yaml", "train_py"]

_CONFIG_YAML = Template("""\
# Check the config:     python train.py --cfg job exp=001
# Run a parameter set:  python train.py exp=001
# (from the project root: hydra-runner run experiments/$experiment exp=001)

defaults:
- _self_
- exp: default                       # ExpConfig's defaults in train.py (ConfigStore)
- env: default                       # EnvConfig's defaults in train.py (no yaml)
# - env: local                       # env/local.yaml instead, once there is one
- override hydra/job_logging: none   # no log file from Hydra

hydra:
  output_subdir: null   # no .hydra/ directory
  job:
    chdir: false        # keep the working directory
  run:
    dir: .              # no outputs/DATE/TIME/ directory
""")

_TRAIN_PY = Template('''\
"""Experiment $experiment.

Parameter sets are diffs in exp/NNN.yaml, machines diffs in env/NAME.yaml; the defaults
live only in the dataclasses below (there is no exp/default.yaml nor env/default.yaml).

    python train.py --cfg job exp=001      # check the config
    python train.py exp=001 env=local      # run parameter set 001 on the "local" machine
"""

from dataclasses import dataclass, field

import hydra
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf


@dataclass
class ExpConfig:
    """What changes from one parameter set to the next. Keep it flat."""

    name: str = "default"
    seed: int = 42
    learning_rate: float = 2e-5
    batch_size: int = 16


@dataclass
class EnvConfig:
    """What changes when the same experiment runs on another machine."""

    base_model: str = "/workspace/models/Model"
    output_dir: str = "output/$experiment"
    model_output_dir: str = "/workspace/output/$experiment"


@dataclass
class Config:
    exp: ExpConfig = field(default_factory=ExpConfig)
    env: EnvConfig = field(default_factory=EnvConfig)


# config.yaml's defaults list picks these as exp: default and env: default.
cs = ConfigStore.instance()
cs.store(name="default", group="exp", node=ExpConfig)
cs.store(name="default", group="env", node=EnvConfig)


@hydra.main(version_base=None, config_path=".", config_name="config")
def main(cfg: Config) -> None:
    print(OmegaConf.to_yaml(cfg))
    # Training goes here: cfg.exp.learning_rate, cfg.env.base_model, ...


if __name__ == "__main__":
    main()
''')


def config_yaml(experiment: str) -> str:
    """``config.yaml`` of the experiment directory named ``experiment`` (``002-larger-model``)."""
    return _CONFIG_YAML.substitute(experiment=experiment)


def train_py(experiment: str) -> str:
    """``train.py`` of the experiment directory named ``experiment``."""
    return _TRAIN_PY.substitute(experiment=experiment)


def diff_yaml(values: dict[str, Any], *, name: Optional[str] = None) -> str:
    """An ``exp/`` or ``env/`` file: the ``default`` schema placed here, then ``name`` and ``values``."""
    from omegaconf import OmegaConf

    text = "defaults:\n- default@_here_    # the dataclass defaults in train.py\n"
    if name is not None or values:
        text += "\n"
    if name is not None:
        # JSON strings are YAML double-quoted strings: a name such as 002 stays a string.
        text += f"name: {json.dumps(name, ensure_ascii=False)}\n"
    if values:
        text += OmegaConf.to_yaml(values)
    return text
