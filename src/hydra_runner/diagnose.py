"""Hydra's and OmegaConf's composition errors, rewritten as errors a user can act on.

Each rule recognises one failure by its exception type and Hydra's message, names the bad
piece, and says the fix. Hydra's own message is kept as the error's detail.
"""

from __future__ import annotations

import difflib
import re
from typing import Callable, Optional, Sequence

from hydra_runner.errors import ConfigError

__all__ = ["TASK_ERROR_ATTR", "is_config_error", "translate"]

TASK_ERROR_ATTR = "__hydra_runner_task_error__"
"""Set on exceptions raised by the task itself, so they are not mistaken for config errors."""


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'? " if close else ""


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return seen


def _full_message(exc: BaseException) -> str:
    parts = [str(e).strip() for e in _chain(exc) if str(e).strip() not in ("", "None")]
    return "\n".join(dict.fromkeys(parts))


def _missing_option(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Could not find '([^']+)/([^'/]+)'", msg)
    if not m or "Available options" not in msg:
        return None
    group, option = m.groups()
    options = re.findall(r"^\t(\S+)$", msg.split("Available options", 1)[1], flags=re.M)
    hint = _did_you_mean(option, options)
    listed = ", ".join(options) if options else "(none)"
    return ConfigError(
        f"config group '{group}' has no option '{option}'",
        detail=f"options in '{group}': {listed}\n{msg}",
        fix=(f"{hint}write {group}=<option>" if options else f"add {group}/{option}.yaml"),
    )


def _missing_primary(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = str(exc)
    m = re.search(r"Cannot find primary config '([^']+)'", msg)
    if m:
        return ConfigError(
            f"primary config '{m.group(1)}' not found",
            detail=msg,
            fix="check --config-name and --config-path (hydra-runner run TARGET --info searchpath shows where it looked)",
        )
    if "Primary config directory not found" in msg or "Primary config module" in msg:
        return ConfigError(
            "the config directory does not exist",
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


def _override_unknown_key(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    m = re.search(r"Could not override '([^']+)'\.\nTo append to your config use (\S+)", str(exc))
    if not m:
        return None
    key, append = m.groups()
    return ConfigError(f"key '{key}' is not in the config", detail=str(exc), fix=f"to add it, write {append}")


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
        return ConfigError(f"'{m.group(1)}' is a sweep", detail=msg, fix="run it with hydra-runner multirun")
    return None


def _parse_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from hydra.errors import OverrideParseException

    if not isinstance(exc, OverrideParseException):
        return None
    msg = str(exc)
    return ConfigError(
        f"cannot parse override '{exc.override}'",
        detail=msg,
        fix="quote the whole override for the shell (\"key=[1,2]\"), close brackets and quotes, "
        "and escape special characters with \\",
    )


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
    owner = getattr(found, "object_type_str", None)
    where = f" (a field of {owner} without a default)" if owner and owner not in ("dict", "None") else ""
    return ConfigError(
        f"'{key}' has no value ('???'){where}",
        detail=_full_message(exc),
        fix=f"set it on the command line ({key}=...) or give it a default in the config",
    )


_RULES: list[Callable[[BaseException, Sequence[str]], Optional[ConfigError]]] = [
    _parse_error,
    _yaml_error,
    _missing_option,
    _missing_primary,
    _append_existing_group,
    _override_unknown_key,
    _ambiguous_list,
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
