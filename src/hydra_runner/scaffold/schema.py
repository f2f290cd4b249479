"""An experiment's ``ExpConfig`` / ``EnvConfig`` dataclasses, and ``key=value`` checked against them.

``train.py`` is imported under a module name of its own, so its ``if __name__ == "__main__"``
block does not run. Values are read by Hydra's override parser (the grammar of the command
line) and checked by OmegaConf merging them into the structured config, as composition will.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import re
import sys
import typing
from pathlib import Path
from typing import Any, Sequence

from hydra_runner.errors import TargetError, UsageError

__all__ = ["checked_values", "config_dataclass"]


def _load_module(entry: Path, root: Path) -> Any:
    module_name = "_hydra_runner_experiment_" + re.sub(r"\W", "_", str(entry.resolve().with_suffix("")))
    spec = importlib.util.spec_from_file_location(module_name, entry)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot import '{entry}' as Python code", fix="check the file")
    from hydra.core.config_store import ConfigStore

    module = importlib.util.module_from_spec(spec)
    # As when it runs: its directory and the project root are importable.
    saved_path = list(sys.path)
    sys.path[:0] = [str(entry.parent.resolve()), str(root.resolve())]
    sys.modules[module_name] = module
    # Its cs.store(...) calls must not change the ConfigStore of the process asking.
    store = ConfigStore.instance()
    saved_repo = _copy_groups(store.repo)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(module_name, None)
        raise TargetError(f"importing '{entry}' failed: {type(e).__name__}: {e}",
                          fix="fix the file so that it imports (see --verbose for the traceback)") from e
    finally:
        sys.path[:] = saved_path
        store.repo = saved_repo
    return module


def _copy_groups(repo: dict[str, Any]) -> dict[str, Any]:
    return {key: _copy_groups(value) if isinstance(value, dict) else value for key, value in repo.items()}


def config_dataclass(entry: Path, class_name: str, root: Path) -> type:
    """The dataclass ``class_name`` defined by the experiment file ``entry``."""
    cls = getattr(_load_module(entry, root), class_name, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise UsageError(f"'{entry}' defines no dataclass {class_name}",
                         fix=f"define @dataclass class {class_name} there; its fields are what the yaml may set")
    return cls


def _field_type(cls: type, dotted_key: str) -> str:
    """How the dataclass field at ``dotted_key`` is declared (``int``, ``Optional[str]``)."""
    declared: Any = cls
    for part in dotted_key.split("."):
        if not dataclasses.is_dataclass(declared):
            return "?"
        try:
            hints = typing.get_type_hints(declared)
        except Exception:  # unresolvable annotations: fall back to their text
            hints = {f.name: f.type for f in dataclasses.fields(declared)}
        declared = hints.get(part, "?")
    return declared.__name__ if isinstance(declared, type) else str(declared).replace("typing.", "")


def _plain_assignments(assignments: Sequence[str]) -> list[Any]:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType
    from hydra.errors import OverrideParseException

    try:
        overrides = OverridesParser.create().parse_overrides(list(assignments))
    except OverrideParseException as e:
        raise UsageError(f"cannot read {' '.join(assignments)}: {e}",
                         fix="write key=value, e.g. learning_rate=1e-5; quote a value with spaces: 'name=\"a b\"'") from None
    for override in overrides:
        if override.type != OverrideType.CHANGE or override.package or override.is_sweep_override():
            raise UsageError(f"'{override.input_line}': a yaml diff takes one plain key=value",
                             fix="leave out +, ++, ~ and @package, and give one value (sweeps: hydra-runner multirun)")
    return overrides


def checked_values(cls: type, assignments: Sequence[str], *, source: str) -> dict[str, Any]:
    """``key=value`` strings as a nested dict, after OmegaConf accepted each into ``cls``.

    An unknown key or a value of the wrong type is a :class:`UsageError` naming the key, the
    field's declared type and the valid keys.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    schema = OmegaConf.structured(cls)
    valid = ", ".join(f.name for f in dataclasses.fields(cls))
    keys = []
    for override in _plain_assignments(assignments):
        key = override.key_or_group
        try:
            OmegaConf.update(schema, key, override.value(), merge=True)
        except (ConfigAttributeError, ConfigKeyError) as e:
            close = difflib.get_close_matches(key, [f.name for f in dataclasses.fields(cls)], n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            where = f" ({str(e).splitlines()[0]})" if "." in key else ""
            raise UsageError(f"{cls.__name__} in {source} has no field '{key}'{where}; nothing was written",
                             fix=f"{hint}valid keys: {valid} (or add the field to {cls.__name__} first)") from None
        except ValidationError as e:
            declared = _field_type(cls, key)
            raise UsageError(
                f"'{override.input_line}': {cls.__name__}.{key} in {source} is declared {declared}: "
                f"{str(e).splitlines()[0]}; nothing was written",
                fix=f"give {key} a value of type {declared}; valid keys: {valid}",
            ) from None
        keys.append(key)
    checked = OmegaConf.to_container(schema, resolve=False)
    diff = OmegaConf.create()
    for key in keys:
        value: Any = checked
        for part in key.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
        OmegaConf.update(diff, key, value, merge=False)
    return OmegaConf.to_container(diff, resolve=False)  # type: ignore[return-value]
