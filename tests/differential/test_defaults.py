"""Defaults lists: ordering, packages, optional entries, overrides."""

from __future__ import annotations

from ._harness import Case, check
from ._projects import tree

_DB_WITH_ENGINE = {
    "conf/db/mysql.yaml": (
        "defaults:\n  - engine: innodb\n\ndriver: mysql\nhost: localhost\nport: 3306\n"
    ),
    "conf/db/engine/innodb.yaml": "name: innodb\ntransactions: true\n",
    "conf/db/engine/myisam.yaml": "name: myisam\ntransactions: false\n",
}

CASES = [
    Case("basic", tree()),
    Case(
        "self_first",
        tree(
            """\
            defaults:
              - _self_
              - db: mysql
            db:
              host: from_primary
              extra: 1
            x: 1
            """
        ),
    ),
    Case(
        "self_last",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            db:
              host: from_primary
              extra: 1
            x: 1
            """
        ),
    ),
    Case(
        "self_implicit",
        tree(
            """\
            defaults:
              - db: mysql
            db:
              host: from_primary
            x: 1
            """
        ),
    ),
    Case(
        "here_in_primary",
        tree(
            """\
            defaults:
              - db@_here_: pg
              - _self_
            x: 1
            """
        ),
    ),
    Case(
        "here_in_nested_option",
        tree(
            """\
            defaults:
              - server: apache
              - _self_
            x: 1
            """,
            extra={
                "conf/server/apache.yaml": (
                    "defaults:\n  - /db@_here_: mysql\n  - _self_\n\nkind: apache\nport: 80\n"
                )
            },
        ),
    ),
    Case(
        "global_in_defaults_list",
        tree(
            """\
            defaults:
              - db@_global_: sqlite
              - _self_
            x: 1
            """
        ),
    ),
    Case(
        "global_package_header",
        tree(
            """\
            defaults:
              - db: mysql
              - tuning: aggressive
              - _self_
            x: 1
            """,
            extra={"conf/tuning/aggressive.yaml": "# @package _global_\nx: 42\nlr: 0.5\n"},
        ),
    ),
    Case(
        "package_rename_in_defaults",
        tree(
            """\
            defaults:
              - db: mysql
              - db@backup: pg
              - _self_
            x: 1
            """
        ),
    ),
    Case(
        "package_header_nested",
        tree(
            """\
            defaults:
              - db: mysql
              - cache: redis
              - _self_
            """,
            extra={"conf/cache/redis.yaml": "# @package services.cache\nhost: redis\nttl: 60\n"},
        ),
    ),
    Case(
        "package_cli_change",
        tree(
            """\
            defaults:
              - db: mysql
              - db@backup: mysql
              - _self_
            """
        ),
        overrides=["db@backup=pg"],
    ),
    Case("package_cli_append", tree(), overrides=["+db@backup=pg"]),
    Case(
        "package_cli_move",
        tree(
            """\
            defaults:
              - db@backup: mysql
              - _self_
            """
        ),
        overrides=["db@backup=sqlite", "+site@sites.main=remote"],
    ),
    Case(
        "optional_present",
        tree(
            """\
            defaults:
              - db: mysql
              - optional site: local
              - _self_
            """
        ),
    ),
    Case(
        "optional_absent",
        tree(
            """\
            defaults:
              - db: mysql
              - optional site: nowhere
              - _self_
            """
        ),
    ),
    Case(
        "override_in_included_experiment",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
              - experiment: fast
            x: 1
            """
        ),
    ),
    Case("override_via_cli_experiment", tree(), overrides=["+experiment=fast"]),
    Case(
        "override_in_primary_over_base",
        tree(
            """\
            defaults:
              - base
              - override db: pg
              - _self_
            x: 2
            """,
            extra={"conf/base.yaml": "defaults:\n  - db: mysql\n\nx: 1\nfrom_base: true\n"},
        ),
    ),
    Case(
        "override_job_logging_none",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
              - override hydra/job_logging: none
            """
        ),
    ),
    Case(
        "override_job_logging_disabled",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
              - override hydra/job_logging: disabled
            """
        ),
    ),
    Case(
        "override_hydra_logging_and_job_logging",
        tree(
            """\
            defaults:
              - db: mysql
              - override hydra/hydra_logging: disabled
              - override hydra/job_logging: stdout
              - _self_
            x: 0
            """
        ),
        multirun=True,
        overrides=["x=1,2"],
    ),
    Case("nested_group_defaults", tree(extra=_DB_WITH_ENGINE)),
    Case(
        "nested_group_cli_choice",
        tree(extra=_DB_WITH_ENGINE),
        overrides=["db/engine=myisam", "db.engine.transactions=true"],
    ),
    Case(
        "null_default_unselected",
        tree(
            """\
            defaults:
              - db: mysql
              - site: null
              - _self_
            """
        ),
    ),
    Case(
        "null_default_selected_on_cli",
        tree(
            """\
            defaults:
              - db: mysql
              - site: null
              - _self_
            """
        ),
        overrides=["site=remote"],
    ),
    Case(
        "plain_config_in_defaults",
        tree(
            """\
            defaults:
              - common
              - db: mysql
              - _self_
            seed: 1
            """,
            extra={"conf/common.yaml": "seed: 7\nlog_every: 10\n"},
        ),
    ),
]


def test_defaults(case, project):
    check(case, project)
