"""Hydra's and OmegaConf's composition errors, rewritten as errors a user can act on.

Each rule recognises one failure by its exception type and Hydra's message, names the bad
piece, and says the fix. Hydra's own message is kept as the error's detail.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import os
import re
import shlex
import sys
import typing
from typing import Any, Callable, Optional, Sequence

from hydra_runner.errors import ConfigError

__all__ = ["TASK_ERROR_ATTR", "is_config_error", "translate"]

TASK_ERROR_ATTR = "__hydra_runner_task_error__"
"""Set on exceptions raised by the task itself, so they are not mistaken for config errors."""


def _closest(word: str, options: Sequence[str]) -> Optional[str]:
    """The option ``word`` most likely meant: its initials (``lr``: ``learning_rate``), else the nearest spelling."""
    initials = [o for o in options if "_" in o and "".join(part[:1] for part in o.split("_")) == word]
    close = initials or difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return close[0] if close else None


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = _closest(word, options)
    return f"did you mean '{close}'? " if close else ""


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return seen


# OmegaConf raises its message template ("Value '$VALUE' of type '$VALUE_TYPE' ...") first and,
# while handling it, the same message filled in: the template is left in the chain as context.
_UNFILLED = re.compile(r"\$(?:MSG|KEY|KEY_TYPE|FULL_KEY|VALUE|VALUE_TYPE|OBJECT_TYPE|REF_TYPE)\b")


def _full_message(exc: BaseException) -> str:
    """The messages of the chain once each: Hydra repeats its cause's message inside its own."""
    parts: list[str] = []
    for e in _chain(exc):
        text = str(e).strip()
        if text not in ("", "None") and not _UNFILLED.search(text) and not any(text in part for part in parts):
            parts.append(text)
    return "\n".join(parts)


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


