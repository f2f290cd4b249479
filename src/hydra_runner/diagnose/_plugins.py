"""Hydra's own plugin and callback instantiation, failing where hydra-runner did not build the plugin."""

from __future__ import annotations

import re
from typing import Optional, Sequence

from hydra_runner.diagnose._messages import chain, full_message
from hydra_runner.errors import ConfigError

_KEY = re.compile(r"full_key: (hydra\.(?:callbacks\.[^\s.]+|sweeper|launcher))\b")
_TARGET = re.compile(r"(?:Error locating target|Error in call to target|Unknown plugin class :) '([^']+)'")


def names_plugin_key(exc: BaseException) -> bool:
    """Whether Hydra says the failure is that of building a callback, the sweeper or the launcher.

    Hydra 1.4 passes on the class's own error (a TypeError for a bad parameter) with the key in a note.
    """
    return any(_KEY.search(_with_notes(e)) for e in chain(exc))


def _with_notes(exc: BaseException) -> str:
    return "\n".join([str(exc), *map(str, getattr(exc, "__notes__", []) or [])])


def plugin_instantiation(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from hydra.errors import InstantiationException

    if not (any(isinstance(e, (InstantiationException, RuntimeError, ImportError)) for e in chain(exc))
            or names_plugin_key(exc)):
        return None
    msg = "\n".join([full_message(exc), *(_with_notes(e) for e in chain(exc))])
    key = _KEY.search(msg)
    if key is None:
        return None
    from hydra_runner.plugin_compat import plugin_error

    target = _TARGET.search(msg)
    if target is None:  # the class's own error (a bad parameter): the class was found
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        return ConfigError(f"{key.group(1)} could not be built: {first}",
                           fix=f"check the settings under {key.group(1)} against the class's parameters",
                           detail=f"{type(exc).__name__}: {exc}")
    return plugin_error(key.group(1), target.group(1), exc)
