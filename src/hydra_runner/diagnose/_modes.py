"""The ``hydra.mode`` path: a config that asks for a multirun, or a mode Hydra cannot read."""

from __future__ import annotations

import re
from typing import Optional, Sequence

from hydra_runner.diagnose._messages import full_message
from hydra_runner.errors import ConfigError

_MULTIRUN_FIX = ("run it as a multirun: `hydra-runner multirun ...` (or add hydra.mode=MULTIRUN to the "
                 "command line), or set hydra.mode in the primary config")


def mode_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = full_message(exc)
    if "hydra.mode changed during config composition" in msg:
        selected = [o for o in overrides if "=" in o and not o.lstrip("+~").startswith("hydra")]
        by = f" (selected by {', '.join(selected)})" if selected else ""
        return ConfigError(
            f"hydra.mode is set by a config the defaults list selected{by}, not by the primary config "
            "or the command line; Hydra 1.4 refuses that",
            detail=msg, fix=_MULTIRUN_FIX)
    if "Sweeping over Hydra's configuration is not supported" in msg:
        return ConfigError("hydra.mode cannot be swept", detail=msg,
                           fix="give hydra.mode one value: hydra.mode=RUN or hydra.mode=MULTIRUN")
    if re.search(r"Invalid hydra\.mode|hydra\.mode.*must be resolvable", msg) or (
            "full_key: hydra.mode" in msg and "Invalid value" in msg):
        return ConfigError("hydra.mode must be RUN or MULTIRUN", detail=msg,
                           fix="set hydra.mode to RUN or MULTIRUN (a plain value, not an interpolation)")
    return None
