"""``compose()``: a config for notebooks and tests, as often as you like in one process.

``hydra.compose`` needs ``initialize()`` around it and raises "GlobalHydra is already
initialized" when a notebook cell runs twice. Here every call is self-contained, and
repeated calls reuse the composed templates of the caching loader until a config file or
the ConfigStore changes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from hydra_runner import _compat

__all__ = ["compose"]

_APPS: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}


def _files_fingerprint(directory: Optional[str]) -> tuple[Any, ...]:
    if directory is None or not os.path.isdir(directory):
        return ()
    stamps = []
    for root, _dirs, files in os.walk(directory):
        for name in files:
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                continue
            stamps.append((root, name, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(stamps))


def _store_fingerprint() -> tuple[Any, ...]:
    def walk(tree: dict[str, Any], prefix: str) -> list[tuple[str, int]]:
        out = []
        for key, value in tree.items():
            if isinstance(value, dict):
                out.extend(walk(value, f"{prefix}{key}/"))
            else:
                out.append((prefix + key, id(value)))
        return out

    return tuple(sorted(walk(ConfigStore.instance().repo, "")))


def compose(
    config_path: Optional[str] = None,
    config_name: Optional[str] = None,
    overrides: Sequence[str] = (),
    *,
    return_hydra_config: bool = False,
    version_base: Optional[str] = None,
) -> DictConfig:
    """Compose a config exactly as ``hydra.compose`` does, without ``initialize()``.

    ``config_path`` is a directory, absolute or relative to the working directory.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "config.yaml").write_text("lr: 0.1\\n")
    >>> compose(str(d), "config", ["lr=0.5"]).lr
    0.5
    """
    from hydra_runner.app import App
    from hydra_runner.tasks.locate import task_spec_from_function

    search_dir = None if config_path is None else str(Path(config_path).resolve())
    key = (search_dir, config_name, version_base)
    fingerprint = (_files_fingerprint(search_dir), _store_fingerprint())
    cached = _APPS.get(key)
    if cached is None or cached[0] != fingerprint:
        spec = task_spec_from_function(compose)
        app = App(spec, config_path=search_dir, config_name=config_name, version_base=version_base or _compat.DEFAULT_VERSION_BASE)
        _APPS[key] = (fingerprint, app)
    else:
        app = cached[1]
    return app.compose_job_config(list(overrides), with_hydra=return_hydra_config)  # type: ignore[no-any-return]
