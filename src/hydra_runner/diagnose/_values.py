"""Values a config cannot take: a mandatory ``???`` left unset, an override of the wrong type."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Optional, Sequence

from hydra_runner.diagnose._messages import chain, full_message
from hydra_runner.diagnose._structured import source_file
from hydra_runner.errors import ConfigError


def missing_value(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    from omegaconf.errors import MissingMandatoryValue

    found = next((e for e in chain(exc) if isinstance(e, MissingMandatoryValue)), None)
    if found is None:
        return None
    key = getattr(found, "full_key", None) or "?"
    owner = getattr(found, "object_type", None)
    field = _field_without_default(owner, getattr(found, "key", None))
    if field is not None:
        source = source_file(owner)
        return ConfigError(
            f"'{key}' has no value ('???'): {field} has no default",
            detail=full_message(exc),
            fix=f"give {field} a default" + (f" in {source}" if source else "") + f" or pass {key}=...",
        )
    owner_name = getattr(found, "object_type_str", None)
    where = f" (a field of {owner_name})" if owner_name and owner_name not in ("dict", "None") else ""
    return ConfigError(
        f"'{key}' has no value ('???'){where}",
        detail=full_message(exc),
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


def merge_error(exc: BaseException, overrides: Sequence[str]) -> Optional[ConfigError]:
    msg = full_message(exc)
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
