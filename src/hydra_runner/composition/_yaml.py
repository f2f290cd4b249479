"""``OmegaConf.to_yaml``'s text, written by libyaml's emitter where that gives the same text.

libyaml's emitter is several times faster than PyYAML's pure-Python one, but the two differ
on some input: non-ASCII text (libyaml measures line width in bytes and escapes characters
outside the BMP), control characters, empty keys and keys long enough to need ``?``.
Containers made only of plain ASCII strings, short keys, numbers, booleans and ``None`` take
the fast emitter; anything else takes OmegaConf's own dumper.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_omega_conf_dumper

__all__ = ["config_to_yaml", "dump"]

# Printable ASCII only: no control characters (tab and newline included), nothing else.
_UNSAFE_CHAR = re.compile(r"[^\x20-\x7e]")
_MAX_KEY_LENGTH = 100


def _fast_dumper() -> Any:
    if not getattr(yaml, "__with_libyaml__", False):
        return None

    class _Dumper(yaml.CDumper):  # type: ignore[misc,name-defined]
        pass

    _Dumper.add_representer(str, get_omega_conf_dumper().str_representer)
    return _Dumper


_FAST_DUMPER = _fast_dumper()


def _same_text_on_both(data: Any) -> bool:
    kind = type(data)
    if kind is str:
        return _UNSAFE_CHAR.search(data) is None
    if kind is dict:
        for key, value in data.items():
            if type(key) is str and not 0 < len(key) <= _MAX_KEY_LENGTH:
                return False
            if not (_same_text_on_both(key) and _same_text_on_both(value)):
                return False
        return True
    if kind is list:
        return all(_same_text_on_both(item) for item in data)
    return kind in (int, float, bool) or data is None


def dump(data: Any) -> str:
    """``yaml.dump`` exactly as ``OmegaConf.to_yaml`` calls it, on plain containers."""
    fast = _FAST_DUMPER is not None and _same_text_on_both(data)
    return yaml.dump(  # type: ignore[no-any-return]
        data,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        Dumper=_FAST_DUMPER if fast else get_omega_conf_dumper(),
    )


def config_to_yaml(cfg: Any) -> str:
    """The text of ``OmegaConf.to_yaml(cfg)``."""
    return dump(OmegaConf.to_container(cfg, resolve=False, enum_to_str=True))
