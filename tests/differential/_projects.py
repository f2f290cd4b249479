"""Reusable config trees for the differential cases."""

from __future__ import annotations

import textwrap
from typing import Mapping

#: Pins the output dirs so both tools write to comparable places.
PIN = """\
hydra:
  run:
    dir: out/run
  sweep:
    dir: out/sweep
    subdir: ${hydra.job.num}
"""

GROUPS: dict[str, str] = {
    "conf/db/mysql.yaml": "driver: mysql\nhost: localhost\nport: 3306\n",
    "conf/db/mariadb.yaml": "driver: mariadb\nhost: maria\nport: 3307\n",
    "conf/db/pg.yaml": "driver: postgresql\nhost: pghost\nport: 5432\n",
    "conf/db/sqlite.yaml": "driver: sqlite\nfile: db.sqlite\n",
    "conf/site/local.yaml": "url: http://localhost\nworkers: 1\n",
    "conf/site/remote.yaml": "url: https://example.org\nworkers: 8\n",
    "conf/experiment/fast.yaml": (
        "# @package _global_\n"
        "defaults:\n"
        "  - override /db: pg\n"
        "x: 100\n"
        "fast: true\n"
    ),
}

BASIC = """\
defaults:
  - db: mysql
  - _self_
x: 1
name: demo
"""


def tree(
    primary: str = BASIC,
    *,
    extra: Mapping[str, str] | None = None,
    pin: bool = True,
    name: str = "config",
) -> dict[str, str]:
    """The standard tree (db/site/experiment groups) with a given primary config."""
    files = dict(GROUPS)
    body = textwrap.dedent(primary)
    if pin:
        body = body.rstrip("\n") + "\n" + PIN
    files[f"conf/{name}.yaml"] = body
    files.update(extra or {})
    return files
