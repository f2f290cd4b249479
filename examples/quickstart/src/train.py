"""A tiny, deterministic "training" job configured with Hydra.

Fits y = slope * x + intercept with full-batch gradient descent, in pure
Python, using the model and optimizer picked from the config groups in
``conf/``. Returns the final mean squared error, so sweepers can minimise it.

Run from ``examples/quickstart``::

    hydra-runner run src.train
    python -m src.train optimizer=adam
"""

from __future__ import annotations

import json
import logging
import math
import random
from pathlib import Path
from typing import Callable

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

# A model maps (params, x) to (prediction, d prediction / d params).
Model = Callable[[list[float], float], tuple[float, list[float]]]


def make_data(cfg: DictConfig) -> list[tuple[float, float]]:
    """Evenly spaced x in [-1, 1] and y = slope * x + intercept (+ noise)."""
    rng = random.Random(cfg.seed)
    n = int(cfg.data.n_samples)
    xs = [-1.0 + 2.0 * i / (n - 1) for i in range(n)]
    return [
        (x, cfg.data.slope * x + cfg.data.intercept + rng.gauss(0.0, cfg.data.noise))
        for x in xs
    ]


def linear(params: list[float], x: float) -> tuple[float, list[float]]:
    w, b = params
    return w * x + b, [x, 1.0]


def make_mlp(hidden: int) -> Model:
    """One hidden tanh layer: y = sum_j v_j * tanh(a_j * x + c_j) + d."""

    def mlp(params: list[float], x: float) -> tuple[float, list[float]]:
        a, c, v = params[:hidden], params[hidden : 2 * hidden], params[2 * hidden : 3 * hidden]
        h = [math.tanh(a[j] * x + c[j]) for j in range(hidden)]
        y = sum(v[j] * h[j] for j in range(hidden)) + params[-1]
        dpre = [v[j] * (1.0 - h[j] * h[j]) for j in range(hidden)]
        return y, [d * x for d in dpre] + dpre + h + [1.0]

    return mlp


def build_model(cfg: DictConfig) -> tuple[Model, list[float]]:
    rng = random.Random(cfg.seed)
    if cfg.model.name == "linear":
        model, n_params = linear, 2
    elif cfg.model.name == "mlp":
        model, n_params = make_mlp(int(cfg.model.hidden)), 3 * int(cfg.model.hidden) + 1
    else:
        raise ValueError(f"unknown model: {cfg.model.name!r}")
    scale = float(cfg.model.init_scale)
    return model, [rng.uniform(-scale, scale) for _ in range(n_params)]


def make_optimizer(cfg: DictConfig, n_params: int) -> Callable[[list[float], list[float]], None]:
    """Return ``step(params, grads)`` which updates ``params`` in place."""
    opt = cfg.optimizer
    lr = float(opt.lr)
    if opt.name == "sgd":
        velocity = [0.0] * n_params

        def sgd(params: list[float], grads: list[float]) -> None:
            for i, g in enumerate(grads):
                velocity[i] = opt.momentum * velocity[i] + g
                params[i] -= lr * velocity[i]

        return sgd
    if opt.name == "adam":
        b1, b2, eps = float(opt.beta1), float(opt.beta2), float(opt.eps)
        m, v, t = [0.0] * n_params, [0.0] * n_params, [0]

        def adam(params: list[float], grads: list[float]) -> None:
            t[0] += 1
            for i, g in enumerate(grads):
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                m_hat, v_hat = m[i] / (1 - b1 ** t[0]), v[i] / (1 - b2 ** t[0])
                params[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)

        return adam
    raise ValueError(f"unknown optimizer: {opt.name!r}")


def loss_and_grads(
    model: Model, params: list[float], data: list[tuple[float, float]]
) -> tuple[float, list[float]]:
    """Mean squared error over ``data`` and its gradient w.r.t. ``params``."""
    loss, grads = 0.0, [0.0] * len(params)
    for x, y in data:
        pred, dpred = model(params, x)
        err = pred - y
        loss += err * err
        for i, d in enumerate(dpred):
            grads[i] += 2.0 * err * d
    n = len(data)
    return loss / n, [g / n for g in grads]


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float:
    log.info(
        "model=%s optimizer=%s lr=%s epochs=%s",
        cfg.model.name, cfg.optimizer.name, cfg.optimizer.lr, cfg.epochs,
    )
    data = make_data(cfg)
    model, params = build_model(cfg)
    step = make_optimizer(cfg, len(params))

    loss = math.inf
    for epoch in range(1, int(cfg.epochs) + 1):
        loss, grads = loss_and_grads(model, params, data)
        step(params, grads)
        if epoch % int(cfg.log_every) == 0 or epoch == 1:
            log.info("epoch %4d  loss %.6f", epoch, loss)
    loss, _ = loss_and_grads(model, params, data)
    log.info("final loss %.6f", loss)

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    config = OmegaConf.to_container(cfg, resolve=True)
    metrics = {"loss": loss, "params": params, "config": config}
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return float(loss)


if __name__ == "__main__":
    main()
