"""Structured configs: what a dataclass (or attrs class) declares, and a config file (exp/009.yaml) that breaks it."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import typing
from typing import Any, Optional, Sequence

from hydra_runner.diagnose._messages import (
    closest,
    display_path,
    full_message,
    node_error,
    yaml_scalar,
)
from hydra_runner.errors import ConfigError


def field_names(owner: Any) -> Optional[list[str]]:
    """The fields of a structured config's class (a dataclass or an attrs class); None for a plain dict."""
    if isinstance(owner, type) and dataclasses.is_dataclass(owner):
        return [f.name for f in dataclasses.fields(owner)]
    attributes = getattr(owner, "__attrs_attrs__", None)
    return [a.name for a in attributes] if attributes is not None else None


def fields_fix(owner: type, fields: list[str], name: str, *, beside: str, then: str = "", otherwise: str = "") -> str:
    """The field closest to ``name``, as the key beside ``beside`` (``exp.lr`` -> ``exp.learning_rate``), and all."""
    listing = f"{owner.__name__} fields: {', '.join(fields)}"
    close = closest(name, fields)
    if close:
        parent = beside.rpartition(".")[0]
        return f"did you mean {parent + '.' if parent else ''}{close}? {then}{listing}"
    source = source_file(owner)
    return f"{otherwise}{listing}; a new setting needs a field in {owner.__name__}" + (f" ({source})" if source else "")


def source_file(owner: type) -> Optional[str]:
    try:
        path = inspect.getsourcefile(owner)
    except (TypeError, OSError):
        return None
    return display_path(path) if path is not None else None


def _declared_type(owner: type, name: str) -> str:
    try:
        declared: Any = typing.get_type_hints(owner).get(name, "?")
    except Exception:  # annotations that do not resolve: their text
        declared = getattr(owner, "__annotations__", {}).get(name, "?")
    return declared.__name__ if isinstance(declared, type) else str(declared).replace("typing.", "")


def bad_value_in_config(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """A config file sets a key its dataclass has no field for, or a value of the wrong type."""
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    from hydra_runner._compat import config_being_merged

    m = re.match(r"In '([^']+)': \w+ raised while composing config:", str(exc))
    cause = node_error(exc)
    owner = getattr(cause, "object_type", None)
    fields = field_names(owner)
    if not m or fields is None or not isinstance(cause, (ConfigAttributeError, ConfigKeyError, ValidationError)):
        return None
    config_path = m.group(1)
    default, loaded = config_being_merged(exc)
    package = default.package if default is not None else config_path.rpartition("/")[0].replace("/", ".")
    full_key = str(cause.full_key)
    written = full_key[len(package) + 1:] if package and full_key.startswith(package + ".") else full_key
    source = getattr(loaded, "path", "")
    config = f"the ConfigStore's '{config_path}'" if source.startswith("structured://") else f"{config_path}.yaml"
    file = display_path(os.path.join(source[len("file://"):], f"{config_path}.yaml")) \
        if source.startswith("file://") else config
    name = str(cause.key)
    if isinstance(cause, ValidationError):
        declared = _declared_type(owner, name)
        return ConfigError(
            f"{config} sets {written}: {yaml_scalar(cause.value)}, but {owner.__name__}.{name} is {declared}",
            detail=full_message(exc),
            fix=f"give {written} a value of type {declared} in {file}",
        )
    return ConfigError(
        f"{config} sets {written}, which {owner.__name__} has no field for",
        detail=full_message(exc),
        fix=fields_fix(owner, fields, name, beside=written,
                       then=f"correct {written} in {file}; ", otherwise=f"remove {written} from {file}; "),
    )
