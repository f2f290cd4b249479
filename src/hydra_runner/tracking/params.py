"""A job's config as MLflow params: flattened, cleaned to MLflow's limits, secrets masked."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Optional

__all__ = ["MASK", "flatten_params", "override_tags", "param_batches", "run_name"]

MASK = "***"
#: MLflow's limits (mlflow.utils.validation): key length, value length, params per batch.
MAX_KEY_LENGTH = 250
MAX_VALUE_LENGTH = 6000
MAX_PER_BATCH = 100
_TRUNCATED = "...[truncated]"
_SECRET = re.compile(r"password|passwd|token|secret|api[_-]?key|credentials?", re.IGNORECASE)
_NOT_ALLOWED = re.compile(r"[^\w\-. /:]")


def flatten_params(config: Any) -> dict[str, str]:
    """``config`` (a DictConfig or plain containers, resolved) as ``{"a.b.0": "value"}``.

    Keys become MLflow-safe (other characters turn into ``_``); values longer than MLflow
    accepts are cut with a marker; anything under a key that looks secret is ``***``.
    """
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(config, (DictConfig, ListConfig)):
        config = OmegaConf.to_container(config, resolve=True, throw_on_missing=False)
    params: dict[str, str] = {}
    for key, value, secret in _leaves(config, "", False):
        text = MASK if secret else _text(value)
        if len(text) > MAX_VALUE_LENGTH:
            text = text[: MAX_VALUE_LENGTH - len(_TRUNCATED)] + _TRUNCATED
        params[_NOT_ALLOWED.sub("_", key)[:MAX_KEY_LENGTH]] = text
    return params


def override_tags(overrides: Sequence[str]) -> dict[str, str]:
    """A job's overrides as tags (``override.lr = 0.1``), so runs group by them."""
    from hydra.core.utils import filter_overrides

    lines = filter_overrides(list(overrides))
    tags = {"overrides": " ".join(lines)[:5000]}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            tags[f"override.{key.lstrip('+~')}"[:MAX_KEY_LENGTH]] = value[:5000]
    return tags


def run_name(num: Optional[int], overrides: Sequence[str]) -> str:
    """``#3 lr=0.1 model=vit`` for a sweep's job; the overrides (or ``run``) for a single run."""
    from hydra.core.utils import filter_overrides

    text = " ".join(filter_overrides(list(overrides)))
    return (f"#{num} {text}" if num is not None else text or "run")[:MAX_KEY_LENGTH]


def param_batches(params: Mapping[str, str]) -> Iterator[list[tuple[str, str]]]:
    items = list(params.items())
    for start in range(0, len(items), MAX_PER_BATCH):
        yield items[start: start + MAX_PER_BATCH]


def _leaves(node: Any, prefix: str, secret: bool) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _leaves(value, name, secret or bool(_SECRET.search(str(key))))
    elif isinstance(node, Sequence) and not isinstance(node, (str, bytes)) and node:
        for index, value in enumerate(node):
            yield from _leaves(value, f"{prefix}.{index}" if prefix else str(index), secret)
    elif prefix:
        yield prefix, node, secret


def _text(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (Mapping, Sequence)) and not isinstance(value, str):
        return "{}" if isinstance(value, Mapping) else "[]"
    return str(value)
