"""Hydra's own plugin and callback instantiation, failing where hydra-runner did not build the plugin."""

from __future__ import annotations

import re
from typing import Optional, Sequence

from hydra_runner.diagnose._messages import chain, full_message
from hydra_runner.errors import ConfigError

_KEY = re.compile(r"full_key: (hydra\.(?:callbacks\.[^\s.]+|sweeper|launcher))\b")
_TARGET = re.compile(r"(?:Error locating target|Error in call to target|Unknown plugin class :) '([^']+)'")


def plugin_instantiation(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from hydra.errors import InstantiationException

    if not any(isinstance(e, (InstantiationException, RuntimeError, ImportError)) for e in chain(exc)):
        return None
    msg = full_message(exc)
    key = _KEY.search(msg)
    if key is None:
        return None
    from hydra_runner.plugin_compat import plugin_error

    target = _TARGET.search(msg)
    return plugin_error(key.group(1), target.group(1) if target else None, exc)
