"""Entry point laid out as template projects have it: configs in ../configs, outputs under logs/."""

import logging
import math
import os
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

# What a root-finding helper does in such projects: paths/default.yaml reads the root from here.
os.environ.setdefault("PROJECT_ROOT", str(Path(__file__).resolve().parents[1]))

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict:
    """A stand-in for fitting the model: metrics that depend smoothly on the hyperparameters."""
    lr = float(cfg.model.optimizer.lr)
    batch = int(cfg.data.batch_size)
    hidden = int(cfg.model.net.hidden_size)
    loss = (math.log10(lr) + 2.0) ** 2 + abs(batch - 64) / 256 + abs(hidden - 64) / 512
    log.info("trained %s on %s: loss=%.4f", cfg.model.net._target_, cfg.data._target_, loss)
    return {"val/loss": loss, "val/acc": 1.0 / (1.0 + loss)}


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    if cfg.extras.print_config:
        log.info("config:\n%s", OmegaConf.to_yaml(cfg, resolve=False))
    metrics = train(cfg)
    return metrics.get(cfg.get("optimized_metric")) if cfg.get("optimized_metric") else None


if __name__ == "__main__":
    main()
