"""Completing a TARGET's overrides with Hydra's own completion engine.

Hydra's shell completion (``python app.py --shell-completion``) answers from the app's config
loader: config keys and values, config group options, ``hydra/launcher=`` choices. Here the
loader is the one hydra-runner builds for the TARGET (its config directory found the same way,
``--config-path``/``--config-name``/``--config-dir`` honoured), so the answers are those the run
would compose with.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

__all__ = ["override_completions"]


def override_completions(
    target: str,
    overrides: Sequence[str],
    incomplete: str,
    *,
    multirun: bool = False,
    config_path: Optional[str] = None,
    config_name: Optional[str] = None,
    config_dir: Optional[str] = None,
    version_base: Optional[str] = None,
) -> list[str]:
    """The overrides that can follow ``overrides`` and start with ``incomplete``, sorted.

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "conf").mkdir()
    >>> _ = (d / "conf" / "config.yaml").write_text("trainer:\\n  max_epochs: 5\\n")
    >>> _ = (d / "app.py").write_text("def fit(cfg):\\n    pass\\n")
    >>> override_completions(f"{d / 'app.py'}:fit", [], "trainer.",
    ...                      config_path=str(d / "conf"), config_name="config")
    ['trainer.max_epochs=']
    """
    from hydra_runner.api import load_app

    app = load_app(
        target, config_path=config_path, config_name=config_name, config_dir=config_dir, version_base=version_base
    )
    # Hydra reads the line with str.split() and its own argument parser: an override holding
    # a space or looking like an option would be misread, and only narrows the answer anyway.
    words = [o for o in overrides if not o.startswith("-") and not any(c.isspace() for c in o)]
    line = " ".join([*(["-m"] if multirun else []), *words, incomplete])
    return app._with_hydra(lambda hydra: _query(hydra.config_loader, app.config_name, line))  # type: ignore[no-any-return]


def _query(config_loader: Any, config_name: Optional[str], line: str) -> list[str]:
    # CompletionPlugin._query is the engine under each of Hydra's shell plugins (bash, zsh, fish);
    # DefaultCompletionPlugin is its concrete form that installs nothing.
    from hydra.plugins.completion_plugin import DefaultCompletionPlugin

    return DefaultCompletionPlugin(config_loader)._query(config_name=config_name, line=line)
