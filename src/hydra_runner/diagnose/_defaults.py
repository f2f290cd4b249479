"""The configs a defaults list names: a group option, config or primary config that is not there, and YAML that does not parse."""

from __future__ import annotations

import difflib
import os
import re
from typing import Any, Optional, Sequence

from hydra_runner.diagnose._messages import did_you_mean
from hydra_runner.errors import ConfigError

# -- where Hydra looked: the "Config search path:" it appends to a missing-config message ---------


def _search_path(msg: str) -> list[tuple[str, str]]:
    _, found, listing = msg.partition("Config search path:")
    return re.findall(r"provider=([^,]+), path=(\S+)", listing) if found else []


def _main_config_dir(msg: str) -> Optional[str]:
    return next((path[len("file://"):] for provider, path in _search_path(msg)
                 if provider == "main" and path.startswith("file://")), None)


def _looked_in(msg: str, group: str) -> str:
    """The places of the search path where configs of ``group`` would be, in Hydra's order."""
    places = []
    for _provider, path in _search_path(msg):
        if path.startswith("structured://"):
            places.append("the ConfigStore")
        elif path.startswith("file://"):
            places.append(os.path.join(path[len("file://"):], group, ""))
        else:
            places.append(f"{path}/{group}" if group else path)
    return ", ".join(places)


def _group_options(msg: str, group: str) -> list[str]:
    """Configs of ``group`` in the search path's directories and in the ConfigStore."""
    from hydra.core.config_store import ConfigStore

    names = set()
    for _provider, path in _search_path(msg):
        directory = os.path.join(path[len("file://"):], group)
        if path.startswith("file://") and os.path.isdir(directory):
            names.update(name[: -len(".yaml")] for name in os.listdir(directory) if name.endswith(".yaml"))
    node: Any = ConfigStore.instance().repo
    for part in group.split("/") if group else []:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        names.update(name[: -len(".yaml")] for name in node if name.endswith(".yaml"))
    return sorted(names)


def _options_and_places(msg: str, group: str, options: Sequence[str]) -> str:
    return f"options in '{group or '/'}': {', '.join(options) or '(none)'}\nlooked in: {_looked_in(msg, group)}\n{msg}"


# -- the rules -------------------------------------------------------------------------------------


def yaml_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from yaml import MarkedYAMLError

    if not isinstance(exc, MarkedYAMLError) or exc.problem_mark is None:
        return None
    mark = exc.problem_mark
    return ConfigError(
        f"invalid YAML in {mark.name}, line {mark.line + 1}: {exc.problem}",
        detail=str(exc),
        fix="correct the YAML syntax at that line (lists need closing ']', quote strings with ':')",
    )


def defaults_entry_type(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """A defaults list, or a group override, holding something that is not a config's name."""
    msg = str(exc)
    if "Config group override must be a string or a list" in msg:
        odd = [o for o in overrides if o.startswith(("@", "+=", "++=")) or "@=" in o]
        return ConfigError(f"override '{odd[0]}' names no config group" if odd else
                           "a config group override gives a number where an option's name goes",
                           detail=msg, fix="write GROUP=OPTION (for example model=mlp), or KEY=VALUE for a value")
    if "Unsupported type in defaults" in msg or "Invalid defaults list" in msg:
        return ConfigError(msg.splitlines()[0], detail=msg,
                           fix="write the defaults list as YAML list entries: '- model: mlp', '- base_config' "
                               "or '- _self_'")
    return None


def missing_option(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Could not find '([^']+)/([^'/]+)'", msg)
    if not m:
        return None
    group, option = m.groups()
    options = re.findall(r"^\t(\S+)$", msg.partition("Available options")[2], flags=re.M)
    main_dir = _main_config_dir(msg)
    add = f"add {group}/{option}.yaml" + (f" to {main_dir}" if main_dir else "")
    listed = ", ".join(options) if options else "(none)"
    detail = _options_and_places(msg, group, options)
    if not options:
        return ConfigError(
            f"config group '{group}' has no option '{option}' (no options at all: is the config path right?)",
            detail=detail,
            fix=f"{add}, or point --config-path (config_path of @hydra.main) at the directory that holds {group}/",
        )
    close = difflib.get_close_matches(option, options, n=1, cutoff=0.5)
    if close:
        fix = f"did you mean '{close[0]}'? write {group}={close[0]}"
    else:
        fix = f"choose one of {listed} ({group}=<option>), or {add}"
        if main_dir and not os.path.isdir(os.path.join(main_dir, group)):
            fix += f"; {main_dir} has no {group}/ directory: is --config-path (config_path of @hydra.main) right?"
    return ConfigError(f"config group '{group}' has no option '{option}'", detail=detail, fix=fix)


def missing_config(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """A defaults-list entry naming a config that does not exist (``- default@_here_`` with nothing stored)."""
    msg = str(exc)
    m = re.search(r"(?:In '([^']+)': )?Could not load '([^']+)'", msg)
    if not m:
        return None
    parent, path = m.groups()
    group, _, name = path.rpartition("/")
    options = _group_options(msg, group)
    where = f"'{parent}' lists '{path}' in its defaults list" if parent else f"'{path}' is in a defaults list"
    store = (f"ConfigStore.instance().store(group=\"{group}\", name=\"{name}\", node=...)" if group
             else f"ConfigStore.instance().store(name=\"{name}\", node=...)")
    return ConfigError(
        f"{where}, but there is no config '{path}'",
        detail=_options_and_places(msg, group, options),
        fix=(did_you_mean(name, options) + f"register it with {store} in the module that runs"
             " (from a notebook: import that module before composing), or add "
             + os.path.join(_main_config_dir(msg) or "<config dir>", f"{path}.yaml")),
    )


def missing_primary(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Cannot find primary config '([^']+)'", msg)
    if m:
        return ConfigError(
            f"primary config '{m.group(1)}' not found",
            detail=f"looked in: {_looked_in(msg, '')}\n{msg}",
            fix="check --config-name and --config-path (hydra-runner run TARGET --info searchpath shows where it looked)",
        )
    if "Primary config directory not found" in msg or "Primary config module" in msg:
        m = re.search(r"config (?:directory|module) '([^']+)'", msg)
        return ConfigError(
            f"the config directory {m.group(1) if m else ''} does not exist".replace("  ", " "),
            detail=msg,
            fix="pass --config-path DIR (relative to the project root or to the task's file)",
        )
    return None
