"""``hydra_runner.composition.shadowed_values``: primary-config values that later defaults replace."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hydra.types import RunMode

from hydra_runner import _compat
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.composition.shadowed_values import (
    self_placement_hint,
    shadowed_primary_values,
)


def _conf(tmp_path: Path, self_entry: str) -> CachingConfigLoader:
    (tmp_path / "db").mkdir()
    entries = ["db: mysql", "site: local"]
    entries.insert(0 if self_entry == "first" else len(entries), "_self_")
    listing = "".join(f"  - {entry}\n" for entry in entries)
    (tmp_path / "config.yaml").write_text(f"defaults:\n{listing}db:\n  host: mine\n  port: 3306\nname: run\n")
    (tmp_path / "db" / "mysql.yaml").write_text("host: mysql.local\nport: 3306\n")
    (tmp_path / "db" / "pg.yaml").write_text("host: pg.local\nport: 5432\n")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "local.yaml").write_text("# @package _global_\nname: local-run\n")
    return CachingConfigLoader(_compat.create_config_search_path(str(tmp_path)))


def _shadowed(loader: CachingConfigLoader, overrides: list[str]) -> dict[str, str]:
    defaults = loader.compute_defaults_list("config", overrides, RunMode.RUN)
    return shadowed_primary_values(defaults.defaults, loader.repository)


def test_values_of_the_primary_config_replaced_by_later_entries(tmp_path: Path) -> None:
    loader = _conf(tmp_path, "first")
    # port is set to the same value by db/mysql: nothing is lost there.
    assert _shadowed(loader, []) == {"db.host": "db/mysql", "name": "site/local"}
    assert _shadowed(loader, ["db=pg"]) == {"db.host": "db/pg", "db.port": "db/pg", "name": "site/local"}


def test_nothing_is_replaced_when_self_comes_last(tmp_path: Path) -> None:
    loader = _conf(tmp_path, "last")
    assert _shadowed(loader, ["db=pg"]) == {}
    assert self_placement_hint(loader.compute_defaults_list("config", [], RunMode.RUN), loader.repository) is None


def test_the_hint_says_where_self_is_and_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    loader = _conf(tmp_path, "first")
    with caplog.at_level(logging.WARNING, logger="hydra_runner.composition.loader"):
        loader.compute_defaults_list("config", [], RunMode.RUN)
        loader.compute_defaults_list("config", [], RunMode.RUN)  # --info all asks twice
    hints = [r.getMessage() for r in caplog.records if r.getMessage().startswith("hint:")]
    assert len(hints) == 1
    assert "db.host (by db/mysql), name (by site/local)" in hints[0]
    assert "_self_ is entry 1 of its defaults list [_self_, db: mysql, site: local]" in hints[0]
    assert "move _self_ to the end of its defaults list" in hints[0]
