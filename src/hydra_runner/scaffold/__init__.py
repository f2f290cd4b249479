"""New experiments and their parameter sets, laid out as Hydra experiments are kept:

    experiments/NNN-name/
      config.yaml      defaults list (exp: default, env: default) and Hydra settings, no values
      train.py         ExpConfig / EnvConfig dataclasses (the defaults) and the @hydra.main
      exp/NNN.yaml     parameter sets: diffs from ExpConfig (defaults: [default@_here_])
      env/NAME.yaml    machines: diffs from EnvConfig

Every function returns the paths it created and never replaces an existing file.
"""

from __future__ import annotations

from hydra_runner.scaffold.diffs import new_env, new_exp
from hydra_runner.scaffold.experiment import new_experiment

__all__ = ["new_env", "new_exp", "new_experiment"]