def _missing_option(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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


def _missing_config(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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
        fix=(_did_you_mean(name, options) + f"register it with {store} in the module that runs"
             " (from a notebook: import that module before composing), or add "
             + os.path.join(_main_config_dir(msg) or "<config dir>", f"{path}.yaml")),
    )


def _missing_primary(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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


def _append_existing_group(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    m = re.search(r"Multiple values for ([\w/.@-]+)\. To override a value use 'override \1: ([^']+)'", str(exc))
    if not m:
        return None
    group, value = m.groups()
    bad = next((o for o in overrides if o.lstrip("+").startswith(f"{group}=")), f"+{group}={value}")
    return ConfigError(
        f"'{bad}' adds config group '{group}', but '{group}' is already in the defaults list",
        detail=str(exc),
        fix=f"drop the '+' to choose another option: {group}={value}",
    )


def _group_twice(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """The same option twice, as ``+group=x`` gives where the defaults list already chooses ``group: x``."""
    m = re.match(r"(\S+) appears more than once in the final defaults list", str(exc))
    if not m:
        return None
    group = m.group(1)
    added = next((o for o in overrides if o.startswith("+") and o.lstrip("+").startswith(f"{group}=")), None)
    if added is None:
        return ConfigError(
            str(exc),
            fix=f"choose config group '{group}' once: remove one of its entries from the defaults lists "
            "of the primary config and the configs it includes",
        )
    choice = added.lstrip("+")
    if _is_sweep(choice):
        fix = f"drop the '+' to sweep the group's options: {choice}"
    else:
        fix = f"{choice} without '+' selects it; it is already the default, so it can also be left out"
    return ConfigError(
        f"{exc}: '{added}' adds config group '{group}' again",
        detail=f"'+' adds a group that the defaults list does not have, and it already chooses '{group}'",
        fix=fix,
    )


def _is_sweep(override: str) -> bool:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_override(override).is_sweep_override()
    except Exception:  # Hydra's own parse error is reported where the override is used
        return False


def _override_unknown_key(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Could not override '([^']+)'\.\nTo append to your config use \+(.+)", msg)
    if not m:
        return None
    key, override = m.groups()
    cause = _node_error(exc)
    missing = str(getattr(cause, "full_key", None) or key)
    owner = getattr(cause, "object_type", None)
    fields = _field_names(owner)
    if fields is not None:
        # '+' would add a key that no field of the dataclass reads: the spelling is what is wrong.
        name = str(getattr(cause, "key", missing.rpartition(".")[2]))
        return ConfigError(
            f"override '{override}': {owner.__name__} has no field '{name}'",
            detail=f"{msg.splitlines()[0]}\n{cause}",
            fix=_fields_fix(owner, fields, name, beside=missing),
        )
    # A plain YAML node takes new keys: '+' is the fix.
    if not missing.startswith(key + "."):
        return ConfigError(f"key '{key}' is not in the config", detail=msg, fix=f"to add it, write +{override}")
    # A dict merged into a node that exists: the key missing is one inside the dict.
    parent, _, last = missing.rpartition(".")
    lacks = "which " if parent == key else f"and '{parent}' "
    value = _override_value_text(override, missing[len(key) + 1:])
    one_key = f"{_for_the_shell(f'+{missing}={value}')}, or " if value is not None else ""
    return ConfigError(
        f"key '{missing}' is not in the config: '{override}' merges a dict into '{key}', {lacks}has no key '{last}'",
        detail=_full_message(exc),
        fix=f"to add it, write {one_key}{_for_the_shell('++' + override)} (adds every key of the dict that "
        f"'{key}' lacks)",
    )


def _for_the_shell(text: str) -> str:
    """``text`` as typed in a shell: in double quotes when it needs quoting and they are safe."""
    if shlex.quote(text) == text or re.search(r'["$`\\]', text):
        return shlex.quote(text)
    return f'"{text}"'


def _node_error(exc: BaseException) -> Optional[BaseException]:
    """OmegaConf's error in the chain, which names the node that failed (key, full_key, object_type)."""
    return next((e for e in _chain(exc) if getattr(e, "full_key", None)), None)


def _field_names(owner: Any) -> Optional[list[str]]:
    """The fields of a structured config's class (a dataclass or an attrs class); None for a plain dict."""
    if isinstance(owner, type) and dataclasses.is_dataclass(owner):
        return [f.name for f in dataclasses.fields(owner)]
    attributes = getattr(owner, "__attrs_attrs__", None)
    return [a.name for a in attributes] if attributes is not None else None


def _fields_fix(owner: type, fields: list[str], name: str, *, beside: str, then: str = "", otherwise: str = "") -> str:
    """The field closest to ``name``, as the key beside ``beside`` (``exp.lr`` -> ``exp.learning_rate``), and all."""
    listing = f"{owner.__name__} fields: {', '.join(fields)}"
    close = _closest(name, fields)
    if close:
        parent = beside.rpartition(".")[0]
        return f"did you mean {parent + '.' if parent else ''}{close}? {then}{listing}"
    source = _source_file(owner)
    return f"{otherwise}{listing}; a new setting needs a field in {owner.__name__}" + (f" ({source})" if source else "")


def _override_value_text(override: str, dotted: str) -> Optional[str]:
    """The value at ``dotted`` inside the dict ``override`` sets, written for a ``key=value`` of its own."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        value: Any = parser.parse_override(override).value()
    except Exception:  # Hydra wrote it back in a form it does not read: offer only '++'
        return None
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    for text in (_yaml_scalar(value), repr(value)):
        try:
            if parser.parse_override(f"k={text}").value() == value:
                return text
        except Exception:  # not readable back as this value: try the next way of writing it
            continue
    return None


def _yaml_scalar(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return str(value)


# -- a config file (exp/009.yaml) sets a key or a value its dataclass does not take --------------


def _bad_value_in_config(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    m = re.match(r"In '([^']+)': \w+ raised while composing config:", str(exc))
    cause = _node_error(exc)
    owner = getattr(cause, "object_type", None)
    fields = _field_names(owner)
    if not m or fields is None or not isinstance(cause, (ConfigAttributeError, ConfigKeyError, ValidationError)):
        return None
    config_path = m.group(1)
    default, loaded = _being_merged(exc)
    package = default.package if default is not None else config_path.rpartition("/")[0].replace("/", ".")
    full_key = str(cause.full_key)
    written = full_key[len(package) + 1:] if package and full_key.startswith(package + ".") else full_key
    source = getattr(loaded, "path", "")
    config = f"the ConfigStore's '{config_path}'" if source.startswith("structured://") else f"{config_path}.yaml"
    file = _display_path(os.path.join(source[len("file://"):], f"{config_path}.yaml")) \
        if source.startswith("file://") else config
    name = str(cause.key)
    if isinstance(cause, ValidationError):
        declared = _declared_type(owner, name)
        return ConfigError(
            f"{config} sets {written}: {_yaml_scalar(cause.value)}, but {owner.__name__}.{name} is {declared}",
            detail=_full_message(exc),
            fix=f"give {written} a value of type {declared} in {file}",
        )
    return ConfigError(
        f"{config} sets {written}, which {owner.__name__} has no field for",
        detail=_full_message(exc),
        fix=_fields_fix(owner, fields, name, beside=written,
                        then=f"correct {written} in {file}; ", otherwise=f"remove {written} from {file}; "),
    )


def _being_merged(exc: BaseException) -> tuple[Any, Any]:
    """The defaults-list entry (its package) and the loaded config (its source) that failed to merge.

    Hydra's message names only the config; the entry and what was loaded for it are values in
    the frame that merged them, which the traceback keeps.
    """
    from hydra.core.default_element import ResultDefault
    from hydra.plugins.config_source import ConfigResult

    found: tuple[Any, Any] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        values = list(tb.tb_frame.f_locals.values())
        default = next((v for v in values if isinstance(v, ResultDefault)), None)
        loaded = next((v for v in values if isinstance(v, ConfigResult)), None)
        if default is not None and loaded is not None:
            found = (default, loaded)
        tb = tb.tb_next
    return found


def _declared_type(owner: type, name: str) -> str:
    try:
        declared: Any = typing.get_type_hints(owner).get(name, "?")
    except Exception:  # annotations that do not resolve: their text
        declared = getattr(owner, "__annotations__", {}).get(name, "?")
    return declared.__name__ if isinstance(declared, type) else str(declared).replace("typing.", "")


def _ambiguous_list(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Ambiguous value for argument '([^']+)'", msg)
    if m:
        key, _, value = m.group(1).partition("=")
        return ConfigError(
            f"'{m.group(1)}' is a sweep, but this is a single run",
            detail=msg,
            fix=f"a list: \"{key}=[{value}]\"; a string: \"{key}='{value}'\"; a sweep: hydra-runner multirun",
        )
    m = re.search(r"Sweep parameters '([^']+)' requires --multirun", msg)
    if m:
        fix = "run it with hydra-runner multirun"
        if "interval(" in m.group(1):
            fix += f" and a search sweeper ({_SEARCH_SWEEPERS})"
        return ConfigError(f"'{m.group(1)}' is a sweep", detail=msg, fix=fix)
    return None


_SEARCH_SWEEPERS = "hydra/sweeper=random hydra.sweeper.max_iter=N, or hydra/sweeper=optuna hydra.sweeper.n_trials=N"


def _interval_in_grid(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """``interval(a,b)`` is a continuous range: a search samples it, a grid cannot list it."""
    msg = str(exc)
    m = re.search(r"(\w+) does not support sweep type : INTERVAL_SWEEP", msg)
    if not m:
        return None
    bad = next((o for o in overrides if "interval(" in o), None)
    key = bad.partition("=")[0] if bad else "key"
    what = f"'{bad}' is an interval" if bad else "interval(...) is a continuous range"
    return ConfigError(
        f"{what}, which a grid sweep ({m.group(1)}) cannot enumerate",
        detail=msg,
        fix=f"to sample it, add a search sweeper: {_SEARCH_SWEEPERS}; "
        f"for a grid, list the values: {key}=range(a,b,step) or {key}=a,b,c",
    )


def _parse_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from hydra.errors import OverrideParseException

    if not isinstance(exc, OverrideParseException):
        return None
    msg = str(exc)
    # The pieces the shell split off ("1,", "2]") hold no "=", so only the command line has them.
    typed = _rejoin_shell_split(exc.override, sys.argv[1:])
    if typed is not None:
        return ConfigError(
            f"cannot parse override '{exc.override}': the shell split '{typed}' at its spaces",
            detail=msg,
            fix=f"quote it: \"{typed}\" (or write it without spaces)",
        )
    return ConfigError(
        f"cannot parse override '{exc.override}'",
        detail=msg,
        fix="quote the whole override for the shell (\"key=[1,2]\"), close brackets and quotes, "
        "and escape special characters with \\",
    )


def _unclosed(text: str) -> int:
    return sum(text.count(o) - text.count(c) for o, c in ("[]", "{}", "()"))


def _rejoin_shell_split(override: str, argv: Sequence[str]) -> Optional[str]:
    """``key=[0, 1, 2]`` typed without quotes reaches us as ``key=[0,`` ``1,`` ``2]``: put it together."""
    if _unclosed(override) <= 0 or override not in argv:
        return None
    pieces = [override]
    for piece in argv[list(argv).index(override) + 1 :]:
        pieces.append(piece)
        if _unclosed(" ".join(pieces)) <= 0:
            return " ".join(pieces)
    return None


def _yaml_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from yaml import MarkedYAMLError

    if not isinstance(exc, MarkedYAMLError) or exc.problem_mark is None:
        return None
    mark = exc.problem_mark
    return ConfigError(
        f"invalid YAML in {mark.name}, line {mark.line + 1}: {exc.problem}",
        detail=str(exc),
        fix="correct the YAML syntax at that line (lists need closing ']', quote strings with ':')",
    )


def _merge_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = _full_message(exc)
    m = re.search(r"Error merging override (\S+)", msg)
    if not m:
        return None
    m_key = re.search(r"full_key: (\S+)", msg)
    key = m_key.group(1) if m_key else m.group(1).split("=", 1)[0]
    reason = next((line for line in msg.splitlines()[1:] if line.strip() and "full_key" not in line), "")
    return ConfigError(
        f"override '{m.group(1)}' does not fit '{key}': {reason.strip()}",
        detail=msg,
        fix=f"give '{key}' a value of the type its schema declares",
    )


def _missing_value(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from omegaconf.errors import MissingMandatoryValue

    chain = _chain(exc)
    found = next((e for e in chain if isinstance(e, MissingMandatoryValue)), None)
    if found is None:
        return None
    key = getattr(found, "full_key", None) or "?"
    owner = getattr(found, "object_type", None)
    field = _field_without_default(owner, getattr(found, "key", None))
    if field is not None:
        source = _source_file(owner)
        return ConfigError(
            f"'{key}' has no value ('???'): {field} has no default",
            detail=_full_message(exc),
            fix=f"give {field} a default" + (f" in {source}" if source else "") + f" or pass {key}=...",
        )
    owner_name = getattr(found, "object_type_str", None)
    where = f" (a field of {owner_name})" if owner_name and owner_name not in ("dict", "None") else ""
    return ConfigError(
        f"'{key}' has no value ('???'){where}",
        detail=_full_message(exc),
        fix=f"set it on the command line ({key}=...) or give it a value in the config that sets it to ???",
    )


def _field_without_default(owner: Any, name: Any) -> Optional[str]:
    """``ExpConfig.data_path`` when ``owner`` is a dataclass whose field ``name`` has no default."""
    if not (isinstance(owner, type) and dataclasses.is_dataclass(owner) and isinstance(name, str)):
        return None
    from omegaconf import MISSING

    for field in dataclasses.fields(owner):
        if field.name == name:
            no_default = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
            return f"{owner.__name__}.{name}" if no_default or field.default == MISSING else None
    return None


def _source_file(owner: type) -> Optional[str]:
    try:
        path = inspect.getsourcefile(owner)
    except (TypeError, OSError):
        return None
    return _display_path(path) if path is not None else None


def _display_path(path: str) -> str:
    """``path`` relative to the working directory when it is under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


_RULES: list[Callable[[BaseException, Sequence[str]], Optional[ConfigError]]] = [
    _parse_error,
    _yaml_error,
    _missing_option,
    _missing_config,
    _missing_primary,
    _append_existing_group,
    _group_twice,
    _override_unknown_key,
    _bad_value_in_config,
    _ambiguous_list,
    _interval_in_grid,
    _missing_value,
    _merge_error,
]


def is_config_error(exc: BaseException) -> bool:
    """Is ``exc`` a failure to compose (as opposed to the task's own error)?"""
    from hydra.errors import HydraException
    from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

    from yaml import YAMLError

    if getattr(exc, TASK_ERROR_ATTR, False):
        return isinstance(exc, MissingMandatoryValue)
    return isinstance(exc, (HydraException, OmegaConfBaseException, YAMLError))


def translate(exc: BaseException, overrides: Sequence[str] = ()) -> ConfigError:
    """The most specific :class:`ConfigError` for a composition failure."""
    for rule in _RULES:
        error = rule(exc, overrides)
        if error is not None:
            return error
    message = _full_message(exc) or type(exc).__name__
    first, _, rest = message.partition("\n")
    return ConfigError(first, detail=rest or None)
