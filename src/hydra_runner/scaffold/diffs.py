"""``new_exp`` and ``new_env``: the next ``exp/NNN.yaml`` and a named ``env/NAME.yaml`` of an experiment,
each a diff from the dataclass defaults, its values checked against the dataclass first."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Optional, Sequence, Union

from hydra_runner.errors import UsageError
from hydra_runner.scaffold.layout import resolve_experiment
from hydra_runner.scaffold.numbering import format_number, next_number, numbered_files
from hydra_runner.scaffold.schema import checked_values, config_dataclass
from hydra_runner.scaffold.templates import diff_yaml
from hydra_runner.scaffold.writing import write_new_file

__all__ = ["new_env", "new_exp"]

_ENV_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _experiment_schema(
    experiment: str, root: Union[str, os.PathLike[str], None], class_name: str
) -> tuple[Path, type, str]:
    from hydra_runner.tasks.locate import hydra_main_file

    base = Path(root) if root is not None else Path()
    directory = resolve_experiment(experiment, base)
    entry = hydra_main_file(directory)
    return directory, config_dataclass(entry, class_name, base), str(entry)


def new_exp(
    experiment: str,
    assignments: Sequence[str] = (),
    *,
    name: Optional[str] = None,
    root: Union[str, os.PathLike[str], None] = None,
) -> list[Path]:
    """Add the next parameter set ``exp/NNN.yaml`` to ``experiment`` (a path, ``002``,
    ``002-larger-model`` or ``larger-model`` under ``root/experiments``).

    ``assignments`` (``learning_rate=1e-5``) are checked against the experiment's
    ``ExpConfig``; the file's ``name`` is ``NNN``, or ``NNN-<name>``. Returns the new file.

    >>> new_exp("002", ["learning_rate=1e-5"], name="smaller-lr")  # doctest: +SKIP
    [PosixPath('experiments/002-larger-model/exp/002.yaml')]
    """
    directory, schema, source = _experiment_schema(experiment, root, "ExpConfig")
    values = checked_values(schema, assignments, source=source)
    if "name" in values:
        raise UsageError("the parameter set's name is given with --name", fix="write --name smaller-lr, not name=...")
    number = format_number(next_number(numbered_files(directory / "exp")))
    label = f"{number}-{name}" if name else number
    has_name = any(field.name == "name" for field in dataclasses.fields(schema))
    text = diff_yaml(values, name=label if has_name else None)
    return [write_new_file(directory / "exp" / f"{number}.yaml", text, fix="run the command again for the next number")]


def new_env(
    experiment: str, env_name: str, assignments: Sequence[str] = (), *, root: Union[str, os.PathLike[str], None] = None
) -> list[Path]:
    """Add the machine ``env/<env_name>.yaml`` to ``experiment``, its ``assignments``
    (``base_model=Qwen/Qwen3-4B-Instruct-2507``) checked against the experiment's ``EnvConfig``.

    >>> new_env("002", "local", ["base_model=Qwen/Qwen3-4B-Instruct-2507"])  # doctest: +SKIP
    [PosixPath('experiments/002-larger-model/env/local.yaml')]
    """
    if env_name == "default":
        raise UsageError("'default' is EnvConfig's own defaults (the ConfigStore entry); an env/default.yaml would clash",
                         fix="name the machine: local, runpod, ...")
    if not _ENV_NAME.match(env_name):
        raise UsageError(f"'{env_name}' is not a usable env name", fix="use letters, digits, '_', '-' and '.', e.g. local")
    directory, schema, source = _experiment_schema(experiment, root, "EnvConfig")
    values = checked_values(schema, assignments, source=source)
    path = directory / "env" / f"{env_name}.yaml"
    return [write_new_file(path, diff_yaml(values), fix=f"edit {path}, or choose another name")]
