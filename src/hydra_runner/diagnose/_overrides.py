"""Overrides that cannot be applied: ones that do not parse, sweeps where a single value is needed,
``+group`` for a group the defaults list already has, and keys the config does not have."""

from __future__ import annotations

import difflib
import re
import shlex
import sys
from typing import Any, Optional, Sequence

from omegaconf import DictConfig

from hydra_runner.diagnose._messages import full_message, node_error, yaml_scalar
from hydra_runner.diagnose._structured import field_names, fields_fix
from hydra_runner.errors import ConfigError

# -- the override grammar: what the shell split, a sweep in a single run, interval(...) in a grid ----


def parse_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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


def ambiguous_list(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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


def interval_in_grid(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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


# -- +group=x for a group the defaults list already chooses ----------------------------------------


def append_existing_group(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
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


def _added(overrides: Sequence[str], key: str) -> Optional[str]:
    """The command line's ``+key=...`` (or ``++key=...``) override, if it has one."""
    return next((o for o in overrides if o.startswith("+") and o.lstrip("+").startswith(f"{key}=")), None)


def append_existing_key(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """``+key=value`` for a key the config already has."""
    m = re.search(r"Could not append to config\. An item is already at '([^']+)'", str(exc))
    if not m:
        return None
    key = m.group(1)
    given = _added(overrides, key)
    value = given.partition("=")[2] if given else "VALUE"
    return ConfigError(f"'+{key}' adds a key, and the config has '{key}' already", detail=full_message(exc),
                       fix=f"drop the '+' to set it ({key}={value}), or write ++{key}={value} to add or set it")


def group_twice(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    """The same option twice, as ``+group=x`` gives where the defaults list already chooses ``group: x``."""
    m = re.match(r"(\S+) appears more than once in the final defaults list", str(exc))
    if not m:
        return None
    group = m.group(1)
    added = _added(overrides, group)
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


# -- key=value for a key the config does not have --------------------------------------------------


def override_unknown_key(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Could not override '([^']+)'\.\nTo append to your config use \+(.+)", msg)
    if not m:
        return None
    key, override = m.groups()
    cause = node_error(exc)
    missing = str(getattr(cause, "full_key", None) or key)
    owner = getattr(cause, "object_type", None)
    fields = field_names(owner)
    if fields is not None:
        # '+' would add a key that no field of the dataclass reads: the spelling is what is wrong.
        name = str(getattr(cause, "key", missing.rpartition(".")[2]))
        return ConfigError(
            f"override '{override}': {owner.__name__} has no field '{name}'",
            detail=f"{msg.splitlines()[0]}\n{cause}",
            fix=fields_fix(owner, fields, name, beside=missing),
        )
    # A plain YAML node takes new keys: '+' is the fix, unless the key is a misspelling.
    if not missing.startswith(key + "."):
        add = f"to add it, write +{override}"
        near = _near_key(cause, missing)
        if near is not None:
            value = override.partition("=")[2]
            return ConfigError(f"key '{key}' is not in the config", detail=msg,
                               fix=f"did you mean {near}{key[len(missing):]}={value}? ({add})")
        return ConfigError(f"key '{key}' is not in the config", detail=msg, fix=add)
    # A dict merged into a node that exists: the key missing is one inside the dict.
    parent, _, last = missing.rpartition(".")
    lacks = "which " if parent == key else f"and '{parent}' "
    value = _override_value_text(override, missing[len(key) + 1:])
    one_key = f"{_for_the_shell(f'+{missing}={value}')}, or " if value is not None else ""
    return ConfigError(
        f"key '{missing}' is not in the config: '{override}' merges a dict into '{key}', {lacks}has no key '{last}'",
        detail=full_message(exc),
        fix=f"to add it, write {one_key}{_for_the_shell('++' + override)} (adds every key of the dict that "
        f"'{key}' lacks)",
    )


def _near_key(cause: Optional[BaseException], missing: str) -> Optional[str]:
    """The key beside ``missing`` (in the node that lacks it) that it most looks like a misspelling of."""
    parent = getattr(cause, "parent_node", None)
    if not isinstance(parent, DictConfig):
        return None
    head, _, last = missing.rpartition(".")
    close = difflib.get_close_matches(last, [str(k) for k in parent.keys() if k != "hydra"], n=1, cutoff=0.7)
    return f"{head}.{close[0]}" if close and head else (close[0] if close else None)


def _for_the_shell(text: str) -> str:
    """``text`` as typed in a shell: in double quotes when it needs quoting and they are safe."""
    if shlex.quote(text) == text or re.search(r'["$`\\]', text):
        return shlex.quote(text)
    return f'"{text}"'


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
    for text in (yaml_scalar(value), repr(value)):
        try:
            if parser.parse_override(f"k={text}").value() == value:
                return text
        except Exception:  # not readable back as this value: try the next way of writing it
            continue
    return None
