"""Values of the primary config that its own defaults list replaces.

With ``_self_`` first in the primary config's defaults list, every config listed after it is
merged over the primary config: ``exp: {lr: 0.1}`` written in ``config.yaml`` is silently
replaced by ``exp: default`` when that config also sets ``lr``. Hydra says nothing about it;
``--info defaults`` prints the hint made here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from hydra.core.default_element import (
    ConfigDefault,
    DefaultsTreeNode,
    GroupDefault,
    InputDefault,
    ResultDefault,
)
from omegaconf import OmegaConf

if TYPE_CHECKING:
    from hydra_runner._compat import DefaultsList, IConfigRepository

__all__ = ["self_placement_hint", "shadowed_primary_values"]

MAX_KEYS_SHOWN = 5


def _leaves(config: Any, package: str) -> dict[str, Any]:
    """Dotted key -> value of every leaf (lists are leaves), under ``package``."""
    out: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        else:
            out[prefix] = node

    container = OmegaConf.to_container(config, resolve=False) if config is not None else {}
    if isinstance(container, dict):
        for key, value in container.items():
            walk(value, f"{package}.{key}" if package else str(key))
    return out


def _is_hydra(package: Optional[str]) -> bool:
    return package is not None and (package == "hydra" or package.startswith("hydra."))


def shadowed_primary_values(defaults: list[ResultDefault], repo: IConfigRepository) -> dict[str, str]:
    """Keys the primary config sets whose final value comes from a later config: key -> that config."""
    primary_at = next((i for i, d in enumerate(defaults) if d.primary and d.is_self), None)
    if primary_at is None:
        return {}
    primary = repo.load_config(defaults[primary_at].config_path)
    own = {k: v for k, v in _leaves(primary.config if primary else None, "").items() if not _is_hydra(k)}
    last: dict[str, tuple[str, Any]] = {}
    for entry in defaults[primary_at + 1 :]:
        loaded = None if _is_hydra(entry.package) else repo.load_config(entry.config_path)
        if loaded is None:
            continue
        for key, value in _leaves(loaded.config, entry.package or "").items():
            if key in own:
                last[key] = (str(entry.config_path), value)
    return {key: path for key, (path, value) in last.items() if value != own[key]}


def _primary_entries(tree: DefaultsTreeNode) -> Optional[list[str]]:
    """The primary config's own defaults list as written (``_self_``, ``exp: default``, ...)."""
    for child in tree.children or []:
        if isinstance(child, DefaultsTreeNode) and child.node.primary:

            def label(item: Any) -> str:
                node: InputDefault = item.node if isinstance(item, DefaultsTreeNode) else item
                if isinstance(node, GroupDefault):
                    return f"{node.get_override_key()}: {node.get_name()}"
                return str(node.path) if isinstance(node, ConfigDefault) else str(node)

            return [label(item) for item in child.children or []]
    return None


def self_placement_hint(defaults_list: DefaultsList, repo: IConfigRepository) -> Optional[str]:
    """A hint naming the primary config's values that later defaults replace, and where ``_self_`` is."""
    shadowed = shadowed_primary_values(defaults_list.defaults, repo)
    if not shadowed:
        return None
    primary = next(d.config_path for d in defaults_list.defaults if d.primary and d.is_self)
    entries = _primary_entries(defaults_list.defaults_tree) or []
    where = (f"_self_ is entry {entries.index('_self_') + 1} of its defaults list [{', '.join(entries)}]"
             if "_self_" in entries else "its defaults list puts _self_ before them")
    keys = sorted(shadowed)
    listed = ", ".join(f"{key} (by {shadowed[key]})" for key in keys[:MAX_KEYS_SHOWN])
    more = f" and {len(keys) - MAX_KEYS_SHOWN} more" if len(keys) > MAX_KEYS_SHOWN else ""
    return (
        f"hint: values set in the primary config '{primary}' are replaced: {listed}{more}. "
        f"Configs listed after _self_ are merged over the primary config, and {where}. "
        "To make the primary config's values win, move _self_ to the end of its defaults list; "
        "to vary them per option, set them in the group's config instead."
    )
