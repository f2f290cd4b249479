"""A plain task function: no @hydra.main; its config is named on the command line.

    hydra-runner run tasks:fit --config-path conf --config-name train
"""

from omegaconf import DictConfig


def fit(cfg: DictConfig) -> float:
    return cfg.lr * cfg.epochs
