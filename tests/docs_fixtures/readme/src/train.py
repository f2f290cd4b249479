"""A stand-in for a training job: its "loss" comes from the config, at once."""

import math

import hydra
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float:
    loss = abs(math.log10(cfg.optimizer.lr) + 2) + cfg.model.depth / 100 + (cfg.seed % 7) / 1000
    print(f"model={cfg.model.name} lr={cfg.optimizer.lr} loss={loss:.4f}")
    return loss


if __name__ == "__main__":
    main()
