"""Hydra's and OmegaConf's composition errors, rewritten as errors a user can act on.

Each rule recognises one failure by its exception type and Hydra's message, names the bad
piece, and says the fix. Hydra's own message is kept as the error's detail. The rules live by
what went wrong: ``_overrides`` (the command line), ``_defaults`` (the configs a defaults list
names), ``_structured`` (dataclass configs), ``_values`` (``???`` and types); ``_messages``
has what their messages share. ``_environment`` tells faults of files and dirs around a run.
"""

from __future__ import annotations

import os
from typing import Callable, Optional, Sequence

from hydra_runner.diagnose._defaults import (
    defaults_entry_type,
    missing_config,
    missing_option,
    missing_primary,
    yaml_error,
)
from hydra_runner.diagnose._environment import EnvironmentFault, environment_error
from hydra_runner.diagnose._messages import full_message
from hydra_runner.diagnose._modes import mode_error
from hydra_runner.diagnose._overrides import (
    ambiguous_list,
    append_existing_group,
    append_existing_key,
    group_twice,
    interval_in_grid,
    override_unknown_key,
    parse_error,
)
from hydra_runner.diagnose._plugins import plugin_instantiation
from hydra_runner.diagnose._structured import bad_value_in_config
from hydra_runner.diagnose._values import merge_error, missing_value
from hydra_runner.errors import ConfigError

__all__ = ["TASK_ERROR_ATTR", "EnvironmentFault", "environment_error", "is_config_error", "translate"]

TASK_ERROR_ATTR = "__hydra_runner_task_error__"
"""Set on exceptions raised by the task itself, so they are not mistaken for config errors."""

# The first rule that recognises a failure explains it: a specific rule comes before a general one.
_RULES: list[Callable[[BaseException, Sequence[str]], Optional[ConfigError]]] = [
    parse_error,
    mode_error,
    plugin_instantiation,
    yaml_error,
    defaults_entry_type,
    missing_option,
    missing_config,
    missing_primary,
    append_existing_group,
    append_existing_key,
    group_twice,
    override_unknown_key,
    bad_value_in_config,
    ambiguous_list,
    interval_in_grid,
    missing_value,
    merge_error,
]


def is_config_error(exc: BaseException) -> bool:
    """Is ``exc`` a failure to compose (as opposed to the task's own error)?"""
    from hydra.errors import HydraException
    from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException
    from yaml import YAMLError

    if getattr(exc, TASK_ERROR_ATTR, False):
        return isinstance(exc, MissingMandatoryValue)
    from hydra_runner.diagnose._plugins import names_plugin_key

    return (isinstance(exc, (HydraException, OmegaConfBaseException, YAMLError)) or names_plugin_key(exc)
            or _raised_by_hydra(exc))


def _raised_by_hydra(exc: BaseException) -> bool:
    """A ValueError or TypeError that Hydra's own code raised: its reading of a config or an override."""
    if not isinstance(exc, (ValueError, TypeError)) or exc.__traceback__ is None:
        return False
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{os.sep}hydra{os.sep}" in tb.tb_frame.f_code.co_filename


def translate(exc: BaseException, overrides: Sequence[str] = ()) -> ConfigError:
    """The most specific :class:`ConfigError` for a composition failure."""
    for rule in _RULES:
        error = rule(exc, overrides)
        if error is not None:
            return error
    message = full_message(exc) or type(exc).__name__
    first, _, rest = message.partition("\n")
    return ConfigError(first, detail=rest or None,
                       fix="check the overrides and the config files named above (--verbose shows where it failed)")
